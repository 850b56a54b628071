import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import VTOACore
import VTOALinux

@main
struct Main {
    static func main() {
        // writes report EPIPE; out() turns it into coreutils' SIGPIPE death
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try VTOACommand.parseAsRoot()
            try command.run()
        } catch let error as VTOAError {
            fail(error)
        } catch {
            exitForParser(error)
        }
    }

    /// argument-parser's own ends (--help, --version, completion scripts,
    /// usage errors, ExitCode): its text and exit code, but written with
    /// out(), so a full disk or a closed pipe is reported as for every other
    /// output instead of being lost by print().
    static func exitForParser(_ error: Error) -> Never {
        let code = VTOACommand.exitCode(for: error).rawValue
        let text = VTOACommand.fullMessage(for: error)
        if !text.isEmpty {
            if code == 0 {
                out(text + "\n")
            } else {
                try? FileDescriptorOutput.standardError.write(text + "\n")
            }
        }
        exit(code)
    }

    /// One line on stderr, the error's own exit code.
    static func fail(_ error: VTOAError) -> Never {
        let details = error.details
        if !details.isEmpty {
            let text = "vtoa: the last \(details.count) lines of the log:\n" + details.map { "  | " + $0 + "\n" }.joined()
            try? FileDescriptorOutput.standardError.write(text)
        }
        try? FileDescriptorOutput.standardError.write("vtoa: \(error.message)\n")
        exit(error.exitCode)
    }
}

struct VTOACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtoa",
        abstract: "Manage, check and explain the vtoa kernel module (real client addresses behind FULLNAT/TOA proxies).",
        discussion: """
        Exit codes: 0 success; kernel-check 1 unsupported, 2 unparsable; status 3 not running, 4 no such unit; \
        doctor and selftest 1 problems found; errors 10-35 (one code per kind of error), 74 output could not be written and 77 not root; see docs/vtoa-tool.md.
        """,
        version: vtoaToolVersion,
        subcommands: [
            InstallCommand.self, UninstallCommand.self, SelftestCommand.self,
            StatusCommand.self, DoctorCommand.self, KernelCheckCommand.self, StatsCommand.self,
            LoadCommand.self, UnloadCommand.self, ReloadCommand.self,
            StartCommand.self, StopCommand.self, RestartCommand.self, EnableCommand.self, DisableCommand.self,
            ConfigCommand.self, GenerateManCommand.self,
        ]
    )
}

/// VTOA_VERSION of the module's uapi header: one version for module, tool, packages.
let vtoaToolVersion = vtoaVersion

/// What every command takes (no options of its own): the machine.
struct CommonOptions: ParsableArguments {
    @Flag(name: [.short, .long], help: "Print nothing on standard output; errors still go to standard error and the exit code tells.")
    var quiet = false

    /// The machine, or (for tests) a tree laid out like / named by VTOA_ROOT
    /// for the files vtoa reads.
    func host() -> Machine { hostMachine(configPath: VTOAConfig.defaultPath, quiet: quiet) }
}

/// What the commands that read the configuration take (load, reload,
/// doctor, config check/show): `--config PATH`. Others do not accept it,
/// so `vtoa start --config x` is an error, not a file silently ignored
/// (vtoa.service's `vtoa load` reads /etc/vtoa/vtoa.conf).
struct ConfigFileOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "path"))
    var config: String = VTOAConfig.defaultPath

    @Flag(name: [.short, .long], help: "Print nothing on standard output; errors still go to standard error and the exit code tells.")
    var quiet = false

    func host() -> Machine { hostMachine(configPath: config, quiet: quiet) }
}

/// -q/--quiet: set once, when a command asks for its machine, before it prints.
nonisolated(unsafe) var quietOutput = false

func hostMachine(configPath: String, quiet: Bool) -> Machine {
    if quiet { quietOutput = true }
    let root = getenv("VTOA_ROOT").map { String(cString: $0) } ?? "/"
    return Machine.real(root: root.isEmpty ? "/" : root, configPath: configPath)
}

/// Standard output; a failed write ends the command with one line on
/// stderr and exit code 74, never a trap. A closed pipe ends it as it ends
/// coreutils: silently, by SIGPIPE.
func out(_ text: String) {
    if quietOutput { return }
    do {
        try FileDescriptorOutput.standardOutput.write(text)
    } catch {
        if case .outputFailed(let e, _) = error, e == EPIPE {
            signal(SIGPIPE, SIG_DFL)
            raise(SIGPIPE)
        }
        Main.fail(error)
    }
}

/// A line on stderr; if even that cannot be written there is no one to tell.
func note(_ text: String) {
    try? FileDescriptorOutput.standardError.write("vtoa: \(text)\n")
}
