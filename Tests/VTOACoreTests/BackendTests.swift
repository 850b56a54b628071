import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import VTOACore

/// vtoa.conf's `backend`, and load/unload/reload/stats/status/doctor across
/// the module and the eBPF backend.
@Suite struct BackendConfig {
    @Test func parsesTheChoice() throws {
        #expect(try VTOAConfig.parse("", file: "f").backend == .auto)
        #expect(try VTOAConfig.parse("backend = ebpf\n", file: "f").backend == .ebpf)
        #expect(try VTOAConfig.parse("backend = Module # the DKMS one\n", file: "f").backend == .module)
        #expect(try VTOAConfig.parse("backend=auto", file: "f").backendSetting == .auto)
    }

    @Test func refusesABadValueOrARepeat() {
        #expect(throws: VTOAError.badConfig(file: "f", line: 2, key: "backend", message: "'bpf' is not auto, module or ebpf")) {
            try VTOAConfig.parse("getpeername = yes\nbackend = bpf\n", file: "f")
        }
        #expect(throws: VTOAError.badConfig(file: "f", line: 3, key: "backend", message: "set again (first set on line 1)")) {
            try VTOAConfig.parse("backend = ebpf\n\nbackend = module\n", file: "f")
        }
    }
}

@Suite struct BackendLoad {
    static let headersLine = "module vtoa is not built for kernel 6.1.0-28-amd64: its headers are not installed"

    @Test func ebpfAttachesWithTheModulesParameters() throws {
        let w = World(ebpfLoader: "/usr/libexec/vtoa/vtoa-bpf")
        w.facts.files["/etc/vtoa/vtoa.conf"] = "backend = ebpf\ntrusted_sources = 10.0.0.1/8\nipv6_kind254 = yes\nmax_entries = 10\n"
        let (outcome, params) = try w.machine.load(force: false)
        #expect(outcome == .attached(settings: "trusted_sources=10.0.0.0/8 getpeername=1 getsockopt=1 ipv6_kind254=1"))
        #expect(w.modules.inserted.isEmpty)
        #expect(params.notes.contains { $0.hasPrefix("max_entries does not apply to the eBPF backend") })
        // the kernel policy applies to both: getpeername only on 5.10.134-15
        let w2 = World(ebpfLoader: "/x")
        w2.facts.release = "5.10.134-15.al8.x86_64"
        w2.facts.files["/etc/vtoa/vtoa.conf"] = "backend = ebpf\n"
        #expect(try w2.machine.load(force: false).0 == .attached(settings: "trusted_sources= getpeername=1 getsockopt=0 ipv6_kind254=0"))
    }

    @Test func ebpfWithoutTheLoaderOrOnAnOldKernel() {
        let w = World()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "backend = ebpf\n"
        #expect(throws: VTOAError.ebpfUnavailable(reason: w.ebpf.unavailableReason)) { try w.machine.load(force: false) }
        let old = World(ebpfLoader: "/x")
        old.facts.release = "5.4.0-150-generic"
        old.facts.files["/etc/vtoa/vtoa.conf"] = "backend = ebpf\n"
        do {
            _ = try old.machine.load(force: true)
            Issue.record("attached on 5.4")
        } catch let e {
            #expect(e.exitCode == 26)
            #expect(e.message.contains("kernel 5.4.0-150-generic is older than 5.10"))
        }
        #expect(old.ebpf.attached.isEmpty)
    }

    @Test func neverBoth() {
        let w = World(ebpfLoader: "/x")
        w.facts.loadModule()
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        w.facts.files["/etc/vtoa/vtoa.conf"] = "backend = ebpf\n"
        #expect(throws: VTOAError.backendConflict(active: .module, wanted: .ebpf)) { try w.machine.load(force: false) }
        #expect(VTOAError.backendConflict(active: .module, wanted: .ebpf).exitCode == 28)
        let v = World(ebpfLoader: "/x")
        v.ebpf.attachNow()
        v.facts.files["/etc/vtoa/vtoa.conf"] = "backend = module\n"
        #expect(throws: VTOAError.backendConflict(active: .ebpf, wanted: .module)) { try v.machine.load(force: false) }
        #expect(v.modules.inserted.isEmpty)
        #expect(w.ebpf.attached.isEmpty)
    }

