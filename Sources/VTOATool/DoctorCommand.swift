import ArgumentParser
import VTOACore

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check everything vtoa needs, each with a one-line remedy (exit 0 when nothing is wrong).")

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let report = common.host().doctor()
        out(json ? report.json.render() + "\n" : report.text)
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
