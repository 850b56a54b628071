import Testing
@testable import VTOACore

@Suite struct StatusRendering {
    @Test func runningService() {
        let r = World.healthy().machine.status()
        #expect(r.exitCode == 0)
        #expect(r.text == """
        ● vtoa.service: active (exited), enabled
           module: loaded, version 1.0.0, live, refcount 0
           params: getpeername=Y getsockopt=Y ipv6_kind254=N max_entries=1048576 trusted_sources=100.64.0.0/10
             dkms: installed (1.0.0) for 6.1.0-28-amd64
           kernel: 6.1.0-28-amd64: supported (upstream 6.1.0 is later than 5.10.134: getpeername and getsockopt)
         counters: syn_recv_sock_toa=10 toa_malformed=0 toa_untrusted=0 entries_live=3

        """)
        let j = r.json.render()
        #expect(j.contains("\"ActiveState\": \"active\""))
        #expect(j.contains("\"SubState\": \"exited\""))
        #expect(j.contains("\"UnitFileState\": \"enabled\""))
        #expect(j.contains("\"entries_live\": 3"))
        #expect(j.contains("\"refcount\": 0"))
    }

    @Test func exitCodesAsSystemctl() {
        let w = World.healthy()
        w.services.result = FakeServices.unit("inactive", "dead", "enabled")
        #expect(w.machine.status().exitCode == 3)
        w.services.result = FakeServices.unit("failed", "failed", "enabled")
        #expect(w.machine.status().exitCode == 3)
        #expect(w.machine.status().text.hasPrefix("× vtoa.service: failed (failed)"))
        w.services.result = FakeServices.unit("inactive", "dead", "", load: "not-found")
        #expect(w.machine.status().exitCode == 4)
        w.services.result = .failure(.noSuchUnit("vtoa.service"))
        #expect(w.machine.status().exitCode == 4)
    }

    @Test func noSystemdFallsBackToModuleState() {
        let w = World.healthy()
        w.services.result = .failure(.noSystemd(reason: "no /run/systemd/system"))
        #expect(w.machine.status().exitCode == 0)
        w.modules.loaded["vtoa"] = nil
        let r = w.machine.status()
        #expect(r.exitCode == 3)
        #expect(r.text.hasPrefix("○ vtoa.service: unknown: systemd is not running here (no /run/systemd/system)"))
        #expect(r.text.contains("   module: not loaded\n"))
        #expect(r.json.render().contains("\"available\": false"))
        #expect(r.json.render().contains("\"counters\": null"))
    }

    @Test func unparsableKernel() {
        let w = World.healthy()
        w.facts.release = "mystery"
        let r = w.machine.status()
        #expect(r.text.contains("   kernel: cannot parse kernel release 'mystery'"))
        #expect(r.json.render().contains("\"verdict\": \"unparsable\""))
    }
}
