#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The parameters vtoa gives the module, from the kernel policy and the
/// configuration; every one of the table (`ParameterSpec.all`) is set, so
/// load and reload agree.
public struct ModuleParameters: Equatable, Sendable {
    public static var defaultMaxEntries: UInt64 { ParameterSpec.named("max_entries")?.defaultValue ?? 1 }

    /// Every parameter's value, by name.
    public var byName: [String: ParameterValue]
    /// Notes for the operator (e.g. why getsockopt is off).
    public var notes: [String] = []

    public var getpeername: Bool { byName["getpeername"]?.boolValue ?? true }
    public var getsockopt: Bool { byName["getsockopt"]?.boolValue ?? true }
    public var trustedSources: String { byName["trusted_sources"]?.moduleText ?? "" }
    public var maxEntries: UInt64 { byName["max_entries"]?.uintValue ?? ModuleParameters.defaultMaxEntries }
    public var ipv6Kind254: Bool { byName["ipv6_kind254"]?.boolValue ?? false }

    /// Computes the parameters; throws `.kernelUnsupported` unless forced.
    public static func plan(verdict: KernelVerdict, config: VTOAConfig, force: Bool) throws(VTOAError) -> ModuleParameters {
        var notes: [String] = []
        if verdict.support == .unsupported {
            guard force else { throw .kernelUnsupported(release: verdict.release.raw, reason: verdict.reason) }
            notes.append("kernel \(verdict.release.raw) is not supported (\(verdict.reason)); loading anyway because of --force")
        }
        // What the kernel policy sets (the table's parameters with config 0).
        var policy: [String: ParameterValue] = ["getsockopt": .bool(true)]
        if verdict.support == .getpeernameOnly {
            policy["getsockopt"] = .bool(false)
            notes.append("getsockopt=0: kernel \(verdict.release.raw) supports getpeername only (getsockopt needs 5.10.134-17 or later)")
        }
        var byName: [String: ParameterValue] = [:]
        for spec in ParameterSpec.all {
            byName[spec.name] = (spec.inConfig ? config.values[spec.name] : policy[spec.name]) ?? spec.defaultParameterValue
        }
        var p = ModuleParameters(byName: byName, notes: notes)
        if !p.getpeername && !p.getsockopt {
            p.notes.append("getpeername=0 on a getpeername-only kernel: applications will not see client addresses")
        }
        return p
    }

    /// name=value pairs in the table's order, as given to the module.
    public var values: [(name: String, value: String)] {
        ParameterSpec.all.map { ($0.name, (byName[$0.name] ?? $0.defaultParameterValue).moduleText) }
    }

    /// The options string for insertion (an empty CIDR list is left out).
    public var options: String {
        values.filter { !(ParameterSpec.named($0.name)?.kind == .cidrs && $0.value.isEmpty) }
            .map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }

    /// Whether the value read from sysfs means the same as `wanted`.
    public static func same(_ name: String, current: String, wanted: String) -> Bool {
        if let spec = ParameterSpec.named(name), let c = spec.parseSysfs(current), let w = spec.parseSysfs(wanted) {
            return c == w
        }
        return current.trimmingWhitespace() == wanted.trimmingWhitespace()
    }

    static func boolValue(_ s: String) -> Bool? {
        switch s.uppercased() {
        case "Y", "1", "YES", "TRUE", "ON": return true
        case "N", "0", "NO", "FALSE", "OFF": return false
        default: return nil
        }
    }
}

/// A parameter reload changed: name, old value, new value.
public struct ParameterChange: Equatable, Sendable {
    public var name: String
    public var old: String
    public var new: String
}

/// What is known about the loaded module.
public struct ModuleReport: Sendable {
    public var loaded: Bool
    public var state: ModuleState?
    public var version: String?
    public var parameters: [(name: String, value: String)]
    /// Set when the module state could not be read at all.
    public var error: VTOAError?
}

extension Machine {
    /// Module state from libkmod, version and parameters from sysfs.
    public func moduleReport() -> ModuleReport {
        var report = ModuleReport(loaded: false, state: nil, version: nil, parameters: [], error: nil)
        do throws(VTOAError) {
            let mc = try moduleControl()
            report.state = try mc.loadedModule(moduleName)
            report.loaded = report.state != nil
        } catch {
            report.error = error
            // Without libkmod's view, sysfs still tells whether it is there.
            report.loaded = facts.exists(sysfsDirectory + "/parameters")
        }
        guard report.loaded else { return report }
        report.version = facts.readFile(sysfsDirectory + "/version")?.trimmingWhitespace()
        for name in facts.listDirectory(parametersDirectory) ?? [] {
            let v = facts.readFile(parametersDirectory + "/" + name)?.trimmingWhitespace() ?? "?"
            report.parameters.append((name, v))
        }
        return report
    }