    @Test func autoPrefersTheModule() throws {
        let w = World(ebpfLoader: "/x")
        w.modules.files["vtoa"] = ModuleFile(path: "/lib/modules/6.1.0-28-amd64/updates/dkms/vtoa.ko")
        let (outcome, _) = try w.machine.load(force: false)
        guard case .inserted = outcome else { Issue.record("\(outcome)"); return }
        #expect(w.ebpf.attached.isEmpty)
    }

    @Test func autoFallsBackWithoutHeaders() throws {
        let w = World(ebpfLoader: "/x")
        w.modules.insertError = .moduleNotFound(name: "vtoa", kernel: "6.1.0-28-amd64")
        let (outcome, params) = try w.machine.load(force: false)
        guard case .attached = outcome else { Issue.record("\(outcome)"); return }
        #expect(params.notes.count == 1)
        #expect(params.notes[0].hasPrefix("the module cannot be used (\(Self.headersLine)"))
        #expect(params.notes[0].hasSuffix("); backend = auto: using the eBPF backend"))
    }

    @Test func autoFallsBackWhenSignaturesAreEnforced() throws {
        let w = World(ebpfLoader: "/x")
        w.facts.files["/sys/module/module/parameters/sig_enforce"] = "Y\n"
        w.modules.files["vtoa"] = ModuleFile(path: "/lib/modules/6.1.0-28-amd64/updates/dkms/vtoa.ko")
        let (outcome, params) = try w.machine.load(force: false)
        guard case .attached = outcome else { Issue.record("\(outcome)"); return }
        #expect(w.modules.inserted.isEmpty)
        #expect(params.notes[0].contains("module signatures"))
        #expect(params.notes[0].contains("mokutil --import"))
        // backend = module: the refusal, exit 25
        w.ebpf.facts.directories.remove(ebpfPinDirectory)
        w.facts.files["/etc/vtoa/vtoa.conf"] = "backend = module\n"
        do {
            _ = try w.machine.load(force: false)
            Issue.record("loaded")
        } catch let e { #expect(e.exitCode == 25) }
    }

    @Test func autoWithoutTheLoaderKeepsTheModulesError() {
        let w = World()
        w.modules.insertError = .moduleNotFound(name: "vtoa", kernel: "6.1.0-28-amd64")
        do {
            _ = try w.machine.load(force: false)
            Issue.record("loaded")
        } catch let e {
            #expect(e.exitCode == 14)
            #expect(e.message.hasPrefix(Self.headersLine))
        }
    }

    @Test func autoNamesBothWhenNeitherServes() {
        let w = World(ebpfLoader: "/x")
        w.modules.insertError = .moduleNotFound(name: "vtoa", kernel: "6.1.0-28-amd64")
        w.ebpf.attachError = .ebpfFailed(operation: "attach", reason: "vtoa-bpf: load of program vtoa_sockops failed: Permission denied")
        do {
            _ = try w.machine.load(force: false)
            Issue.record("loaded")
        } catch let e {
            #expect(e.exitCode == 26)
            #expect(e.message.hasPrefix("no backend can serve this machine (backend = auto): module: \(Self.headersLine)"))
            #expect(e.message.contains("; eBPF: eBPF backend attach failed: vtoa-bpf: load of program vtoa_sockops failed: Permission denied"))
            #expect(!e.message.contains("\n"))
        }
        #expect(!w.facts.exists(ebpfPinDirectory))
    }

    @Test func autoAppliesTheConfigToAttachedPrograms() throws {
        let w = World(ebpfLoader: "/x")
        w.ebpf.attachNow()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "trusted_sources = 192.0.2.0/24\ngetpeername = no\n"
        let (outcome, _) = try w.machine.load(force: false)
        #expect(outcome == .alreadyAttached(changes: [ParameterChange(name: "trusted_sources", old: "", new: "192.0.2.0/24"),
                                                      ParameterChange(name: "getpeername", old: "1", new: "0")]))
        #expect(w.ebpf.attached.isEmpty)
        #expect(w.modules.inserted.isEmpty)
        #expect(try w.machine.load(force: false).0 == .alreadyAttached(changes: []))
    }

    @Test func aFailedSetIsUndone() {
        let w = World(ebpfLoader: "/x")
        w.ebpf.attachNow()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "backend = ebpf\ntrusted_sources = 192.0.2.0/24\nipv6_kind254 = yes\n"
        w.ebpf.setError["ipv6_kind254"] = .ebpfFailed(operation: "set", reason: "vtoa-bpf: set ipv6_kind254: Operation not permitted")
        #expect(throws: VTOAError.ebpfFailed(operation: "set", reason: "vtoa-bpf: set ipv6_kind254: Operation not permitted")) {
            try w.machine.reload(force: false)
        }
        #expect(w.ebpf.settings["trusted_sources"] == "")
        #expect(w.ebpf.sets.map(\.0) == ["trusted_sources", "trusted_sources"])
    }

    @Test func unloadRemovesWhicheverIsActive() throws {
        let w = World(ebpfLoader: "/x")
        w.ebpf.attachNow()
        #expect(try w.machine.unload() == [.ebpf])
        #expect(w.ebpf.detached == 1)
        #expect(try w.machine.unload() == [])
        // both (loaded by hand): both go
        w.ebpf.attachNow()
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        #expect(try w.machine.unload() == [.ebpf, .module])
        // an eBPF-only host without module support
        var n = World(ebpfLoader: "/x")
        n.modulesResult = .failure(.noModuleSupport(reason: "no /proc/modules"))
        n.ebpf.attachNow()
        #expect(try n.machine.unload() == [.ebpf])
    }

    @Test func reloadOnTheEBPFBackend() throws {
        let w = World(ebpfLoader: "/x")
        w.ebpf.attachNow()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "getpeername = no\n"
        let (changes, _) = try w.machine.reload(force: false)
        #expect(changes == [ParameterChange(name: "getpeername", old: "1", new: "0")])
        #expect(w.ebpf.settings["getpeername"] == "0")
        w.facts.files["/etc/vtoa/vtoa.conf"] = "backend = module\n"
        #expect(throws: VTOAError.backendConflict(active: .ebpf, wanted: .module)) { try w.machine.reload(force: false) }
    }
}

