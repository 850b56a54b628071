import ArgumentParser
import VTOACore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the service, the module, DKMS, the kernel verdict and the counters (exit 0 running, 3 not running, 4 unknown: no such unit, or modules cannot be listed).")

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let report = common.host().status()
        if json { out(report.json.render() + "\n") } else { outText(report.text) }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
