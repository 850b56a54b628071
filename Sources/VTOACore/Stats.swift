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
    public static let gauges: Set<String> = ["entries_live", "reqs_live"]

    public static func isGauge(_ name: String) -> Bool {
        gauges.contains(name) || (help[name] == nil && name.hasSuffix("_live"))
    }

    public static let help: [String: String] = [
        "syn_recv_sock_toa": "Handshakes completed with a TOA option.",
        "syn_recv_sock_no_toa": "Handshakes completed without a TOA option.",
        "toa_v4": "IPv4 TOA options accepted.",
        "toa_v6": "IPv6 TOA options accepted.",
        "toa_malformed": "TOA options ignored because the option list or the TOA was malformed.",
        "toa_untrusted": "TOA options ignored because the packet did not come from trusted_sources.",
        "toa_multiple": "Segments carrying more than one TOA option (the first valid one wins).",
        "toa_tfo": "Kind-254 options ignored as TCP Fast Open cookies.",
        "toa_kind254_len20": "Kind-254 length-20 options ignored because ipv6_kind254 is off.",
        "toa_over_cap": "TOA options ignored because max_entries sockets already carry one.",
        "toa_alloc_fail": "TOA options dropped because memory could not be allocated.",
        "getname_toa_ok": "getpeername()/accept() calls answered with the TOA address.",
        "getname_toa_mismatch": "getpeername()/accept() calls whose TOA could not be expressed for the caller (the real peer was returned).",
        "getname_toa_bypass": "getpeername() calls answered with the real peer (kernel callers or getpeername=0).",
        "getname_toa_empty": "getpeername() calls on sockets without a TOA.",
        "getsockopt_toa": "getsockopt(1348/1349) calls answered with a TOA address.",
        "getsockopt_no_toa": "getsockopt(1348/1349) calls on sockets without a TOA.",
        "entries_live": "Sockets currently carrying a TOA address.",
        "probe_missed": "Kernel probe hits the module missed.",
        "toa_syn": "TOA options read from a SYN and kept until the connection was created.",
        "toa_deferred": "TOA options read from a bare ACK held back by TCP_DEFER_ACCEPT and kept until the connection was created.",
        "toa_req_dropped": "Kept TOA options whose handshake was abandoned or reset before a connection existed.",
        "toa_syn_cookie": "TOA options on a SYN answered with a SYN cookie: the kernel keeps no state, so they are lost.",
        "toa_stale": "Entries dropped because their socket was gone (a missed destruction); never answered.",
        "reqs_live": "Handshakes in progress holding a TOA address.",
    ]

    public var json: JSON {
        .object(counters.map { ($0.name, $0.value < 0 ? .int(Int64($0.value)) : .uint(UInt64($0.value))) })
    }

    public var text: String {
        let w = counters.map(\.name.count).max() ?? 0
        return counters.map { $0.name + String(repeating: " ", count: w - $0.name.count + 2) + String($0.value) }
            .joined(separator: "\n") + (counters.isEmpty ? "" : "\n")
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

    public init(stats: VTOAStats?, version: String, kernel: String, backend: String = "kmod") {
        self.stats = stats
        self.version = version
        self.kernel = kernel
        self.backend = backend
    }

    /// `vtoa_module_loaded` and `vtoa_info` always; with the module loaded,
    /// every counter as `vtoa_<name>_total` (a counter) and every gauge as
    /// `vtoa_<name>` (signed, as the kernel printed it).
    public var text: String {
        var out = family("vtoa_module_loaded", "gauge", "1 when the vtoa module is loaded (\(VTOAStats.path) exists), else 0.")
        out += "vtoa_module_loaded \(stats == nil ? 0 : 1)\n"
        out += family("vtoa_info", "gauge", "Always 1; labels: the vtoa module's version (the tool's when the module is not loaded), the kernel release, the backend.")
        out += "vtoa_info{version=\"\(Self.escapeLabel(version))\",kernel=\"\(Self.escapeLabel(kernel))\",backend=\"\(Self.escapeLabel(backend))\"} 1\n"
        var seen: Set<String> = ["vtoa_module_loaded", "vtoa_info"]
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
    public static func escapeLabel(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// HELP text: backslash and line feed escaped.
    public static func escapeHelp(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
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
        guard facts.exists(VTOAStats.path) else {
            return PrometheusStats(stats: nil, version: toolVersion, kernel: kernel)
        }
        let stats = try VTOAStats.read(facts: facts)
        let version = facts.readFile(sysfsDirectory + "/version")?.trimmingWhitespace()
        return PrometheusStats(stats: stats, version: version.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown", kernel: kernel)
    }
}
