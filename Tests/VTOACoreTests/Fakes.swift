@testable import VTOACore

/// An in-memory machine: files, directories, release, euid.
final class FakeFacts: SystemFacts {
    var files: [String: String] = [:]
    var directories: Set<String> = []
    var release = "6.1.0-28-amd64"
    var euid: UInt32 = 0
    var writes: [(String, String)] = []
    var failWrites: Set<String> = []

    func kernelRelease() -> String { release }
    func effectiveUID() -> UInt32 { euid }
    func readFile(_ path: String) -> String? { files[path] }
    func exists(_ path: String) -> Bool { files[path] != nil || directories.contains(path) }
    func listDirectory(_ path: String) -> [String]? {
        let prefix = path + "/"
        let names = Set((Array(files.keys) + Array(directories)).filter { $0.hasPrefix(prefix) && $0.count > prefix.count }
            .map { String($0.dropFirst(prefix.count).split(separator: "/")[0]) })
        return names.isEmpty && !directories.contains(path) ? nil : names.sorted()
    }
    func writeFile(_ path: String, _ contents: String) throws(FactsError) {
        if failWrites.contains(path) { throw FactsError("Invalid argument") }
        guard files[path] != nil else { throw FactsError("No such file or directory") }
        writes.append((path, contents))
        files[path] = contents
    }
    func readGzipFile(_ path: String) -> String? { files[path + "#gunzipped"] }

    /// Lays out /sys/module/vtoa as a loaded module with these parameters.
    func loadModule(parameters: [String: String] = ["getpeername": "Y", "getsockopt": "Y", "trusted_sources": "",
                                                     "max_entries": "1048576", "ipv6_kind254": "N"],
                    version: String = "1.0.0") {
        directories.insert("/sys/module/vtoa")
        directories.insert("/sys/module/vtoa/parameters")
        files["/sys/module/vtoa/version"] = version + "\n"
        for (k, v) in parameters { files["/sys/module/vtoa/parameters/\(k)"] = v + "\n" }
    }
}

final class FakeModules: ModuleControl {
    var loaded: [String: ModuleState] = [:]
    var files: [String: ModuleFile] = [:]
    var listError: VTOAError?
    var insertError: VTOAError?
    var inserted: [(String, String)] = []
    var removed: [String] = []
    var onInsert: ((String) -> Void)?

    func loadedModuleNames() throws(VTOAError) -> [String] {
        if let listError { throw listError }
        return loaded.keys.sorted()
    }
    func loadedModule(_ name: String) throws(VTOAError) -> ModuleState? {
        if let listError { throw listError }
        return loaded[name]
    }
    func moduleFile(_ name: String) throws(VTOAError) -> ModuleFile? { files[name] }
    /// modinfo of files by path (the kernel's own vtoa.ko).
    var infos: [String: ModuleFile] = [:]
    func moduleInfo(path: String) throws(VTOAError) -> ModuleFile? { infos[path] }
    func insert(_ name: String, options: String) throws(VTOAError) {
        if let insertError { throw insertError }
        inserted.append((name, options))
        loaded[name] = ModuleState(name: name)
        onInsert?(options)
    }
    func remove(_ name: String) throws(VTOAError) {
        guard loaded[name] != nil else { throw .moduleNotLoaded(name: name) }
        removed.append(name)
        loaded[name] = nil
    }
}

final class FakeServices: ServiceControl {
    var result: Result<UnitState, VTOAError> = .failure(.noSystemd(reason: "no /run/systemd/system"))
    var jobs: [(UnitJob, String)] = []
    var jobResult = "done"
    var enabled: [Bool] = []

    func state(of unit: String) throws(VTOAError) -> UnitState { try result.get() }
    func run(_ job: UnitJob, unit: String) throws(VTOAError) -> String {
        _ = try result.get()
        jobs.append((job, unit))
        if jobResult != "done" { throw .jobFailed(unit: unit, operation: job.verb, result: jobResult) }
        return jobResult
    }
    func setEnabled(_ enabled: Bool, unit: String) throws(VTOAError) -> [UnitFileChange] {
        _ = try result.get()
        self.enabled.append(enabled)
        return []
    }

