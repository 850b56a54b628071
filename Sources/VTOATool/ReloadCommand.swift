import ArgumentParser
import VTOACore

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Apply a changed configuration to the loaded module through /sys/module/vtoa/parameters/.")

    @Flag(help: "Apply even on a kernel the policy does not support.")
    var force = false

    @OptionGroup var common: ConfigFileOptions

    func run() throws {
        let (changes, params) = try common.host().reload(force: force)
        for n in params.notes { note(n) }
        out(changes.isEmpty ? "nothing to change\n" : "applied: " + describe(changes) + "\n")
    }
}
