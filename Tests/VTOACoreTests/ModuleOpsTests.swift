import Testing
@testable import VTOACore

@Suite struct LoadParameters {
    func verdict(_ r: String) throws -> KernelVerdict { try KernelPolicy.verdict(forRelease: r) }

    @Test func defaultsOnFullKernel() throws {
        let p = try ModuleParameters.plan(verdict: verdict("6.1.0-28-amd64"), config: VTOAConfig(), force: false)
        #expect(p.options == "getpeername=1 getsockopt=1 max_entries=1048576 ipv6_kind254=0")
        #expect(p.notes.isEmpty)
    }

    @Test func getpeernameOnlyKernelTurnsGetsockoptOff() throws {
        let p = try ModuleParameters.plan(verdict: verdict("5.10.134-16.al8.x86_64"), config: VTOAConfig(), force: false)
        #expect(p.getsockopt == false)
        #expect(p.getpeername == true)
        #expect(p.options.contains("getsockopt=0"))
        #expect(p.notes.count == 1)
    }

    @Test func configValuesPassThrough() throws {
        let cfg = try VTOAConfig.parse("trusted_sources = 100.64.0.0/10,2001:db8::/32\ngetpeername = no\nmax_entries = 10\nipv6_kind254 = yes", file: "c")
        let p = try ModuleParameters.plan(verdict: verdict("5.10.134-17.2.al8.x86_64"), config: cfg, force: false)
        #expect(p.options == "getpeername=0 getsockopt=1 trusted_sources=100.64.0.0/10,2001:db8::/32 max_entries=10 ipv6_kind254=1")
    }

    @Test func unsupportedRefusedUnlessForced() throws {
        let v = try verdict("5.10.134-14.al8.x86_64")
        #expect(throws: VTOAError.kernelUnsupported(release: "5.10.134-14.al8.x86_64", reason: v.reason)) {
            try ModuleParameters.plan(verdict: v, config: VTOAConfig(), force: false)
        }
        let p = try ModuleParameters.plan(verdict: v, config: VTOAConfig(), force: true)
        #expect(p.getsockopt && p.getpeername)
        #expect(p.notes.first?.contains("--force") == true)
    }

    @Test func sameValue() {
        #expect(ModuleParameters.same("getpeername", current: "Y", wanted: "1"))
        #expect(!ModuleParameters.same("getpeername", current: "N", wanted: "1"))
        #expect(ModuleParameters.same("trusted_sources", current: "10.0.0.0/8, 1.2.3.4", wanted: "10.0.0.0/8,1.2.3.4/32"))
        #expect(ModuleParameters.same("trusted_sources", current: "(null)", wanted: ""))
        #expect(!ModuleParameters.same("max_entries", current: "10", wanted: "11"))
    }
}

@Suite struct LoadUnloadReload {
    @Test func loadInsertsWithComputedOptions() throws {
        let w = World()
        w.facts.release = "5.10.134-15.al8.x86_64"
        w.facts.files["/etc/vtoa/vtoa.conf"] = "trusted_sources = 10.0.0.0/8\n"
        let (outcome, params) = try w.machine.load(force: false)
        #expect(outcome == .inserted(options: "getpeername=1 getsockopt=0 trusted_sources=10.0.0.0/8 max_entries=1048576 ipv6_kind254=0"))
        #expect(w.modules.inserted.map(\.0) == ["vtoa"])
        #expect(params.getsockopt == false)
    }

    @Test func loadNeedsRoot() {
        let w = World()
        w.facts.euid = 1000
        #expect(throws: VTOAError.notRoot(command: "load")) { try w.machine.load(force: false) }
        #expect(w.modules.inserted.isEmpty)
        #expect(VTOAError.notRoot(command: "load").exitCode == 77)
    }

    @Test func badConfigLoadsNothing() {
        let w = World()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "max_entries = lots\n"
        #expect(throws: VTOAError.self) { try w.machine.load(force: false) }
        #expect(w.modules.inserted.isEmpty)
    }

    @Test func unsupportedKernelLoadsNothing() throws {
        let w = World()
        w.facts.release = "4.19.91-27.al7.x86_64"
        #expect(throws: VTOAError.self) { try w.machine.load(force: false) }
        #expect(w.modules.inserted.isEmpty)
        _ = try w.machine.load(force: true)
        #expect(w.modules.inserted.count == 1)
    }

    @Test func unparsableKernel() {
        let w = World()
        w.facts.release = "weird"
        #expect(throws: VTOAError.unparsableRelease("weird")) { try w.machine.load(force: true) }
    }

    @Test func loadWhenLoadedAppliesConfig() throws {
        let w = World()
        w.facts.loadModule()
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        w.facts.files["/etc/vtoa/vtoa.conf"] = "getpeername = no\n"
        let (outcome, _) = try w.machine.load(force: false)
        #expect(outcome == .alreadyLoaded(changes: [ParameterChange(name: "getpeername", old: "Y", new: "0")]))
        #expect(w.modules.inserted.isEmpty)
    }