    static func unit(_ active: String, _ sub: String, _ file: String, load: String = "loaded") -> Result<UnitState, VTOAError> {
        .success(UnitState(loadState: load, activeState: active, subState: sub, unitFileState: file))
    }
}

/// DKMS as a table of `dkms status` lines, changed by the steps the way
/// dkms 3 changes them.
final class FakeDKMS: DKMS {
    var state: DKMSState = .installed(version: "1.0.0")
    var missing = false
    var table: [DKMSEntry] = []
    var ran: [DKMSStep] = []
    var failOn: ((DKMSStep) -> Bool)?
    var failOutput = "dkms: Error! Bad return status for module build"

    func status(kernel: String) -> DKMSState { state }
    func entries() -> [DKMSEntry]? { missing ? nil : table }

    func run(_ step: DKMSStep) throws(VTOAError) -> String {
        if missing { throw .dkmsMissing }
        ran.append(step)
        if failOn?(step) == true { throw .dkmsFailed(command: step.commandLine + " (exit 10)", log: failOutput) }
        func fail(_ why: String) -> VTOAError { .dkmsFailed(command: step.commandLine + " (exit 3)", log: why) }
        switch step {
        case .add(let v):
            if table.contains(where: { $0.version == v }) { throw fail("already added") }
            table.append(DKMSEntry(version: v, kernel: nil, state: .added(version: v)))
        case .build(let v, let k, _):
            guard table.contains(where: { $0.version == v }) else { throw fail("not added") }
            table.removeAll { $0.version == v && ($0.kernel == k || $0.kernel == nil) }
            table.append(DKMSEntry(version: v, kernel: k, state: .built(version: v)))
        case .install(let v, let k, _):
            guard let i = table.firstIndex(where: { $0.version == v && $0.kernel == k }) else { throw fail("not built") }
            table[i].state = .installed(version: v)
        case .remove(let v, nil):
            table.removeAll { $0.version == v }
        case .remove(let v, let k?):
            table.removeAll { $0.version == v && $0.kernel == k }
            if !table.contains(where: { $0.version == v && $0.kernel != nil }) { table.removeAll { $0.version == v } }
        }
        return ""
    }
}

/// Programs attached to cgroups, by cgroup path and hook; or an error.
final class FakeBPF: CgroupBPF {
    var programs: [String: [GetpeernameHook: [AttachedProgram]]] = [:]
    var error: CgroupBPFError?
    var queried: [(String, GetpeernameHook)] = []

    func attachedPrograms(cgroup: String, hook: GetpeernameHook) throws(CgroupBPFError) -> [AttachedProgram] {
        queried.append((cgroup, hook))
        if let error { throw error }
        return programs[cgroup]?[hook] ?? []
    }
}

/// The eBPF backend without a loader process: attach lays out the pin
/// directory, the settings are a dictionary.
final class FakeEBPF: EBPFBackend {
    let facts: FakeFacts
    var loader: String? = "/usr/libexec/vtoa/vtoa-bpf"
    var settings: [String: String] = [:]
    var attachError: VTOAError?
    var setError: [String: VTOAError] = [:]
    var attached: [[(name: String, value: String)]] = []
    var detached = 0
    var sets: [(String, String)] = []
    var counters = "syn_recv_sock_toa 0\ntoa_v4 7\ntoa_malformed 0\ntoa_untrusted 0\nentries_live 2\n"

    init(facts: FakeFacts) { self.facts = facts }

    /// As after `vtoa-bpf attach` with these settings.
    func attachNow(_ s: [String: String] = ["trusted_sources": "", "getpeername": "1", "getsockopt": "1", "ipv6_kind254": "0"]) {
        settings = s
        settings["sockopt_errno"] = settings["sockopt_errno"] ?? "1"
        facts.directories.insert(ebpfPinDirectory)
    }

