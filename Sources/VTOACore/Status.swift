#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `vtoa status`: the service, the module, DKMS, the kernel verdict and the
/// counters, gathered once and rendered as text or JSON.
public struct StatusReport: Sendable {
    public var unit: String
    public var service: Result<UnitState, VTOAError>
    public var module: ModuleReport
    public var release: String
    public var kernel: Result<KernelVerdict, VTOAError>
    public var dkms: DKMSState
    /// Every installed kernel (/lib/modules), newest last, with DKMS's
    /// state of vtoa for it; the newest is the one a default boot loader
    /// starts next.
    public var kernels: [KernelDKMS] = []
    public var stats: VTOAStats?
    /// The backends active now; vtoa.conf's `backend` (nil: unreadable file).
    public var backends: [Backend] = []
    public var configuredBackend: BackendChoice? = nil
    /// The eBPF programs' settings (as the loader reports them) when attached.
    public var ebpfSettings: [(name: String, value: String)] = []

    /// As `systemctl status` (LSB): 0 running, 3 not running, 4 unknown
    /// (no such unit, or without systemd a kernel whose modules cannot be
    /// listed: doctor's "cannot tell"). Without systemd, "running" means
    /// the module is loaded.
    public var exitCode: Int32 {
        switch service {
        case .success(let s):
            if !s.exists { return 4 }
            return s.isActive ? 0 : 3
        case .failure(.noSuchUnit):
            return 4
        case .failure:
            if module.loaded || backends.contains(.ebpf) { return 0 }
            return module.error != nil ? 4 : 3
        }
    }

    public var json: JSON {
        let serviceJSON: JSON
        switch service {
        case .success(let s):
            serviceJSON = .object([
                ("unit", .string(unit)), ("available", .bool(true)),
                ("load_state", .string(s.loadState)), ("active_state", .string(s.activeState)),
                ("sub_state", .string(s.subState)), ("unit_file_state", .string(s.unitFileState))])
        case .failure(let e):
            serviceJSON = .object([("unit", .string(unit)), ("available", .bool(false)), ("error", .string(e.message))])
        }
        var moduleFields: [(String, JSON)] = [("loaded", .bool(module.loaded))]
        if let st = module.state {
            moduleFields += [("state", .string(st.initState)), ("refcount", .int(Int64(st.refcount))),
                             ("holders", .array(st.holders.map { .string($0) }))]
        }
        moduleFields.append(("version", .str(module.version)))
        moduleFields.append(("parameters", .object(module.parameters.map { ($0.name, .string($0.value)) })))
        if let e = module.error { moduleFields.append(("error", .string(e.message))) }
        let kernelJSON: JSON
        switch kernel {
        case .success(let v): kernelJSON = v.json
        case .failure(let e): kernelJSON = .object([("release", .string(release)), ("verdict", .string("unparsable")), ("reason", .string(e.message))])
        }
        return .object([
            ("schema_version", .int(1)),
            ("service", serviceJSON),
            ("backend", .object([
                ("active", .array(backends.map { .string($0.rawValue) })),
                ("configured", .str(configuredBackend?.rawValue)),
                ("ebpf", .object([("attached", .bool(backends.contains(.ebpf))),
                                  ("settings", .object(ebpfSettings.map { ($0.name, .string($0.value)) }))])),
            ])),
            ("module", .object(moduleFields)),
            ("dkms", .object([
                ("available", .bool(dkms != .dkmsMissing)),
                ("kernels", .array(kernels.map { k in
                    .object([("release", .string(k.release)), ("running", .bool(k.running)), ("newest", .bool(k.newest)),
                             ("state", .string(k.state.code)), ("version", .str(k.state.version)), ("label", .string(k.state.label))])
                })),
            ])),
            ("kernel", kernelJSON),
            ("counters", stats?.json ?? .null),
            ("exit_code", .int(Int64(exitCode))),
        ])
    }

