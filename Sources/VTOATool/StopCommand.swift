import ArgumentParser
import VTOACore

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop vtoa.service through systemd and wait for the job.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let host = common.host()
        let result = try host.services.run(.stop, unit: host.unit)
        out("\(host.unit): stop \(result)\n")
    }
}
