import ArgumentParser
import VTOACore

enum StatsFormat: String, EnumerableFlag {
    case text, json, prometheus
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the module's counters (/proc/net/vtoa_stats).")

    @Flag(help: "Output format (--prometheus: text format for node_exporter's textfile collector; with the module not loaded it prints vtoa_module_loaded 0 and exits 0).")
    var format: StatsFormat = .text

    @OptionGroup var common: CommonOptions

    func run() throws {
        let host = common.host()
        switch format {
        case .text: out(try VTOAStats.read(facts: host.facts).text)
        case .json: out(try VTOAStats.read(facts: host.facts).json.render() + "\n")
        case .prometheus: out(try host.prometheusStats(toolVersion: vtoaToolVersion).text)
        }
    }
}
