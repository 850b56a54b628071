import ArgumentParser
import VTOACore

struct DisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Disable vtoa.service at boot (with --now, stop it too).")

    @Flag(help: "Stop the service as well.")
    var now = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let host = common.host()
        let changes = try host.services.setEnabled(false, unit: host.unit)
        for c in changes { out("\(c.type) \(c.file)\n") }
        out("\(host.unit): disabled\n")
        if now {
            out("\(host.unit): stop \(try host.services.run(.stop, unit: host.unit))\n")
        }
    }
}
