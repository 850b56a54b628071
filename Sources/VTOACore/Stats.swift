/// The module's counters from /proc/net/vtoa_stats: `name value` lines.
public struct VTOAStats: Equatable, Sendable {
    public static let path = "/proc/net/vtoa_stats"
    /// In file order.
    public var counters: [(name: String, value: UInt64)]

    public static func == (a: VTOAStats, b: VTOAStats) -> Bool {
        a.counters.map(\.name) == b.counters.map(\.name) && a.counters.map(\.value) == b.counters.map(\.value)
    }

    public init(counters: [(name: String, value: UInt64)] = []) { self.counters = counters }

    /// Any `name value` line; lines that are not (blank, headers) are skipped.
    public static func parse(_ text: String) -> VTOAStats {
        var out: [(name: String, value: UInt64)] = []
        for line in text.split(whereSeparator: { $0.isNewline }) {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" })
            guard f.count == 2, let v = UInt64(f[1]),
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

    public subscript(name: String) -> UInt64? {
        counters.first(where: { $0.name == name })?.value
    }

    /// Gauges; every other counter only goes up.
    public static let gauges: Set<String> = ["entries_live", "reqs_live"]

    public static let help: [String: String] = [
        "syn_recv_sock_toa": "Handshakes completed with a TOA option.",
        "syn_recv_sock_no_toa": "Handshakes completed without a TOA option.",
        "toa_v4": "IPv4 TOA options accepted.",
        "toa_v6": "IPv6 TOA options accepted.",
        "toa_malformed": "TOA options ignored because the option list or the TOA was malformed.",
        "toa_untrusted": "TOA options ignored because the packet did not come from trusted_sources.",
        "toa_multiple": "Segments carrying more than one TOA option (the first valid one wins).",
        "toa_tfo": "Kind-254 options ignored as TCP Fast Open cookies.",
        "toa_over_cap": "TOA options ignored because max_entries sockets already carry one.",
        "toa_alloc_fail": "TOA options dropped because memory could not be allocated.",
        "getname_toa_ok": "getpeername()/accept() calls answered with the TOA address.",
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
        .object(counters.map { ($0.name, .uint($0.value)) })
    }

    public var text: String {
        let w = counters.map(\.name.count).max() ?? 0
        return counters.map { $0.name + String(repeating: " ", count: w - $0.name.count + 2) + String($0.value) }
            .joined(separator: "\n") + (counters.isEmpty ? "" : "\n")
    }

    /// Prometheus text exposition format (node_exporter textfile collector).
    public var prometheus: String {
        var out = ""
        for c in counters {
            let metric = "vtoa_" + c.name
            let type = VTOAStats.gauges.contains(c.name) ? "gauge" : "counter"
            let help = VTOAStats.help[c.name] ?? "vtoa counter \(c.name) from /proc/net/vtoa_stats."
            out += "# HELP \(metric) \(help)\n# TYPE \(metric) \(type)\n\(metric) \(c.value)\n"
        }
        return out
    }
}
