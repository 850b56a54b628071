import Testing
@testable import VTOACore

@Suite struct StatsParsing {
    let sample = """
    syn_recv_sock_toa 12
    syn_recv_sock_no_toa 3
    toa_v4 10
    toa_v6 2
    toa_malformed 1
    entries_live 7
    reqs_live -1
    some_future_counter 18446744073709551615

    not a counter line
    bad_value x
    too_big 18446744073709551616
    too_small -9223372036854775809
    """

    @Test func parsesAnyName() {
        let s = VTOAStats.parse(sample)
        #expect(s.counters.map(\.name) == ["syn_recv_sock_toa", "syn_recv_sock_no_toa", "toa_v4", "toa_v6",
                                           "toa_malformed", "entries_live", "reqs_live", "some_future_counter"])
        #expect(s["toa_v4"] == 10)
        #expect(s["reqs_live"] == -1)
        #expect(s["some_future_counter"] == Int128(UInt64.max))
        #expect(s["missing"] == nil)
        #expect(VTOAStats.parse("x -9223372036854775808\n")["x"] == Int128(Int64.min))
    }

    @Test func tabsColonsAndCRLF() {
        let s = VTOAStats.parse("toa_v4:\t5\r\ntoa_v6 6\r\n")
        #expect(s["toa_v4"] == 5)
        #expect(s["toa_v6"] == 6)
    }

    static let info = """
        # HELP vtoa_module_loaded 1 when the vtoa module is loaded (/proc/net/vtoa_stats exists), else 0.
        # TYPE vtoa_module_loaded gauge

        """
    static func ebpf(_ v: Int) -> String {
        "# HELP vtoa_ebpf_attached 1 when the eBPF backend's programs are attached (/sys/fs/bpf/vtoa), else 0.\n" +
            "# TYPE vtoa_ebpf_attached gauge\nvtoa_ebpf_attached \(v)\n"
    }
    static let infoHelp = """
        # HELP vtoa_info Always 1; labels: the vtoa module's version (the tool's when the module is not loaded), the kernel release, the backend.
        # TYPE vtoa_info gauge

        """

    @Test func prometheus() {
        let s = VTOAStats.parse("toa_v4 10\nentries_live 7\nnew_thing 1\nnew_thing_live 2\nprobe_missed 0\n")
        let p = PrometheusStats(stats: s, version: "1.0.0", kernel: "6.1.0-28-amd64").text
        #expect(p == Self.info + "vtoa_module_loaded 1\n" + Self.ebpf(0) + Self.infoHelp + """
        vtoa_info{version="1.0.0",kernel="6.1.0-28-amd64",backend="kmod"} 1
        # HELP vtoa_toa_v4_total IPv4 TOA options accepted.
        # TYPE vtoa_toa_v4_total counter
        vtoa_toa_v4_total 10
        # HELP vtoa_entries_live Sockets currently carrying a TOA address.
        # TYPE vtoa_entries_live gauge
        vtoa_entries_live 7
        # HELP vtoa_new_thing_total vtoa counter new_thing from /proc/net/vtoa_stats.
        # TYPE vtoa_new_thing_total counter
        vtoa_new_thing_total 1
        # HELP vtoa_new_thing_live vtoa gauge new_thing_live from /proc/net/vtoa_stats.
        # TYPE vtoa_new_thing_live gauge
        vtoa_new_thing_live 2
        # HELP vtoa_probe_missed_total Kernel probe hits the module missed.
        # TYPE vtoa_probe_missed_total counter
        vtoa_probe_missed_total 0

        """)
    }

    /// The kernel sums per-CPU values: a gauge decremented on one CPU and
    /// incremented on another can be read as -1. It is kept, signed.
    @Test func negativeGaugeKept() {
        let s = VTOAStats.parse("entries_live -1\nreqs_live -3\ntoa_v4 5\n")
        let p = PrometheusStats(stats: s, version: "1.0.0", kernel: "k").text
        #expect(p.contains("\n# TYPE vtoa_entries_live gauge\nvtoa_entries_live -1\n"))
        #expect(p.contains("\n# TYPE vtoa_reqs_live gauge\nvtoa_reqs_live -3\n"))
        #expect(p.contains("\nvtoa_toa_v4_total 5\n"))
        #expect(s.text == "entries_live  -1\nreqs_live     -3\ntoa_v4        5\n")
        #expect(s.json.render() == "{\n  \"entries_live\": -1,\n  \"reqs_live\": -3,\n  \"toa_v4\": 5\n}")
    }

    /// Every counter but the gauges ends in _total; no family is repeated.
    @Test func prometheusNamesFollowTheConventions() {
        let s = VTOAStats.parse(sample + "\ntoa_v4 11\n")
        let lines = PrometheusStats(stats: s, version: "v", kernel: "k").text.split(separator: "\n")
        let types = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ") }
        #expect(types.count == 11)
        #expect(Set(types.map { $0[2] }).count == types.count)
        for t in types {
            #expect(t[3] == "counter" ? t[2].hasSuffix("_total") : !t[2].hasSuffix("_total"), "\(t)")
        }
        #expect(lines.filter { $0.hasPrefix("vtoa_toa_v4_total ") } == ["vtoa_toa_v4_total 10"])
        #expect(lines.contains("vtoa_some_future_counter_total 18446744073709551615"))
        #expect(lines.contains("vtoa_reqs_live -1"))
    }

    @Test func labelValuesAndHelpEscaped() {
        let p = PrometheusStats(stats: nil, version: "1.0\"beta\\2\nx", kernel: "6.1.0-28-amd64").text
        #expect(p.contains("\nvtoa_info{version=\"1.0\\\"beta\\\\2\\nx\",kernel=\"6.1.0-28-amd64\",backend=\"kmod\"} 1\n"))
        #expect(PrometheusStats.escapeLabel("a\\b\"c\nd") == #"a\\b\"c\nd"#)
        #expect(PrometheusStats.escapeHelp("a\\b\"c\nd") == #"a\\b"c\nd"#)
    }

    @Test func prometheusNotLoaded() throws {
        let w = World()
        w.facts.release = "6.1.0-28-amd64"
        let p = try w.machine.prometheusStats(toolVersion: "0.1.0")
        #expect(p == PrometheusStats(stats: nil, version: "0.1.0", kernel: "6.1.0-28-amd64"))
        #expect(p.text == Self.info + "vtoa_module_loaded 0\n" + Self.ebpf(0) + Self.infoHelp + """
        vtoa_info{version="0.1.0",kernel="6.1.0-28-amd64",backend="kmod"} 1

        """)
    }

    @Test func prometheusLoaded() throws {
        let w = World.healthy()
        w.facts.loadModule(version: "1.2.3")
        w.facts.files["/proc/net/vtoa_stats"] = "toa_v4 3\nentries_live -1\n"
        let p = try w.machine.prometheusStats(toolVersion: "0.1.0")
        #expect(p == PrometheusStats(stats: VTOAStats(counters: [("toa_v4", 3), ("entries_live", -1)]),
                                     version: "1.2.3", kernel: "6.1.0-28-amd64"))
        #expect(p.text.contains("\nvtoa_module_loaded 1\n"))
        #expect(p.text.contains("\nvtoa_info{version=\"1.2.3\",kernel=\"6.1.0-28-amd64\",backend=\"kmod\"} 1\n"))
        #expect(p.text.hasSuffix("\nvtoa_toa_v4_total 3\n# HELP vtoa_entries_live Sockets currently carrying a TOA address.\n# TYPE vtoa_entries_live gauge\nvtoa_entries_live -1\n"))
        // a module without a version file: not the tool's version
        w.facts.files["/sys/module/vtoa/version"] = nil
        #expect(try w.machine.prometheusStats(toolVersion: "0.1.0").version == "unknown")
    }

    /// The file exists but cannot be read: still an error, as in the other formats.
    @Test func prometheusUnreadable() {
        let w = World()
        w.facts.directories.insert("/proc/net/vtoa_stats")
        #expect(throws: VTOAError.statsUnavailable(path: "/proc/net/vtoa_stats", reason: "not readable")) {
            try w.machine.prometheusStats(toolVersion: "0.1.0")
        }
    }

    @Test func everyKnownNameHasHelp() {
        for n in ["syn_recv_sock_toa", "syn_recv_sock_no_toa", "toa_v4", "toa_v6", "toa_malformed", "toa_untrusted",
                  "toa_multiple", "toa_tfo", "toa_over_cap", "toa_alloc_fail", "getname_toa_ok", "getname_toa_bypass",
                  "getname_toa_empty", "getsockopt_toa", "getsockopt_no_toa", "entries_live", "probe_missed",
                  "toa_syn", "toa_deferred", "toa_req_dropped", "toa_syn_cookie", "toa_stale", "reqs_live",
                  "getname_toa_mismatch", "toa_kind254_len20"] {
            #expect(VTOAStats.help[n] != nil, "\(n)")
        }
    }

    /// The counter list is kmod/include/uapi/vtoa_stats.h: the module's
    /// enum and names are expanded from it, the tool reads it through
    /// CShared; stats.c prints every global entry itself.
    @Test func countersComeFromTheModulesList() throws {
        let repo = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/"))
        let list = try #require(HostFacts().readFile(repo + "/kmod/include/uapi/vtoa_stats.h"))
        var names: [String] = [], gauges: Set<String> = [], globals: [String] = []
        for line in list.split(separator: "\n") where line.hasPrefix("VTOA_STAT(") || line.hasPrefix("VTOA_GLOBAL_STAT(") {
            let args = line.split(separator: "(", maxSplits: 1)[1].split(separator: ",").map { $0.trimmingSpaces() }
            names.append(args[0])
            if args[1] == "GAUGE" { gauges.insert(args[0]) }
            if line.hasPrefix("VTOA_GLOBAL_STAT(") { globals.append(args[0]) }
        }
        #expect(names.count == 25)
        #expect(StatSpec.all.map(\.name) == names)
        #expect(Set(VTOAStats.help.keys) == Set(names))
        #expect(VTOAStats.gauges == gauges && gauges == ["entries_live", "reqs_live"])
        #expect(names.filter { VTOAStats.isGauge($0) }.count == gauges.count)
        let c = try #require(HostFacts().readFile(repo + "/kmod/stats.c"))
        #expect(c.contains("#include \"include/uapi/vtoa_stats.h\""))
        for g in globals { #expect(c.contains("seq_printf(seq, \"\(g) "), "stats.c prints \(g)") }
        #expect(StatSpec.all.allSatisfy { !$0.help.isEmpty })
    }

    @Test func jsonAndText() {
        let s = VTOAStats.parse("toa_v4 10\nentries_live 7\n")
        #expect(s.json.render() == "{\n  \"toa_v4\": 10,\n  \"entries_live\": 7\n}")
        #expect(s.text == "toa_v4        10\nentries_live  7\n")
    }

    @Test func notLoaded() {
        let facts = FakeFacts()
        #expect(throws: VTOAError.statsUnavailable(path: "/proc/net/vtoa_stats", reason: "it does not exist: the module is not loaded")) {
            try VTOAStats.read(facts: facts)
        }
    }
}

@Suite struct DKMSParsing {
    @Test func dkms3() {
        #expect(DKMSState.parse("vtoa/1.0.0, 6.1.0-28-amd64, x86_64: installed\n") == .installed(version: "1.0.0"))
        #expect(DKMSState.parse("vtoa/1.0.0, 6.1.0-28-amd64, x86_64: built\n") == .built(version: "1.0.0"))
        #expect(DKMSState.parse("vtoa/1.0.0: added\n") == .added(version: "1.0.0"))
    }

    @Test func dkms2() {
        #expect(DKMSState.parse("vtoa, 0.9, 5.10.134-17.al8.x86_64, x86_64: installed") == .installed(version: "0.9"))
    }

    @Test func bestOfSeveralAndOthersIgnored() {
        let out = "vtoa/0.9: added\ntoa/1.0, 6.1.0-28-amd64, x86_64: installed\nvtoa/1.0, 6.1.0-28-amd64, x86_64: installed (WARNING! Diff between built and installed module!)\n"
        #expect(DKMSState.parse(out) == .installed(version: "1.0"))
        #expect(DKMSState.parse("") == .notAdded)
        #expect(DKMSState.parse("Error! no such thing") == .notAdded)
    }
}

@Suite struct JSONRendering {
    @Test func escapes() {
        #expect(JSON.string("a\"b\\c\nd\u{1}").render() == "\"a\\\"b\\\\c\\nd\\u0001\"")
        #expect(JSON.object([]).render() == "{}")
        #expect(JSON.array([.null, .bool(true), .int(-1)]).render() == "[\n  null,\n  true,\n  -1\n]")
    }
}

@Suite struct StatsWatchRates {
    @Test func ratesForCountersNotGauges() {
        let a = VTOAStats.parse("toa_v4 10\nentries_live 3\ntoa_v6 7\n")
        let b = VTOAStats.parse("toa_v4 30\nentries_live 1\ntoa_v6 5\n")
        let r = StatsRates(previous: a, current: b, seconds: 2)
        #expect(r.rate("toa_v4") == 10)
        #expect(r.rate("entries_live") == nil)
        #expect(r.rate("toa_v6") == nil, "a counter that went down (module reloaded) has no rate")
        #expect(r.text == "name          value      /s\ntoa_v4           30      10\nentries_live      1   gauge\ntoa_v6            5       -\n")
        let first = StatsRates(previous: nil, current: b, seconds: 0)
        #expect(first.rate("toa_v4") == nil)
        #expect(first.text.contains("toa_v4           30       -"))
        #expect(StatsRates(previous: a, current: VTOAStats.parse("toa_v4 11\n"), seconds: 4).rate("toa_v4") == 0.25)
    }
}