    func attach(_ s: [(name: String, value: String)]) throws(VTOAError) {
        if let attachError { throw attachError }
        attached.append(s)
        attachNow(Dictionary(uniqueKeysWithValues: s.map { ($0.name, $0.value) }))
    }
    func detach() throws(VTOAError) {
        detached += 1
        facts.directories.remove(ebpfPinDirectory)
        settings = [:]
    }
    func get(_ name: String) throws(VTOAError) -> String {
        guard let v = settings[name] else { throw .ebpfFailed(operation: "get", reason: "vtoa-bpf: get: no switch '\(name)'") }
        return v
    }
    func set(_ name: String, _ value: String) throws(VTOAError) {
        if let e = setError[name] { throw e }
        sets.append((name, value))
        settings[name] = value
    }
    func stats() throws(VTOAError) -> VTOAStats { VTOAStats.parse(counters) }
}

struct World {
    let facts = FakeFacts()
    let modules = FakeModules()
    let services = FakeServices()
    let dkms = FakeDKMS()
    let bpf = FakeBPF()
    let ebpf: FakeEBPF
    var modulesResult: Result<ModuleControl, VTOAError>? = nil

    var machine: Machine {
        Machine(facts: facts, modules: modulesResult ?? .success(modules), services: services, dkms: dkms, bpf: bpf, ebpf: ebpf)
    }

    /// By default without the eBPF loader (as before the backend existed).
    init(ebpfLoader: String? = nil) {
        ebpf = FakeEBPF(facts: facts)
        ebpf.loader = ebpfLoader
    }

    /// A healthy machine: supported kernel, module installed and loaded,
    /// service enabled and running, trusted_sources set.
    static func healthy() -> World {
        let w = World()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "trusted_sources = 100.64.0.0/10\n"
        w.facts.directories.insert("/lib/modules/6.1.0-28-amd64/build")
        w.facts.files["/boot/config-6.1.0-28-amd64"] = "CONFIG_KPROBES=y\nCONFIG_KRETPROBES=y\nCONFIG_DYNAMIC_FTRACE=y\nCONFIG_SECURITY_NETWORK=y\n"
        w.facts.files["/sys/kernel/security/lockdown"] = "[none] integrity confidentiality\n"
        w.facts.files["/sys/kernel/debug/kprobes/enabled"] = "1\n"
        w.facts.files["/proc/sys/kernel/ftrace_enabled"] = "1\n"
        w.facts.loadModule(parameters: ["getpeername": "Y", "getsockopt": "Y", "trusted_sources": "100.64.0.0/10",
                                        "max_entries": "1048576", "ipv6_kind254": "N"])
        w.facts.files["/proc/net/vtoa_stats"] = "syn_recv_sock_toa 10\ntoa_malformed 0\ntoa_untrusted 0\nentries_live 3\n"
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa", refcount: 0)
        w.modules.loaded["nf_conntrack"] = ModuleState(name: "nf_conntrack")
        w.modules.files["vtoa"] = ModuleFile(path: "/lib/modules/6.1.0-28-amd64/updates/dkms/vtoa.ko",
                                             vermagic: "6.1.0-28-amd64 SMP preempt mod_unload modversions", version: "1.0.0")
        w.facts.files["/sys/module/vtoa/srcversion"] = "0123456789ABCDEF0123456\n"
        w.facts.files["/proc/self/mounts"] = "sysfs /sys sysfs rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec 0 0\n"
        w.services.result = FakeServices.unit("active", "exited", "enabled")
        return w
    }
}

extension HandshakeRecord {
    /// A completed crafted handshake (SYN sent, SYN-ACK back) whose accepted
    /// socket answered 1348, 1349 and getpeername() with these.
    static func answered(_ s: SelftestSetup, addr: SockResult, toa: SockResult, peer: SockResult) -> HandshakeRecord {
        var r = HandshakeRecord()
        r.sent = [TCPPacket(source: s.proxy, destination: s.server, seq: 1, ack: 0, flags: [.syn])]
        r.received = TCPPacket(source: s.server, destination: s.proxy, seq: 9, ack: 2, flags: [.syn, .ack])
        r.getsockoptAddr = addr
        r.getsockoptTOA = toa
        r.getpeername = peer
        return r
    }
}
