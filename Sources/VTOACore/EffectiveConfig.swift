#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `vtoa config check` / `vtoa config show`: what `vtoa load` would give
/// the module, parameter by parameter, with where each value comes from
/// and, when the module is loaded, what it has now.
public struct EffectiveConfig: Sendable {
    public enum Source: String, Sendable { case file, policy, `default` }

    public struct Entry: Sendable {
        public var spec: ParameterSpec
        public var value: ParameterValue
        public var source: Source
        /// The loaded module's value (nil: not loaded, or no such parameter).
        public var loaded: String?
        /// Whether `vtoa reload` would write it.
        public var differs: Bool
    }

    public var configPath: String
    /// Whether the file exists (a missing file is all defaults).
    public var fileExists: Bool
    public var verdict: KernelVerdict
    public var entries: [Entry]
    public var notes: [String]

    public var json: JSON {
        .object([
            ("schema_version", .int(1)),
            ("config", .string(configPath)),
            ("config_exists", .bool(fileExists)),
            ("kernel", verdict.json),
            ("parameters", .array(entries.map { e in
                .object([("name", .string(e.spec.name)), ("type", .string(e.spec.kind.rawValue)),
                         ("value", .string(e.value.moduleText)), ("source", .string(e.source.rawValue)),
                         ("loaded", .str(e.loaded)), ("reload_changes", .bool(e.differs))])
            })),
            ("notes", .array(notes.map { .string($0) })),
        ])
    }

    public var text: String {
        let width = entries.map(\.spec.name.count).max() ?? 0
        var lines: [String] = []
        for e in entries {
            var l = e.spec.name.padded(to: width) + " = " + e.value.description + "  (\(e.source.rawValue))"
            if let cur = e.loaded { l += e.differs ? "  loaded: \(cur.isEmpty ? "\"\"" : cur), 'vtoa reload' changes it" : "  loaded: same" }
            lines.append(l)
        }
        for n in notes { lines.append("note: " + n) }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Machine {
    /// The file (a bad line throws `.badConfig`), the kernel policy and
    /// the loaded module's parameters. An unsupported kernel is not an
    /// error here: the parameters are computed as `--force` would, with a note.
    public func effectiveConfig() throws(VTOAError) -> EffectiveConfig {
        let cfg = try config()
        let v = try verdict()
        let params = try ModuleParameters.plan(verdict: v, config: cfg, force: true)
        var entries: [EffectiveConfig.Entry] = []
        let loaded = facts.exists(parametersDirectory)
        for spec in ParameterSpec.all {
            let value = params.byName[spec.name] ?? spec.defaultParameterValue
            let source: EffectiveConfig.Source = spec.inConfig ? (cfg.values[spec.name] != nil ? .file : .default) : .policy
            var current: String? = nil
            var differs = false
            if loaded, let text = facts.readFile(parametersDirectory + "/" + spec.name) {
                let cur = text.trimmingWhitespace()
                current = spec.parseSysfs(cur)?.description ?? cur
                differs = !ModuleParameters.same(spec.name, current: cur, wanted: value.moduleText)
            }
            entries.append(.init(spec: spec, value: value, source: source, loaded: current, differs: differs))
        }
        return EffectiveConfig(configPath: configPath, fileExists: facts.exists(configPath), verdict: v,
                               entries: entries, notes: params.notes)
    }
}
