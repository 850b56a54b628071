#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Which implementation gives applications the real client: the kernel
/// module (kmod/) or the eBPF programs (bpf/) attached to the cgroup v2 root.
public enum Backend: String, Equatable, Sendable, CaseIterable {
    case module, ebpf

    /// The label of `vtoa_info{backend=...}` (the module's is "kmod").
    public var metricLabel: String { self == .module ? "kmod" : "ebpf" }
}

/// vtoa.conf's `backend`: a backend, or `auto` (the module where it can be
/// loaded, the eBPF backend where it cannot).
public enum BackendChoice: String, Equatable, Sendable, CaseIterable {
    case auto, module, ebpf

    public static let key = "backend"
    public static let documentation = "Which backend vtoa load uses: module (the kernel module DKMS builds), ebpf (eBPF programs attached to the cgroup v2 root: no module, no headers, works with Secure Boot; needs a 5.10 or later kernel), or auto: the module where it can be loaded, the eBPF backend where it cannot (module signatures enforced and the module not signed by a trusted key, no headers, no module built)."
    public static let valuesText = "auto, module or ebpf"

    public static func parse(_ text: String) -> BackendChoice? {
        BackendChoice(rawValue: text.lowercased())
    }
}

/// Where the eBPF programs are pinned while attached (bpf/vtoa-bpf.c).
public let ebpfPinDirectory = "/sys/fs/bpf/vtoa"

/// The eBPF backend, driven through its loader (bpf/vtoa-bpf: libbpf,
/// linked statically, the object inside). The loader's names are the
/// module's parameter and counter names.
public protocol EBPFBackend: AnyObject {
    /// The loader's path; nil when it is not installed (the reason is
    /// `unavailableReason`).
    var loader: String? { get }
    /// Attaches and pins the programs with these switches; one line (the
    /// loader's, naming the program and the verifier's reason) on failure.
    func attach(_ settings: [(name: String, value: String)]) throws(VTOAError)
    /// Detaches and unpins everything.
    func detach() throws(VTOAError)
    /// A setting of the attached programs (`trusted_sources`, `getpeername`, ...).
    func get(_ name: String) throws(VTOAError) -> String
    func set(_ name: String, _ value: String) throws(VTOAError)
    /// The counters, as /proc/net/vtoa_stats' `name value` lines.
    func stats() throws(VTOAError) -> VTOAStats
}

extension EBPFBackend {
    public var unavailableReason: String {
        "the eBPF loader is not installed (\(ProcessEBPFBackend.defaultLoader)); reinstall the vtoa package"
    }
}

/// Runs a program: exit status and stdout+stderr, nil when it cannot be
/// started. `runCapturing` in production.
public typealias ProcessRunner = @Sendable (String, [String]) -> (status: Int32, output: String)?

/// The eBPF backend through its loader process.
public final class ProcessEBPFBackend: EBPFBackend {
    public static let defaultLoader = "/usr/libexec/vtoa/vtoa-bpf"
    public let loader: String?
    let runner: ProcessRunner

    public init(loader: String?, runner: @escaping ProcessRunner = { runCapturing($0, $1) }) {
        self.loader = loader
        self.runner = runner
    }

    /// `VTOA_BPF_LOADER` when set (a build tree, the VM bench), else
    /// /usr/libexec/vtoa/vtoa-bpf; nil when it is not executable.
    public static func findLoader(environment: String?, defaultPath: String = defaultLoader) -> String? {
        let p = environment.flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
        return access(p, X_OK) == 0 ? p : nil
    }

    func run(_ args: [String]) throws(VTOAError) -> String {
        guard let loader else { throw .ebpfUnavailable(reason: unavailableReason) }
        guard let (status, output) = runner(loader, args) else {
            throw .ebpfUnavailable(reason: "cannot run \(loader)")
        }
        guard status == 0 else {
            // the loader's one line ("vtoa-bpf: load of program X failed: ...")
            let line = output.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
            throw .ebpfFailed(operation: args.first ?? "", reason: line)
        }
        return output
    }

    public func attach(_ settings: [(name: String, value: String)]) throws(VTOAError) {
        var args = ["attach"]
        for (name, value) in settings {
            args += ["--" + (name == "trusted_sources" ? "trusted" : name.replacingUnderscores()), value]
        }
        _ = try run(args)
    }

    public func detach() throws(VTOAError) { _ = try run(["detach"]) }

    public func get(_ name: String) throws(VTOAError) -> String {
        try run(["get", name]).trimmingWhitespace()
    }

    public func set(_ name: String, _ value: String) throws(VTOAError) {
        // an empty trusted_sources is "" (believe a TOA from anyone, as the module)
        _ = try run(["set", name, value])
    }

    public func stats() throws(VTOAError) -> VTOAStats {
        VTOAStats.parse(try run(["stats"]))
    }
}

extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}

/// What the eBPF backend takes of the module's parameters: every one but
/// max_entries (socket storage lives and dies with its socket: no table to
/// bound), as the loader names them.
public enum EBPFSettings {
    public static let names = ["trusted_sources", "getpeername", "getsockopt", "ipv6_kind254"]

    public static func from(_ p: ModuleParameters) -> [(name: String, value: String)] {
        names.map { name in
            let v = p.byName[name] ?? ParameterSpec.named(name)?.defaultParameterValue ?? .bool(false)
            if case .bool(let b) = v { return (name, b ? "1" : "0") }
            return (name, v.moduleText)
        }
    }

    /// Whether the loader's answer means the same as `wanted`.
    public static func same(_ name: String, current: String, wanted: String) -> Bool {
        ModuleParameters.same(name, current: current, wanted: wanted)
    }
}
