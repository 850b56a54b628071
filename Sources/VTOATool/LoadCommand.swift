import ArgumentParser
import VTOACore

struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Insert the module (or attach the eBPF programs: vtoa.conf's backend) with parameters from the kernel policy and the configuration (what vtoa.service runs).")

    @Flag(help: "Load even on a kernel the policy does not support.")
    var force = false

    @OptionGroup var common: ConfigFileOptions

    func run() throws {
        let (outcome, params) = try common.host().load(force: force)
        for n in params.notes { note(n) }
        switch outcome {
        case .inserted(let options):
            out("loaded vtoa (\(options))\n")
        case .alreadyLoaded(let changes):
            out(changes.isEmpty ? "vtoa is already loaded with this configuration\n"
                                : "vtoa was already loaded; applied: " + describe(changes) + "\n")
        case .attached(let settings):
            out("attached vtoa's eBPF programs (\(settings))\n")
        case .alreadyAttached(let changes):
            out(changes.isEmpty ? "vtoa's eBPF programs are already attached with this configuration\n"
                                : "vtoa's eBPF programs were already attached; applied: " + describe(changes) + "\n")
        }
    }
}

func describe(_ changes: [ParameterChange]) -> String {
    changes.map { "\($0.name) \($0.old.isEmpty ? "\"\"" : $0.old) -> \($0.new.isEmpty ? "\"\"" : $0.new)" }.joined(separator: ", ")
}
