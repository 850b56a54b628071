import ArgumentParser
import VTOACore

enum StatsFormat: String, EnumerableFlag {
    case text, json, prometheus
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the module's counters (/proc/net/vtoa_stats).")

    @Flag(help: "Output format (--prometheus: text format for node_exporter's textfile collector).")
    var format: StatsFormat = .text

    @OptionGroup var common: CommonOptions

    func run() throws {
        let stats = try VTOAStats.read(facts: common.host().facts)
        switch format {
        case .text: out(stats.text)
        case .json: out(stats.json.render() + "\n")
        case .prometheus: out(stats.prometheus)
        }
    }
}
