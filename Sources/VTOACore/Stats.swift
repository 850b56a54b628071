/// The module's counters from /proc/net/vtoa_stats: `name value` lines.
public struct VTOAStats: Equatable, Sendable {
    public static let path = "/proc/net/vtoa_stats"
    /// In file order. The kernel prints its per-CPU sums signed (`%lld`):
    /// a gauge can be read as -1 while one CPU's decrement is seen before
    /// another's increment; `probe_missed` is unsigned (`%lu`). Int128 holds
    /// both ranges exactly.
    public var counters: [(name: String, value: Int128)]

    public static func == (a: VTOAStats, b: VTOAStats) -> Bool {
        a.counters.map(\.name) == b.counters.map(\.name) && a.counters.map(\.value) == b.counters.map(\.value)
    }

    public init(counters: [(name: String, value: Int128)] = []) { self.counters = counters }

    /// Any `name value` line whose value is an integer the kernel can print
    /// (Int64.min...UInt64.max); lines that are not (blank, headers) are skipped.
    public static func parse(_ text: String) -> VTOAStats {
        var out: [(name: String, value: Int128)] = []
        for line in text.split(whereSeparator: { $0.isNewline }) {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" })
            guard f.count == 2, let v = Int128(f[1]), v >= Int128(Int64.min), v <= Int128(UInt64.max),
                  f[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else { continue }
            out.append((String(f[0]), v))
        }
        return VTOAStats(counters: out)
    }

    public static func read(facts: SystemFacts) throws(VTOAError) -> VTOAStats {
        guard let text = facts.readFile(path) else {
            throw .statsUnavailable(path: path, reason: facts.exists(path) ? "not readable" : "it does not exist: the module is not loaded")
        }
        return parse(text)
    }

    public subscript(name: String) -> Int128? {
        counters.first(where: { $0.name == name })?.value
    }

    /// Gauges (the kernel adds and subtracts: table.c's `live` counts);
    /// every other value only goes up. A name the tool does not know yet is
    /// a gauge when it ends in `_live`, as the module names its gauges.
    public static let gauges: Set<String> = Set(StatSpec.all.filter { $0.gauge }.map(\.name))

    public static func isGauge(_ name: String) -> Bool {
        gauges.contains(name) || (help[name] == nil && name.hasSuffix("_live"))
    }

    /// The help line of each counter, from kmod/include/uapi/vtoa_stats.h.
    public static let help: [String: String] = Dictionary(uniqueKeysWithValues: StatSpec.all.map { ($0.name, $0.help) })

    public var json: JSON {
        .object(counters.map { ($0.name, $0.value < 0 ? .int(Int64($0.value)) : .uint(UInt64($0.value))) })
    }

    public var text: String {
        let w = counters.map(\.name.count).max() ?? 0
        return counters.map { $0.name + String(repeating: " ", count: w - $0.name.count + 2) + String($0.value) }
            .joined(separator: "\n") + (counters.isEmpty ? "" : "\n")
    }
}

/// `vtoa stats --watch`: two samples of the counters and the seconds
/// between them; counters get a rate per second, gauges their value.
public struct StatsRates: Equatable, Sendable {
    public var previous: VTOAStats?
    public var current: VTOAStats
    public var seconds: Double

    public init(previous: VTOAStats?, current: VTOAStats, seconds: Double) {
        self.previous = previous
        self.current = current
        self.seconds = seconds
    }

    /// Per second since the previous sample; nil for a gauge, for the
    /// first sample, and for a counter that went down (the module was
    /// reloaded in between).
    public func rate(_ name: String) -> Double? {
        guard let prev = previous?[name], let now = current[name], seconds > 0,
              !VTOAStats.isGauge(name), now >= prev else { return nil }
        return Double(Int64(clamping: now - prev)) / seconds
    }

