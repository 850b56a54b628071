import ArgumentParser
import VTOACore

struct UninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Stop and disable vtoa.service, unload the module and remove it from DKMS; nothing is left behind.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        try common.host().uninstall { out($0 + "\n") }
        out("vtoa is uninstalled\n")
    }
}
