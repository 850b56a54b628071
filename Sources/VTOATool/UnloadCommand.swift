import ArgumentParser
import VTOACore

struct UnloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unload",
        abstract: "Remove the module (what vtoa.service runs on stop).")

    @OptionGroup var common: CommonOptions

    func run() throws {
        out(try common.host().unload() ? "unloaded vtoa\n" : "vtoa is not loaded\n")
    }
}
