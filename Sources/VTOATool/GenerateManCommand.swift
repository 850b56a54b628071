import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import VTOACore

/// Hidden: writes the man page vtoa.8 from the command definitions, for
/// the packages to ship (`vtoa generate-man debian/tmp/usr/share/man/man8`).
struct GenerateManCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-man",
        abstract: "Write the man page vtoa.8 into a directory.",
        shouldDisplay: false)

    @Argument(help: ArgumentHelp("The directory to write vtoa.8 into (created if missing).", valueName: "directory"))
    var directory: String

    func run() throws {
        let path = try ManPage.write(to: directory)
        out("wrote \(path)\n")
    }
}

enum ManPage {
    /// Every visible verb, in the order `vtoa --help` lists them.
    static var verbs: [ParsableCommand.Type] {
        VTOACommand.configuration.subcommands.filter { $0.configuration.shouldDisplay }
    }

    /// Text made safe for roff: backslashes, and lines starting with . or '.
    static func escape(_ text: String) -> String {
        text.replacing("\\", with: "\\e")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") || $0.hasPrefix("'") ? "\\&" + $0 : String($0) }
            .joined(separator: "\n")
    }

    static func render() -> String {
        let root = VTOACommand.configuration
        var page = """
        .TH VTOA 8 "" "vtoa \(vtoaToolVersion)" "System Administration"
        .SH NAME
        vtoa \\- \(escape(root.abstract))
        .SH SYNOPSIS
        .B vtoa
        .I command
        .RI [ options ]
        .SH DESCRIPTION
        .B vtoa
        installs the vtoa kernel module with DKMS, loads and unloads it with libkmod,
        drives vtoa.service through systemd's D-Bus API, and tells whether applications
        will see real client addresses behind FULLNAT/TOA proxies, and if not, what to do.
        Every error is one line on standard error, naming the problem and the fix.
        .SH COMMANDS

        """
        for verb in verbs {
            let c = verb.configuration
            // a verb with subcommands (config) gets a section for each
            let entries: [(String, ParsableCommand.Type)] = c.subcommands.isEmpty
                ? [(c.commandName ?? "", verb)]
                : c.subcommands.map { ("\(c.commandName ?? "") \($0.configuration.commandName ?? "")", $0) }
            for (name, command) in entries {
                page += ".SS \"vtoa \(name)\"\n\(escape(command.configuration.abstract))\n.PP\n.nf\n"
                page += escape(VTOACommand.helpMessage(for: command, columns: 78).trimmingWhitespace())
                page += "\n.fi\n"
            }
        }
        page += """
        .SH SHELL COMPLETION
        .nf
        vtoa \\-\\-generate\\-completion\\-script bash > /usr/share/bash-completion/completions/vtoa
        vtoa \\-\\-generate\\-completion\\-script zsh  > /usr/share/zsh/vendor-completions/_vtoa
        vtoa \\-\\-generate\\-completion\\-script fish > /usr/share/fish/vendor_completions.d/vtoa.fish
        .fi
        .SH EXIT STATUS
        \(escape(root.discussion))
        .SH FILES
        .TP
        .I /etc/vtoa/vtoa.conf
        \(VTOAConfig.keys.joined(separator: ", ")) (key = value lines).
        .TP
        .I /usr/src/vtoa-\(vtoaModuleVersion)
        the module source DKMS builds.
        .TP
        .I /proc/net/vtoa_stats
        the module's counters.
        .SH SEE ALSO
        .BR dkms (8),
        .BR systemctl (1),
        .BR modprobe (8)

        """
        return page
    }

    /// Writes DIRECTORY/vtoa.8 and returns its path.
    static func write(to directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory.hasSuffix("/") ? directory + "vtoa.8" : directory + "/vtoa.8"
        try Data(render().utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
