import ArgumentParser
import VTOACore

struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Register, build and install the module with DKMS for a kernel, check it with libkmod, then enable and start vtoa.service.")

    @Option(help: ArgumentHelp("The kernel release to install for (default: the running kernel).", valueName: "release"))
    var kernel: String?

    @Flag(help: "Install on a kernel the policy does not support, and rebuild and reinstall what DKMS already has.")
    var force = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let host = common.host()
        let result = try host.install(kernel: kernel, force: force) { out($0 + "\n") }
        out("vtoa \(result.version) is installed for \(result.release)\n")
        switch result.service {
        case .started(let r):
            out("vtoa.service is enabled and started (\(r))\n")
        case .enabledOnly(let running):
            out("vtoa.service is enabled; \(result.release) is not the running kernel (\(running)), so it was not started: it loads when \(result.release) boots\n")
        case .noSystemd(let reason):
            let running = host.facts.kernelRelease()
            note(result.release == running
                 ? "systemd is not running here (\(reason)); the module is installed: run 'vtoa load' to load it"
                 : "systemd is not running here (\(reason)); the module is installed for \(result.release): run 'vtoa load' once \(result.release) is running (this is \(running))")
        }
    }
}