    public var text: String {
        var lines: [String] = []
        let dot: String
        switch service {
        case .success(let s):
            dot = s.isActive ? "●" : (s.activeState == "failed" ? "×" : "○")
            if !s.exists {
                lines.append("\(dot) \(unit): not installed (LoadState \(s.loadState))")
            } else {
                lines.append("\(dot) \(unit): \(s.activeState) (\(s.subState)), \(s.unitFileState.isEmpty ? "unit file state unknown" : s.unitFileState)")
            }
        case .failure(let e):
            lines.append("\(module.loaded ? "●" : "○") \(unit): unknown: \(e.message)")
        }
        let conf = configuredBackend.map { " (vtoa.conf: backend = \($0.rawValue))" } ?? ""
        switch backends {
        case []: lines.append("  backend: none active" + conf)
        case [.module]: lines.append("  backend: module" + conf)
        case [.ebpf]: lines.append("  backend: ebpf, programs attached to the cgroup v2 root (\(ebpfPinDirectory))" + conf)
        default: lines.append("  backend: both module and ebpf (never both: run 'vtoa unload', then 'vtoa load')" + conf)
        }
        if backends.contains(.ebpf) && !ebpfSettings.isEmpty {
            lines.append("     ebpf: " + ebpfSettings.map { "\($0.name)=\($0.value.isEmpty ? "\"\"" : $0.value)" }.joined(separator: " "))
        }
        if module.loaded {
            var m = "loaded"
            if let v = module.version { m += ", version \(v)" }
            if let st = module.state { m += ", \(st.initState), refcount \(st.refcount)" }
            if let st = module.state, !st.holders.isEmpty { m += ", used by \(st.holders.joined(separator: ","))" }
            lines.append("   module: \(m)")
            if !module.parameters.isEmpty {
                lines.append("   params: " + module.parameters.map { "\($0.name)=\($0.value.isEmpty ? "\"\"" : $0.value)" }.joined(separator: " "))
            }
        } else if let e = module.error {
            lines.append("   module: unknown: \(e.message)")
        } else {
            lines.append("   module: not loaded")
        }
        lines.append("     dkms: \(dkms.label) for \(release)" + (kernels.count > 1 && kernels.last?.running == true ? " (newest)" : ""))
        for k in kernels where !k.running {
            lines.append("           \(k.state.label) for \(k.release)" + (k.newest ? " (newest: a default boot starts it next)" : ""))
        }
        switch kernel {
        case .success(let v): lines.append("   kernel: \(release): \(v.support.rawValue) (\(v.reason))")
        case .failure(let e): lines.append("   kernel: \(e.message)")
        }
        if let stats, !stats.counters.isEmpty {
            lines.append(" counters: " + stats.counters.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

public struct KernelDKMS: Equatable, Sendable {
    public var release: String
    public var running: Bool
    public var newest: Bool
    public var state: DKMSState
}

extension JSON {
    /// The same object with `schema_version` first (the top level of each
    /// --json output; docs/vtoa-tool.md documents each version).
    public func versioned(_ version: Int64 = 1) -> JSON {
        guard case .object(let fields) = self else { return self }
        return .object([("schema_version", .int(version))] + fields.filter { $0.0 != "schema_version" })
    }
}

extension KernelVerdict {
    public var json: JSON {
        .object([
            ("release", .string(release.raw)),
            ("upstream", .string(release.upstreamString)),
            ("build", .array(release.build.map { .int(Int64($0)) })),
            ("verdict", .string(support.rawValue)),
            ("getpeername", .bool(getpeername)),
            ("getsockopt", .bool(getsockopt)),
            ("reason", .string(reason)),
        ])
    }
}

extension Machine {
    public func status() -> StatusReport {
        let service: Result<UnitState, VTOAError>
        do throws(VTOAError) { service = .success(try services.state(of: unit)) } catch { service = .failure(error) }
        let release = facts.kernelRelease()
        let kernel: Result<KernelVerdict, VTOAError>
        do throws(VTOAError) { kernel = .success(try verdict(release: release)) } catch { kernel = .failure(error) }
        let module = moduleReport()
        let backends = activeBackends
        let stats = module.loaded || backends.contains(.ebpf) ? (try? readStats()) : nil
        let running = dkms.status(kernel: release)
        var r = StatusReport(unit: unit, service: service, module: module, release: release,
                             kernel: kernel, dkms: running, kernels: kernelsWithDKMS(running: release, runningState: running), stats: stats)
        r.backends = backends
        r.configuredBackend = (try? config())?.backend
        if backends.contains(.ebpf) {
            r.ebpfSettings = EBPFSettings.names.compactMap { n in (try? ebpf.get(n)).map { (n, $0) } }
        }
        return r
    }

    /// The kernels in /lib/modules (those with a kernel/ tree or a
    /// modules.dep) and the running one, oldest first, each with DKMS's
    /// state of vtoa for it.
    func kernelsWithDKMS(running: String, runningState: DKMSState) -> [KernelDKMS] {
        var names = Set((facts.listDirectory("/lib/modules") ?? []).filter {
            facts.exists("/lib/modules/\($0)/kernel") || facts.exists("/lib/modules/\($0)/modules.dep")
        })
        names.insert(running)
        let sorted = names.sorted { a, b in
            switch (KernelRelease(a), KernelRelease(b)) {
            case let (x?, y?): return x != y ? x < y : a < b
            case (nil, .some): return true
            case (.some, nil): return false
            case (nil, nil): return a < b
            }
        }
        let entries = runningState == .dkmsMissing ? nil : dkms.entries()
        let versions = Array(Set((entries ?? []).map(\.version))).sorted()
        return sorted.map { k in
            var state: DKMSState
            if k == running {
                state = runningState
            } else if let entries {
                state = .notAdded
                for v in versions {
                    let s = DKMSEntry.state(of: v, kernel: k, in: entries)
                    if s.rank > state.rank { state = s }
                }
            } else {
                state = .dkmsMissing
            }
            return KernelDKMS(release: k, running: k == running, newest: k == sorted.last, state: state)
        }
    }
}
