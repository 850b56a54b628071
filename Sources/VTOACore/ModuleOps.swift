#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The parameters vtoa gives the module, from the kernel policy and the
/// configuration; every one is set, so load and reload agree.
public struct ModuleParameters: Equatable, Sendable {
    public static let defaultMaxEntries: UInt64 = 1_048_576

    public var getpeername: Bool
    public var getsockopt: Bool
    public var trustedSources: String
    public var maxEntries: UInt64
    public var ipv6Kind254: Bool
    /// Notes for the operator (e.g. why getsockopt is off).
    public var notes: [String] = []

    /// Computes the parameters; throws `.kernelUnsupported` unless forced.
    public static func plan(verdict: KernelVerdict, config: VTOAConfig, force: Bool) throws(VTOAError) -> ModuleParameters {
        var notes: [String] = []
        if verdict.support == .unsupported {
            guard force else { throw .kernelUnsupported(release: verdict.release.raw, reason: verdict.reason) }
            notes.append("kernel \(verdict.release.raw) is not supported (\(verdict.reason)); loading anyway because of --force")
        }
        var getsockopt = true
        if verdict.support == .getpeernameOnly {
            getsockopt = false
            notes.append("getsockopt=0: kernel \(verdict.release.raw) supports getpeername only (getsockopt needs 5.10.134-17 or later)")
        }
        let getpeername = config.getpeername ?? true
        if !getpeername && !getsockopt {
            notes.append("getpeername=0 on a getpeername-only kernel: applications will not see client addresses")
        }
        return ModuleParameters(
            getpeername: getpeername,
            getsockopt: getsockopt,
            trustedSources: config.trustedSources.map(\.description).joined(separator: ","),
            maxEntries: config.maxEntries ?? defaultMaxEntries,
            ipv6Kind254: config.ipv6Kind254 ?? false,
            notes: notes)
    }

    /// name=value pairs in the order they are given to the module.
    public var values: [(name: String, value: String)] {
        [("getpeername", getpeername ? "1" : "0"),
         ("getsockopt", getsockopt ? "1" : "0"),
         ("trusted_sources", trustedSources),
         ("max_entries", String(maxEntries)),
         ("ipv6_kind254", ipv6Kind254 ? "1" : "0")]
    }

    /// The options string for insertion (an empty trusted_sources is left out).
    public var options: String {
        values.filter { !($0.name == "trusted_sources" && $0.value.isEmpty) }
            .map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }

    /// Whether the value read from sysfs means the same as `wanted`.
    public static func same(_ name: String, current: String, wanted: String) -> Bool {
        let c = current.trimmingWhitespace()
        switch name {
        case "getpeername", "getsockopt", "ipv6_kind254":
            return boolValue(c) == boolValue(wanted)
        case "trusted_sources":
            let norm = { (s: String) -> [String] in
                s.split(separator: ",").map { $0.trimmingSpaces() }
                    .filter { !$0.isEmpty && $0 != "(null)" }
                    .map { CIDR($0)?.description ?? $0 }
            }
            return norm(c) == norm(wanted)
        default:
            return c == wanted
        }
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
    }

    /// `vtoa load`: checks everything first, then inserts the module (or,
    /// when it is already loaded, applies the configuration to it).
    public func load(force: Bool) throws(VTOAError) -> (LoadOutcome, ModuleParameters) {
        try requireRoot("load")
        let cfg = try config()
        let v = try verdict()
        let params = try ModuleParameters.plan(verdict: v, config: cfg, force: force)
        let mc = try moduleControl()
        // A kernel without loadable-module support (or a container without
        // /proc/modules) is named as such, not as a missing module file.
        _ = try mc.loadedModuleNames()
        if try mc.loadedModule(moduleName) != nil {
            return (.alreadyLoaded(changes: try applyParameters(params)), params)
        }
        do throws(VTOAError) {
            try mc.insert(moduleName, options: params.options)
        } catch .moduleAlreadyLoaded {
            return (.alreadyLoaded(changes: try applyParameters(params)), params)
        }
        return (.inserted(options: params.options), params)
    }

    /// `vtoa unload`: false when it was not loaded.
    public func unload() throws(VTOAError) -> Bool {
        try requireRoot("unload")
        let mc = try moduleControl()
        guard try mc.loadedModule(moduleName) != nil else { return false }
        do throws(VTOAError) {
            try mc.remove(moduleName)
        } catch .moduleNotLoaded {
            return false
        }
        return true
    }

    /// `vtoa reload`: writes changed parameters to sysfs.
    public func reload(force: Bool) throws(VTOAError) -> ([ParameterChange], ModuleParameters) {
        try requireRoot("reload")
        let cfg = try config()
        let v = try verdict()
        let params = try ModuleParameters.plan(verdict: v, config: cfg, force: force)
        guard facts.exists(parametersDirectory) else { throw .moduleNotLoaded(name: moduleName) }
        return (try applyParameters(params), params)
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

    func sysfsRestoreValue(_ c: ParameterChange) -> String {
        switch ModuleParameters.boolValue(c.old) {
        case .some(true) where c.name != "trusted_sources" && c.name != "max_entries": return "1"
        case .some(false) where c.name != "trusted_sources" && c.name != "max_entries": return "0"
        default: return c.old.isEmpty || c.old == "(null)" ? "\n" : c.old
        }
    }
}
