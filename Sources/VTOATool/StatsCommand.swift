import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import VTOACore

enum StatsFormat: String, EnumerableFlag {
    case text, json, prometheus
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the counters of the active backend (the module's /proc/net/vtoa_stats, or the eBPF programs'); --watch prints them every --interval seconds with rates per second.")

    @Flag(help: "Output format (--prometheus: text format for node_exporter's textfile collector; with the module not loaded it prints vtoa_module_loaded 0 and exits 0).")
    var format: StatsFormat = .text

    @Flag(help: "Print the counters again every --interval seconds, with each counter's rate per second since the last sample (text only; Ctrl-C stops).")
    var watch = false

    @Option(help: ArgumentHelp("Seconds between samples with --watch (0.1 to 3600).", valueName: "seconds"))
    var interval: Double = 1

    @Option(help: ArgumentHelp("With --watch, stop after this many samples (default: until interrupted).", valueName: "n"))
    var count: Int?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if watch && format != .text { throw ValidationError("--watch prints text; it does not combine with --\(format.rawValue)") }
        if !(0.1...3600).contains(interval) { throw ValidationError("--interval wants seconds from 0.1 to 3600, got \(interval)") }
        if let count, count < 1 { throw ValidationError("--count wants 1 or more, got \(count)") }
        if !watch && (count != nil) { throw ValidationError("--count only goes with --watch") }
    }

    func run() throws {
        let host = common.host()
        if watch { return try watchLoop(host) }
        switch format {
        case .text: out(try host.readStats().text)
        case .json: out(try host.readStats().json.versioned().render() + "\n")
        case .prometheus: out(try host.prometheusStats(toolVersion: vtoaToolVersion).text)
        }
    }

    func watchLoop(_ host: Machine) throws {
        var previous: VTOAStats? = nil
        var then = monotonicSeconds()
        var n = 0
        while true {
            let now = monotonicSeconds()
            let stats = try host.readStats()
            let rates = StatsRates(previous: previous, current: stats, seconds: now - then)
            out((n == 0 ? "" : "\n") + rates.text)
            previous = stats
            then = now
            n += 1
            if let count, n >= count { return }
            var want = timespec(tv_sec: Int(interval), tv_nsec: Int((interval - interval.rounded(.down)) * 1e9))
            var left = timespec()
            while nanosleep(&want, &left) != 0 && errno == EINTR { want = left }
        }
    }

    func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