    public var text: String {
        let w = max(current.counters.map(\.name.count).max() ?? 0, 4)
        let values = current.counters.map { String($0.value) }
        let vw = max(values.map(\.count).max() ?? 0, 5)
        var lines = ["name".padded(to: w) + "  " + String(repeating: " ", count: vw - 5) + "value" + "      /s"]
        for (c, v) in zip(current.counters, values) {
            let r: String
            if VTOAStats.isGauge(c.name) {
                r = "   gauge"
            } else if let x = rate(c.name) {
                let t = x >= 100 || x == x.rounded() ? String(Int64(x.rounded())) : String(Double(Int64(x * 10)) / 10)
                r = String(repeating: " ", count: max(0, 8 - t.count)) + t
            } else {
                r = "       -"
            }
            lines.append(c.name.padded(to: w) + "  " + String(repeating: " ", count: vw - v.count) + v + r)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `vtoa stats --prometheus`: the text exposition format (version 0.0.4)
/// that Prometheus scrapes and node_exporter's textfile collector reads.
public struct PrometheusStats: Equatable, Sendable {
    /// nil: the module is not loaded (no /proc/net/vtoa_stats).
    public var stats: VTOAStats?
    /// The loaded module's version, else the tool's.
    public var version: String
    /// `uname -r`.
    public var kernel: String
    public var backend: String
    /// The eBPF backend's programs are attached (its counters are `stats`).
    public var ebpfAttached: Bool

    public init(stats: VTOAStats?, version: String, kernel: String, backend: String = "kmod", ebpfAttached: Bool = false) {
        self.stats = stats
        self.ebpfAttached = ebpfAttached
        self.version = version
        self.kernel = kernel
        self.backend = backend
    }

    /// `vtoa_module_loaded` and `vtoa_info` always; with the module loaded,
    /// every counter as `vtoa_<name>_total` (a counter) and every gauge as
    /// `vtoa_<name>` (signed, as the kernel printed it).
    public var text: String {
        var out = family("vtoa_module_loaded", "gauge", "1 when the vtoa module is loaded (\(VTOAStats.path) exists), else 0.")
        out += "vtoa_module_loaded \(stats == nil || ebpfAttached ? 0 : 1)\n"
        out += family("vtoa_ebpf_attached", "gauge", "1 when the eBPF backend's programs are attached (\(ebpfPinDirectory)), else 0.")
        out += "vtoa_ebpf_attached \(ebpfAttached ? 1 : 0)\n"
        out += family("vtoa_info", "gauge", "Always 1; labels: the vtoa module's version (the tool's when the module is not loaded), the kernel release, the backend.")
        out += "vtoa_info{version=\"\(Self.escapeLabel(version))\",kernel=\"\(Self.escapeLabel(kernel))\",backend=\"\(Self.escapeLabel(backend))\"} 1\n"
        var seen: Set<String> = ["vtoa_module_loaded", "vtoa_ebpf_attached", "vtoa_info"]
        for c in stats?.counters ?? [] {
            let gauge = VTOAStats.isGauge(c.name)
            let metric = "vtoa_" + c.name + (gauge ? "" : "_total")
            // a family appears once (a repeated line would be rejected)
            guard seen.insert(metric).inserted else { continue }
            let help = VTOAStats.help[c.name] ?? "vtoa \(gauge ? "gauge" : "counter") \(c.name) from \(VTOAStats.path)."
            out += family(metric, gauge ? "gauge" : "counter", help) + "\(metric) \(c.value)\n"
        }
        return out
    }

    func family(_ metric: String, _ type: String, _ help: String) -> String {
        "# HELP \(metric) \(Self.escapeHelp(help))\n# TYPE \(metric) \(type)\n"
    }

    /// A label value: backslash, double quote and line feed escaped.
    public static func escapeLabel(_ s: String) -> String { escape(s, quotes: true) }

    /// HELP text: backslash and line feed escaped.
    public static func escapeHelp(_ s: String) -> String { escape(s, quotes: false) }

    /// The exposition format's escapes; a double quote only in label values.
    static func escape(_ s: String, quotes: Bool) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"" where quotes: out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

extension Machine {
    /// What `vtoa stats --prometheus` prints. A missing /proc/net/vtoa_stats
    /// is the module not loaded (`vtoa_module_loaded 0`), not an error; an
    /// unreadable one still is.
    public func prometheusStats(toolVersion: String) throws(VTOAError) -> PrometheusStats {
        let kernel = facts.kernelRelease()
        if ebpfIsAttached && !facts.exists(VTOAStats.path) {
            return PrometheusStats(stats: try readStats(), version: toolVersion, kernel: kernel, backend: Backend.ebpf.metricLabel,
                                   ebpfAttached: true)
        }
        guard facts.exists(VTOAStats.path) else {
            return PrometheusStats(stats: nil, version: toolVersion, kernel: kernel)
        }
        let stats = try VTOAStats.read(facts: facts)
        let version = facts.readFile(sysfsDirectory + "/version")?.trimmingWhitespace()
        return PrometheusStats(stats: stats, version: version.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown", kernel: kernel)
    }
}
