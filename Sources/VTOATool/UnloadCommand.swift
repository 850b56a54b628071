import ArgumentParser
import VTOACore

struct UnloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unload",
        abstract: "Remove the module or detach the eBPF programs, whichever is active (what vtoa.service runs on stop).")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let done = try common.host().unload()
        if done.isEmpty { out("vtoa is not loaded\n") }
        if done.contains(.ebpf) { out("detached vtoa's eBPF programs\n") }
        if done.contains(.module) { out("unloaded vtoa\n") }
    }
}