    @Test func moduleFileMissing() {
        let w = World()
        w.facts.directories.insert("/lib/modules/6.1.0-28-amd64/build")   // headers there: DKMS's problem
        w.modules.insertError = .moduleNotFound(name: "vtoa", kernel: "/lib/modules/6.1.0-28-amd64")
        #expect(throws: VTOAError.moduleNotFound(name: "vtoa", kernel: "/lib/modules/6.1.0-28-amd64")) {
            try w.machine.load(force: false)
        }
    }

    @Test func moduleFileMissingWithoutHeaders() {
        let w = World()
        w.facts.directories.remove("/lib/modules/6.1.0-28-amd64/build")
        w.facts.files["/etc/os-release"] = "ID=debian\n"
        w.modules.insertError = .moduleNotFound(name: "vtoa", kernel: "/lib/modules/6.1.0-28-amd64")
        let e = VTOAError.moduleNotBuiltNoHeaders(name: "vtoa", release: "6.1.0-28-amd64",
                                                  install: "apt install linux-headers-6.1.0-28-amd64")
        #expect(throws: e) { try w.machine.load(force: false) }
        #expect(e.exitCode == VTOAError.moduleNotFound(name: "vtoa", kernel: "k").exitCode)
        #expect(e.message.contains("run: apt install linux-headers-6.1.0-28-amd64 && systemctl restart vtoa"))
        #expect(!e.message.contains("\n"))
    }

    @Test func noModuleSupport() {
        var w = World()
        w.modulesResult = .failure(.noModuleSupport(reason: "x"))
        #expect(throws: VTOAError.noModuleSupport(reason: "x")) { try w.machine.load(force: false) }
    }

    @Test func unloadIsIdempotent() throws {
        let w = World()
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        #expect(try w.machine.unload() == [.module])
        #expect(try w.machine.unload() == [])
        #expect(w.modules.removed == ["vtoa"])
    }

    @Test func reloadWritesOnlyChanges() throws {
        let w = World()
        w.facts.loadModule()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "trusted_sources = 10.0.0.0/8, 2001:db8::/32\nmax_entries = 1048576\n"
        let (changes, _) = try w.machine.reload(force: false)
        #expect(changes == [ParameterChange(name: "trusted_sources", old: "", new: "10.0.0.0/8,2001:db8::/32")])
        #expect(w.facts.writes.map(\.0) == ["/sys/module/vtoa/parameters/trusted_sources"])
        #expect(w.facts.writes.map(\.1) == ["10.0.0.0/8,2001:db8::/32"])
        // Second time: nothing to do.
        w.facts.writes = []
        #expect(try w.machine.reload(force: false).0.isEmpty)
        #expect(w.facts.writes.isEmpty)
    }

    @Test func ipv6Kind254IsPassedOnLoadAndReload() throws {
        let w = World()
        w.modules.files["vtoa"] = ModuleFile(path: "/lib/modules/6.1.0-28-amd64/updates/dkms/vtoa.ko")
        w.facts.files["/etc/vtoa/vtoa.conf"] = "ipv6_kind254 = yes\n"
        let (outcome, _) = try w.machine.load(force: false)
        #expect(outcome == .inserted(options: "getpeername=1 getsockopt=1 max_entries=1048576 ipv6_kind254=1"))
        // Loaded with it off: reload turns it on, then off again.
        w.facts.loadModule()
        #expect(try w.machine.reload(force: false).0 == [ParameterChange(name: "ipv6_kind254", old: "N", new: "1")])
        #expect(w.facts.writes.map(\.0) == ["/sys/module/vtoa/parameters/ipv6_kind254"])
        w.facts.files["/etc/vtoa/vtoa.conf"] = "ipv6_kind254 = no\n"
        #expect(try w.machine.reload(force: false).0 == [ParameterChange(name: "ipv6_kind254", old: "1", new: "0")])
        // 'vtoa load' on the loaded module applies it the same way.
        w.facts.files["/etc/vtoa/vtoa.conf"] = "ipv6_kind254 = on\n"
        let (again, _) = try w.machine.load(force: false)
        #expect(again == .alreadyLoaded(changes: [ParameterChange(name: "ipv6_kind254", old: "0", new: "1")]))
    }

    @Test func reloadClearsTrustedSourcesWithNewline() throws {
        let w = World()
        w.facts.loadModule(parameters: ["trusted_sources": "10.0.0.0/8"])
        let (changes, _) = try w.machine.reload(force: false)
        #expect(changes.map(\.name) == ["trusted_sources"])
        #expect(w.facts.writes.first?.1 == "\n")
    }

    @Test func reloadOnGetpeernameOnlyKernel() throws {
        let w = World()
        w.facts.release = "5.10.134-16.al8.x86_64"
        w.facts.loadModule()
        let (changes, _) = try w.machine.reload(force: false)
        #expect(changes == [ParameterChange(name: "getsockopt", old: "Y", new: "0")])
    }

    @Test func reloadRollsBackOnFailedWrite() {
        let w = World()
        w.facts.loadModule()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "getpeername = no\nmax_entries = 5\n"
        w.facts.failWrites.insert("/sys/module/vtoa/parameters/max_entries")
        #expect(throws: VTOAError.parameterWriteFailed(path: "/sys/module/vtoa/parameters/max_entries", reason: "Invalid argument")) {
            try w.machine.reload(force: false)
        }
        #expect(w.facts.writes.map(\.1) == ["0", "1"])  // written, then put back
        #expect(w.facts.files["/sys/module/vtoa/parameters/getpeername"] == "1")
    }

    @Test func reloadNotLoaded() {
        let w = World()
        #expect(throws: VTOAError.moduleNotLoaded(name: "vtoa")) { try w.machine.reload(force: false) }
    }
}