@Suite struct BackendReports {
    @Test func statsComeFromTheActiveBackend() throws {
        let w = World(ebpfLoader: "/x")
        #expect(throws: VTOAError.self) { try w.machine.readStats() }
        w.ebpf.attachNow()
        #expect(try w.machine.readStats()["toa_v4"] == 7)
        let p = try w.machine.prometheusStats(toolVersion: "9.9.9")
        #expect(p.text.contains("\nvtoa_module_loaded 0\n"))
        #expect(p.text.contains("\nvtoa_ebpf_attached 1\n"))
        #expect(p.text.contains("backend=\"ebpf\"} 1\n"))
        #expect(p.text.contains("\nvtoa_toa_v4_total 7\n"))
        #expect(p.text.contains("\nvtoa_entries_live 2\n"))
    }

    @Test func statusShowsTheBackend() {
        let w = World(ebpfLoader: "/x")
        w.ebpf.attachNow(["trusted_sources": "192.0.2.0/24", "getpeername": "1", "getsockopt": "1", "ipv6_kind254": "0"])
        w.facts.files["/etc/vtoa/vtoa.conf"] = "backend = ebpf\n"
        let r = w.machine.status()
        #expect(r.text.contains("  backend: ebpf, programs attached to the cgroup v2 root (/sys/fs/bpf/vtoa) (vtoa.conf: backend = ebpf)\n"))
        #expect(r.text.contains("     ebpf: trusted_sources=192.0.2.0/24 getpeername=1 getsockopt=1 ipv6_kind254=0\n"))
        #expect(r.text.contains(" counters: "))
        #expect(r.exitCode == 0)   // no systemd: running means a backend serves
        let json = r.json.render()
        #expect(json.contains("\"backend\": {\n    \"active\": [\n      \"ebpf\"\n    ],\n    \"configured\": \"ebpf\""), "\(json)")
        let none = World()
        #expect(none.machine.status().text.contains("  backend: none active (vtoa.conf: backend = auto)\n"))
        #expect(none.machine.status().exitCode == 3)
    }

