import ArgumentParser
import VTOACore

struct EnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Enable vtoa.service at boot (with --now, start it too).")

    @Flag(help: "Start the service as well.")
    var now = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let host = common.host()
        let changes = try host.services.setEnabled(true, unit: host.unit)
        for c in changes { out("\(c.type) \(c.file) -> \(c.destination)\n") }
        out("\(host.unit): enabled\n")
        if now {
            out("\(host.unit): start \(try host.services.run(.start, unit: host.unit))\n")
        }
    }
}
