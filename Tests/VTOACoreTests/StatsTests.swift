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
    some_future_counter 18446744073709551615

    not a counter line
    bad_value -1
    """

    @Test func parsesAnyName() {
        let s = VTOAStats.parse(sample)
        #expect(s.counters.map(\.name) == ["syn_recv_sock_toa", "syn_recv_sock_no_toa", "toa_v4", "toa_v6",
                                           "toa_malformed", "entries_live", "some_future_counter"])
        #expect(s["toa_v4"] == 10)
        #expect(s["some_future_counter"] == UInt64.max)
        #expect(s["missing"] == nil)
    }

    @Test func tabsColonsAndCRLF() {
        let s = VTOAStats.parse("toa_v4:\t5\r\ntoa_v6 6\r\n")
        #expect(s["toa_v4"] == 5)
        #expect(s["toa_v6"] == 6)
    }

    @Test func prometheus() {
        let p = VTOAStats.parse("toa_v4 10\nentries_live 7\nnew_thing 1\n").prometheus
        #expect(p == """
        # HELP vtoa_toa_v4 IPv4 TOA options accepted.
        # TYPE vtoa_toa_v4 counter
        vtoa_toa_v4 10
        # HELP vtoa_entries_live Sockets currently carrying a TOA address.
        # TYPE vtoa_entries_live gauge
        vtoa_entries_live 7
        # HELP vtoa_new_thing vtoa counter new_thing from /proc/net/vtoa_stats.
        # TYPE vtoa_new_thing counter
        vtoa_new_thing 1

        """)
    }

    @Test func everyKnownNameHasHelp() {
        for n in ["syn_recv_sock_toa", "syn_recv_sock_no_toa", "toa_v4", "toa_v6", "toa_malformed", "toa_untrusted",
                  "toa_multiple", "toa_tfo", "toa_over_cap", "toa_alloc_fail", "getname_toa_ok", "getname_toa_bypass",
                  "getname_toa_empty", "getsockopt_toa", "getsockopt_no_toa", "entries_live", "probe_missed",
                  "toa_syn", "toa_deferred", "toa_req_dropped", "toa_syn_cookie", "toa_stale", "reqs_live"] {
            #expect(VTOAStats.help[n] != nil, "\(n)")
        }
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