    @Test func doctorWithTheEBPFBackendServing() {
        // signatures enforced, the module unsigned: auto took eBPF
        let w = World.healthy()
        w.modules.loaded["vtoa"] = nil
        for f in w.facts.files.keys where f.hasPrefix("/sys/module/vtoa") { w.facts.files[f] = nil }
        w.facts.directories = w.facts.directories.filter { !$0.hasPrefix("/sys/module/vtoa") }
        w.facts.files["/proc/net/vtoa_stats"] = nil
        w.facts.files["/sys/module/module/parameters/sig_enforce"] = "Y\n"
        w.ebpf.loader = "/usr/libexec/vtoa/vtoa-bpf"
        w.ebpf.attachNow()
        let r = w.machine.doctor()
        let byID = Dictionary(r.checks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(r.exitCode == 0, "\(r.text)")
        #expect(byID["backend"]?.status == .ok)
        #expect(byID["backend"]?.summary.hasPrefix("the eBPF backend serves (backend = auto): the module cannot be used (the kernel enforces module signatures") == true, "\(byID["backend"]?.summary ?? "")")
        #expect(byID["signing"]?.status == .warn)
        #expect(byID["module-loaded"]?.status == .skip)
        #expect(byID["counters"]?.status == .ok)
        #expect(r.checks.first?.id == "kernel")
        #expect(r.checks[1].id == "backend")
    }

    @Test func doctorFailsBothBackendsAndAMissingConfiguredOne() {
        let w = World.healthy()
        w.ebpf.loader = "/x"
        w.ebpf.attachNow()
        let r = w.machine.doctor()
        #expect(r.exitCode == 1)
        #expect(r.rootCause?.id == "backend")
        #expect(r.rootCause?.summary.hasPrefix("both backends are active") == true)
        let e = World.healthy()
        e.facts.files["/etc/vtoa/vtoa.conf"] = "backend = ebpf\n"
        let d = e.machine.doctor()
        #expect(d.checks.first { $0.id == "backend" }?.summary == "the module is loaded but /etc/vtoa/vtoa.conf says backend = ebpf")
        #expect(d.checks.first { $0.id == "ebpf" }?.status == .fail)   // no loader, and ebpf wanted
    }

    @Test func vtoasOwnProgramsAreNotARival() {
        let w = World.healthy()
        w.ebpf.attachNow()
        w.bpf.programs["/sys/fs/cgroup"] = [.getpeername4: [AttachedProgram(id: 7, name: "vtoa_getpeernam")],
                                            .getpeername6: [AttachedProgram(id: 8, name: "vtoa_getpeernam")]]
        #expect(w.machine.doctor().checks.first { $0.id == "bpf-getpeername" }?.status == .ok)
        w.bpf.programs["/sys/fs/cgroup"]?[.getpeername4]?.append(AttachedProgram(id: 9, name: "vtoa_test_gpn"))
        #expect(w.machine.doctor().checks.first { $0.id == "bpf-getpeername" }?.status == .warn)
        // not attached (someone else's programs by that name): counted
        let n = World.healthy()
        n.bpf.programs["/sys/fs/cgroup"] = [.getpeername4: [AttachedProgram(id: 7, name: "vtoa_getpeernam")]]
        #expect(n.machine.doctor().checks.first { $0.id == "bpf-getpeername" }?.status == .warn)
    }

    @Test func selftestExpectsWhatTheProgramsAnswer() throws {
        let w = World(ebpfLoader: "/x")
        w.ebpf.attachNow(["trusted_sources": "203.0.113.0/24", "getpeername": "1", "getsockopt": "1", "ipv6_kind254": "0",
                          "sockopt_errno": "0"])
        let e = try w.machine.selftestExpectation()
        // the selftest's proxy is not in trusted_sources: 1349 without a TOA; 5.10 leaves ENOPROTOOPT
        #expect(e.getsockoptTOA == .error(ENOPROTOOPT))
        #expect(e.describe.hasPrefix("vtoa's eBPF backend: getpeername=1 getsockopt=1"))
    }
}

/// ProcessEBPFBackend: the loader's command lines, and the real process.
@Suite struct ProcessEBPF {
    final class Calls: @unchecked Sendable { var list: [[String]] = [] }

