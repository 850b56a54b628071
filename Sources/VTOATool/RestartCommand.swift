import ArgumentParser
import VTOACore

struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Restart vtoa.service through systemd and wait for the job.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let host = common.host()
        let result = try host.services.run(.restart, unit: host.unit)
        out("\(host.unit): restart \(result)\n")
    }
}
