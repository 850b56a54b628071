import ArgumentParser
import VTOACore

struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start vtoa.service through systemd and wait for the job.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let host = common.host()
        let result = try host.services.run(.start, unit: host.unit)
        out("\(host.unit): start \(result)\n")
    }
}
