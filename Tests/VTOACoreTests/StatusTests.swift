import Testing
@testable import VTOACore

@Suite struct StatusRendering {
    @Test func runningService() {
        let r = World.healthy().machine.status()
        #expect(r.exitCode == 0)
        #expect(r.text == """
        ● vtoa.service: active (exited), enabled
          backend: module (vtoa.conf: backend = auto)
           module: loaded, version 1.0.0, live, refcount 0
           params: getpeername=Y getsockopt=Y ipv6_kind254=N max_entries=1048576 trusted_sources=100.64.0.0/10
             dkms: installed (1.0.0) for 6.1.0-28-amd64
           kernel: 6.1.0-28-amd64: supported (upstream 6.1.0 is later than 5.10.134: getpeername and getsockopt)
         counters: syn_recv_sock_toa=10 toa_malformed=0 toa_untrusted=0 entries_live=3

        """)
        let j = r.json.render()
        #expect(j.hasPrefix("{\n  \"schema_version\": 1,"))
        #expect(j.contains("\"active_state\": \"active\""))
        #expect(j.contains("\"sub_state\": \"exited\""))
        #expect(j.contains("\"unit_file_state\": \"enabled\""))
        #expect(!j.contains("State\""), "one key style: snake_case")
        #expect(j.contains("\"entries_live\": 3"))
        #expect(j.contains("\"refcount\": 0"))
    }

    /// DKMS per installed kernel: the newest is what a default boot starts.
    @Test func dkmsPerKernel() throws {
        let w = World.healthy()
        w.facts.directories.insert("/lib/modules/6.1.0-28-amd64/kernel")
        w.facts.directories.insert("/lib/modules/6.12.9-1-amd64/kernel")
        w.facts.directories.insert("/lib/modules/5.10.0-32-amd64/kernel")
        w.facts.directories.insert("/lib/modules/6.0-leftover")   // no kernel/ tree, no modules.dep
        w.dkms.table = [DKMSEntry(version: "1.0.0", kernel: "6.1.0-28-amd64", state: .installed(version: "1.0.0")),
                        DKMSEntry(version: "1.0.0", kernel: "5.10.0-32-amd64", state: .built(version: "1.0.0"))]
        let r = w.machine.status()
        #expect(r.kernels.map(\.release) == ["5.10.0-32-amd64", "6.1.0-28-amd64", "6.12.9-1-amd64"])
        #expect(r.kernels.map(\.state) == [.built(version: "1.0.0"), .installed(version: "1.0.0"), .added(version: "1.0.0")])
        #expect(r.kernels.last?.newest == true && r.kernels[1].running)
        #expect(r.text.contains("added (1.0.0), not built for 6.12.9-1-amd64 (newest: a default boot starts it next)"), "\(r.text)")
        let j = r.json.render()
        #expect(j.contains("\"state\": \"added\""))
        #expect(j.contains("\"newest\": true"))
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