    public enum LoadOutcome: Equatable, Sendable {
        case inserted(options: String)
        case alreadyLoaded(changes: [ParameterChange])
        /// The eBPF backend: programs attached with these settings.
        case attached(settings: String)
        case alreadyAttached(changes: [ParameterChange])
    }

    /// The module backend of `vtoa load` (BackendOps.swift): checks
    /// everything first, then inserts the module (or, when it is already
    /// loaded, applies the configuration to it).
    func loadModule(_ params: ModuleParameters) throws(VTOAError) -> (LoadOutcome, ModuleParameters) {
        let mc = try moduleControl()
        // A kernel without loadable-module support (or a container without
        // /proc/modules) is named as such, not as a missing module file.
        _ = try mc.loadedModuleNames()
        if try mc.loadedModule(moduleName) != nil {
            return (.alreadyLoaded(changes: try applyParameters(params)), params)
        }
        // A kernel that enforces signatures refuses an unsigned module: say
        // so before trying (nothing is inserted), and name it when the
        // kernel refuses a signed one (a key not enrolled).
        let enforcement = SignatureEnforcement.detect(facts)
        if enforcement.enforced, let file = try? mc.moduleFile(moduleName), file.signer == nil {
            throw .moduleSignatureRequired(name: moduleName, enforcement: enforcement.description,
                                           detail: "(\(file.path)) is not signed")
        }
        do throws(VTOAError) {
            try mc.insert(moduleName, options: params.options)
        } catch .moduleOperationFailed(let op, let name, let reason) where op == "insert" && enforcement.enforced {
            throw .moduleSignatureRequired(name: name, enforcement: enforcement.description,
                                           detail: "was refused (\(reason))")
        } catch .moduleAlreadyLoaded {
            return (.alreadyLoaded(changes: try applyParameters(params)), params)
        } catch .moduleNotFound(let name, let kernel) {
            // DKMS builds only where the headers are: name them (vtoa.service's
            // failure in the journal is this line), as vtoa-dkms's postinst does.
            let release = facts.kernelRelease()
            if !facts.exists("/lib/modules/\(release)/build") {
                throw .moduleNotBuiltNoHeaders(name: name, release: release,
                                               install: distro.headersInstall(release: release))
            }
            throw .moduleNotFound(name: name, kernel: kernel)
        }
        return (.inserted(options: params.options), params)
    }

    /// Removes the module: false when it was not loaded. Without module
    /// support (an eBPF-only host) nothing is loaded.
    func unloadModule() throws(VTOAError) -> Bool {
        let mc: ModuleControl
        do throws(VTOAError) { mc = try moduleControl() } catch {
            if moduleIsLoaded { throw error }
            return false
        }
        guard try mc.loadedModule(moduleName) != nil else { return false }
        do throws(VTOAError) {
            try mc.remove(moduleName)
        } catch .moduleNotLoaded {
            return false
        }
        return true
    }

    /// Writes the parameters whose value differs; on a failed write the
    /// ones already written are put back, so nothing is half-changed.
    func applyParameters(_ params: ModuleParameters) throws(VTOAError) -> [ParameterChange] {
        var changes: [ParameterChange] = []
        for (name, wanted) in params.values {
            let path = parametersDirectory + "/" + name
            guard let current = facts.readFile(path) else { continue }  // not in this module version
            let cur = current.trimmingWhitespace()
            if !ModuleParameters.same(name, current: cur, wanted: wanted) {
                changes.append(ParameterChange(name: name, old: cur, new: wanted))
            }
        }
        var written: [ParameterChange] = []
        for c in changes {
            let path = parametersDirectory + "/" + c.name
            do throws(FactsError) {
                try facts.writeFile(path, c.new.isEmpty ? "\n" : c.new)
                written.append(c)
            } catch {
                for w in written.reversed() {
                    try? facts.writeFile(parametersDirectory + "/" + w.name, sysfsRestoreValue(w))
                }
                throw .parameterWriteFailed(path: path, reason: error.reason)
            }
        }
        return changes
    }

    /// What to write back for a change undone: the old value as the
    /// module takes it (sysfs shows Y/N, takes 1/0; an empty list is "\n").
    func sysfsRestoreValue(_ c: ParameterChange) -> String {
        let text = ParameterSpec.named(c.name)?.parseSysfs(c.old)?.moduleText ?? c.old
        return text.isEmpty || text == "(null)" ? "\n" : text
    }
}