    @Test func commandLinesAndTheLoadersLine() throws {
        let calls = Calls()
        let b = ProcessEBPFBackend(loader: "/l") { path, args in
            calls.list.append([path] + args)
            if args.first == "attach" {
                return (1, "libbpf: noise\nvtoa-bpf: load of program vtoa_sockops failed: Invalid argument (verifier log in /run/vtoa-bpf-verifier.log)\n")
            }
            return (0, args.first == "get" ? "192.0.2.0/24\n" : "toa_v4 3\nentries_live -1\n")
        }
        #expect(throws: VTOAError.ebpfFailed(operation: "attach", reason: "vtoa-bpf: load of program vtoa_sockops failed: Invalid argument (verifier log in /run/vtoa-bpf-verifier.log)")) {
            try b.attach([("trusted_sources", "192.0.2.0/24"), ("getpeername", "1"), ("ipv6_kind254", "0")])
        }
        #expect(calls.list[0] == ["/l", "attach", "--trusted", "192.0.2.0/24", "--getpeername", "1", "--ipv6-kind254", "0"])
        #expect(try b.get("trusted_sources") == "192.0.2.0/24")
        #expect(try b.stats()["entries_live"] == -1)
        try b.set("trusted_sources", "")
        #expect(calls.list.last == ["/l", "set", "trusted_sources", ""])
        let none = ProcessEBPFBackend(loader: nil)
        #expect(throws: VTOAError.ebpfUnavailable(reason: none.unavailableReason)) { try none.detach() }
    }

    @Test func theRealProcess() throws {
        let dir = NSTemporaryDirectory() + "vtoa-bpf-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loader = dir + "/vtoa-bpf"
        // written with O_CLOEXEC: a process another test spawns meanwhile
        // must not inherit the open file (exec would fail with ETXTBSY)
        let script = "#!/bin/sh\ncase \"$1\" in\nget) echo \"got $2\" ;;\n" +
            "detach) echo 'vtoa-bpf: not attached (/sys/fs/bpf/vtoa missing)' >&2; exit 1 ;;\nesac\n"
        let fd = open(loader, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        _ = Array(script.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #expect(ProcessEBPFBackend.findLoader(environment: loader) == nil)   // not executable yet
        chmod(loader, 0o755)
        #expect(ProcessEBPFBackend.findLoader(environment: loader) == loader)
        #expect(ProcessEBPFBackend.findLoader(environment: nil, defaultPath: dir + "/none") == nil)
        #expect(ProcessEBPFBackend.findLoader(environment: "", defaultPath: loader) == loader)
        let b = ProcessEBPFBackend(loader: loader)
        #expect(try b.get("getsockopt") == "got getsockopt")
        #expect(throws: VTOAError.ebpfFailed(operation: "detach", reason: "vtoa-bpf: not attached (/sys/fs/bpf/vtoa missing)")) { try b.detach() }
        let gone = ProcessEBPFBackend(loader: dir + "/missing")
        #expect(throws: VTOAError.ebpfUnavailable(reason: "cannot run \(dir)/missing")) { try gone.stats() }
    }
}
