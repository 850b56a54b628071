import Testing
@testable import VTOACore

@Suite struct EffectiveConfigLogic {
    @Test func sourcesAndReloadDiff() throws {
        let w = World.healthy()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "trusted_sources = 10.0.0.1/8\nmax_entries = 4096\n"
        w.facts.files["/sys/module/vtoa/parameters/trusted_sources"] = "10.0.0.0/8\n"
        w.facts.files["/sys/module/vtoa/parameters/max_entries"] = "1048576\n"
        let e = try w.machine.effectiveConfig()
        let by = Dictionary(uniqueKeysWithValues: e.entries.map { ($0.spec.name, $0) })
        #expect(e.entries.map(\.spec.name) == ParameterSpec.all.map(\.name))
        #expect(by["trusted_sources"]?.source == .file && by["trusted_sources"]?.value.moduleText == "10.0.0.0/8")
        #expect(by["trusted_sources"]?.differs == false)
        #expect(by["max_entries"]?.source == .file && by["max_entries"]?.differs == true)
        #expect(by["getsockopt"]?.source == .policy)
        #expect(by["ipv6_kind254"]?.source == .default)
        #expect(e.text.contains("max_entries     = 4096  (file)  loaded: 1048576, 'vtoa reload' changes it"), "\(e.text)")
        #expect(e.json.render().contains("\"schema_version\": 1"))
    }

    @Test func getpeernameOnlyKernelIsPolicy() throws {
        let w = World.healthy()
        w.facts.release = "5.10.134-16.al8.x86_64"
        let e = try w.machine.effectiveConfig()
        let gso = try #require(e.entries.first { $0.spec.name == "getsockopt" })
        #expect(gso.value == .bool(false) && gso.source == .policy)
        #expect(e.notes.contains { $0.contains("getsockopt=0") })
    }

    @Test func unsupportedKernelStillChecksTheFile() throws {
        let w = World.healthy()
        w.facts.release = "4.19.91-27.al7.x86_64"
        #expect(throws: Never.self) { try w.machine.effectiveConfig() }
        w.facts.files["/etc/vtoa/vtoa.conf"] = "max_entries = 100000000\n"
        #expect(throws: VTOAError.self) { try w.machine.effectiveConfig() }
    }

    @Test func notLoadedShowsNoModuleValues() throws {
        let w = World()
        let e = try w.machine.effectiveConfig()
        #expect(e.entries.allSatisfy { $0.loaded == nil && !$0.differs })
        #expect(!e.fileExists)
    }
}
