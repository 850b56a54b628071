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
    public var stats: VTOAStats?

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
            if module.loaded { return 0 }
            return module.error != nil ? 4 : 3
        }
    }

    public var json: JSON {
        let serviceJSON: JSON
        switch service {
        case .success(let s):
            serviceJSON = .object([
                ("unit", .string(unit)), ("available", .bool(true)),
                ("LoadState", .string(s.loadState)), ("ActiveState", .string(s.activeState)),
                ("SubState", .string(s.subState)), ("UnitFileState", .string(s.unitFileState))])
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
            ("service", serviceJSON),
            ("module", .object(moduleFields)),
            ("dkms", .string(dkms.label)),
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
        lines.append("     dkms: \(dkms.label) for \(release)")
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
        let stats = module.loaded ? (try? VTOAStats.read(facts: facts)) : nil
        return StatusReport(unit: unit, service: service, module: module, release: release,
                            kernel: kernel, dkms: dkms.status(kernel: release), stats: stats)
    }
}
