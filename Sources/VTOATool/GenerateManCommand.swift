import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import VTOACore

/// Hidden: writes the man pages vtoa.8 (from the command definitions) and
/// vtoa.conf.5 (from the module's parameter table), for the packages to
/// ship (`vtoa generate-man DIR`).
struct GenerateManCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-man",
        abstract: "Write the man pages vtoa.8 and vtoa.conf.5 into a directory.",
        shouldDisplay: false)

    @Argument(help: ArgumentHelp("The directory to write vtoa.8 and vtoa.conf.5 into (created if missing).", valueName: "directory"))
    var directory: String

    func run() throws {
        let path = try ManPage.write(to: directory)
        let conf = try ConfManPage.write(to: directory)
        out("wrote \(path)\nwrote \(conf)\n")
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
        \(ExitStatus.table.map { ".TP\n.B \($0.code)\n" + escape($0.meaning) }.joined(separator: "\n"))
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
        .BR vtoa.conf (5),
        .BR dkms (8),
        .BR systemctl (1),
        .BR modprobe (8)

        """
        return page
    }

    /// Writes DIRECTORY/vtoa.8 and returns its path.
    static func write(to directory: String) throws -> String {
        try writeManPage(render(), named: "vtoa.8", to: directory)
    }
}

/// vtoa.conf(5), from the parameter table (`ParameterSpec.all`).
enum ConfManPage {
    static func render() -> String {
        var page = """
        .TH VTOA.CONF 5 "" "vtoa \(vtoaToolVersion)" "File Formats"
        .SH NAME
        vtoa.conf \\- configuration of the vtoa kernel module
        .SH SYNOPSIS
        .I /etc/vtoa/vtoa.conf
        .SH DESCRIPTION
        Read by
        .B vtoa load
        (what vtoa.service runs at boot and on
        .BR "systemctl start vtoa" )
        and by
        .B vtoa reload
        .RB ( "systemctl reload vtoa" ),
        which applies a change without unloading the module.
        One
        .I key
        =
        .I value
        per line; # starts a comment, also after a value; blank lines are ignored.
        Every key is optional and a missing file means all defaults.
        An unknown key, a key set twice or a bad value stops
        .B vtoa load
        with the file, the line and the key, and nothing is loaded or changed;
        .B vtoa config check
        checks a file the same way without touching the module.
        .SH KEYS

        """
        for spec in ParameterSpec.all where spec.inConfig {
            page += ".TP\n.B \(spec.name)\n"
            page += ManPage.escape(ParameterSpec.documentation[spec.name] ?? "") + "\n"
            page += "Values: \(ManPage.escape(spec.valuesText)). Default: \(spec.defaultText).\n"
        }
        page += ".TP\n.B \(BackendChoice.key)\n" + ManPage.escape(BackendChoice.documentation) + "\n"
        page += "Values: \(BackendChoice.valuesText). Default: auto.\n"
        page += """
        .SH EXAMPLE
        .nf
        # the proxy's back-to-origin ranges: TOA is only believed from these
        trusted_sources = 100.64.0.0/10, 2001:db8::/32
        getpeername = yes
        .fi
        .SH SEE ALSO
        .BR vtoa (8)

        """
        return page
    }

    /// Writes DIRECTORY/vtoa.conf.5 and returns its path.
    static func write(to directory: String) throws -> String {
        try writeManPage(render(), named: "vtoa.conf.5", to: directory)
    }
}

/// Writes `text` as DIRECTORY/NAME (the directory made if missing); the path.
func writeManPage(_ text: String, named name: String, to directory: String) throws -> String {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}
