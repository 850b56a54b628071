/// What DKMS says about vtoa for one kernel.
public enum DKMSState: Equatable, Sendable {
    case dkmsMissing
    case notAdded
    case added(version: String)
    case built(version: String)
    case installed(version: String)
    case other(String)

    public var label: String {
        switch self {
        case .dkmsMissing: return "dkms not installed"
        case .notAdded: return "not registered"
        case .added(let v): return "added (\(v)), not built"
        case .built(let v): return "built (\(v)), not installed"
        case .installed(let v): return "installed (\(v))"
        case .other(let s): return s
        }
    }

    public var isInstalled: Bool { if case .installed = self { return true } else { return false } }

    /// For JSON: dkms-missing, not-added, added, built, installed, other.
    public var code: String {
        switch self {
        case .dkmsMissing: return "dkms-missing"
        case .notAdded: return "not-added"
        case .added: return "added"
        case .built: return "built"
        case .installed: return "installed"
        case .other: return "other"
        }
    }

    public var version: String? {
        switch self {
        case .added(let v), .built(let v), .installed(let v): return v
        default: return nil
        }
    }

    /// Parses `dkms status -m vtoa -k KERNEL` output, e.g.
    /// "vtoa/1.0.0, 6.1.0-28-amd64, x86_64: installed" (dkms 3) or
    /// "vtoa, 1.0.0, 6.1.0-28-amd64, x86_64: installed" (dkms 2).
    public static func parse(_ output: String, module: String = "vtoa") -> DKMSState {
        var best: DKMSState = .notAdded
        for e in DKMSEntry.parse(output, module: module) where e.state.rank > best.rank { best = e.state }
        return best
    }

    var rank: Int {
        switch self {
        case .dkmsMissing: return 0
        case .notAdded: return 1
        case .other: return 2
        case .added: return 3
        case .built: return 4
        case .installed: return 5
        }
    }
}

extension StringProtocol {
    func trimmingPrefixSpaces() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        return String(s)
    }
}

/// One line of `dkms status`: a version of the module and, for built and
/// installed states, the kernel it is for (nil for "added").
public struct DKMSEntry: Equatable, Sendable {
    public var version: String
    public var kernel: String?
    public var state: DKMSState

    public init(version: String, kernel: String?, state: DKMSState) {
        self.version = version
        self.kernel = kernel
        self.state = state
    }

    /// Every vtoa line of `dkms status -m vtoa` output, dkms 2 and 3 formats.
    public static func parse(_ output: String, module: String = "vtoa") -> [DKMSEntry] {
        var entries: [DKMSEntry] = []
        for line in output.split(separator: "\n") {
            guard let colon = line.lastIndex(of: ":") else { continue }
            let head = line[..<colon]
            let stateText = line[line.index(after: colon)...].trimmingPrefixSpaces()
            let fields = head.split(separator: ",").map { $0.trimmingPrefixSpaces() }
            guard let first = fields.first else { continue }
            let version: String
            let kernel: String?
            if first.hasPrefix(module + "/") {
                version = String(first.dropFirst(module.count + 1))
                kernel = fields.count > 1 ? fields[1] : nil
            } else if first == module, fields.count > 1 {
                version = fields[1]
                kernel = fields.count > 2 ? fields[2] : nil
            } else {
                continue
            }
            let state: DKMSState
            if stateText.hasPrefix("installed") { state = .installed(version: version) }
            else if stateText.hasPrefix("built") { state = .built(version: version) }
            else if stateText.hasPrefix("added") { state = .added(version: version) }
            else { state = .other("\(version): \(stateText)") }
            entries.append(DKMSEntry(version: version, kernel: kernel, state: state))
        }
        return entries
    }

    /// The state of one version for one kernel: any line of that version
    /// means it is at least added; built/installed count for that kernel only.
    public static func state(of version: String, kernel: String, in entries: [DKMSEntry]) -> DKMSState {
        var best: DKMSState = .notAdded
        for e in entries where e.version == version {
            var s = e.state
            if e.kernel != nil && e.kernel != kernel { s = .added(version: version) }
            if s.rank > best.rank { best = s }
        }
        return best
    }
}

/// One DKMS command vtoa runs.
public enum DKMSStep: Equatable, Sendable {
    case add(version: String)
    case build(version: String, kernel: String, force: Bool)
    case install(version: String, kernel: String, force: Bool)
    /// `kernel` nil: `--all`.
    case remove(version: String, kernel: String?)

    public func arguments(module: String = "vtoa") -> [String] {
        switch self {
        case .add(let v):
            return ["add", "-m", module, "-v", v]
        case .build(let v, let k, let force):
            return ["build", "-m", module, "-v", v, "-k", k] + (force ? ["--force"] : [])
        case .install(let v, let k, let force):
            return ["install", "-m", module, "-v", v, "-k", k] + (force ? ["--force"] : [])
        case .remove(let v, let k):
            return ["remove", "-m", module, "-v", v] + (k.map { ["-k", $0] } ?? ["--all"])
        }
    }

    public var commandLine: String { (["dkms"] + arguments()).joined(separator: " ") }
}

/// DKMS, run as a process (it has no library).
public protocol DKMS: AnyObject {
    /// vtoa's state for `kernel` (the most advanced of its versions).
    func status(kernel: String) -> DKMSState
    /// Every line of `dkms status -m vtoa`; nil when dkms is not installed.
    func entries() -> [DKMSEntry]?
    /// Runs one step and returns its output; throws `.dkmsMissing`, or
    /// `.dkmsFailed` with the command's output as the log.
    func run(_ step: DKMSStep) throws(VTOAError) -> String
}

public final class ProcessDKMS: DKMS {
    public let module: String
    public init(module: String = "vtoa") { self.module = module }

    public func status(kernel: String) -> DKMSState {
        guard let dkms = findExecutable("dkms") else { return .dkmsMissing }
        guard let (status, output) = runCapturing(dkms, ["status", "-m", module, "-k", kernel]) else { return .dkmsMissing }
        if status != 0 && output.isEmpty { return .other("dkms status exited \(status)") }
        return DKMSState.parse(output, module: module)
    }

    public func entries() -> [DKMSEntry]? {
        guard let dkms = findExecutable("dkms"),
              let (_, output) = runCapturing(dkms, ["status", "-m", module]) else { return nil }
        return DKMSEntry.parse(output, module: module)
    }

    public func run(_ step: DKMSStep) throws(VTOAError) -> String {
        guard let dkms = findExecutable("dkms") else { throw .dkmsMissing }
        guard let (status, output) = runCapturing(dkms, step.arguments(module: module)) else { throw .dkmsMissing }
        if status != 0 {
            throw .dkmsFailed(command: step.commandLine + " (exit \(status))", log: output)
        }
        return output
    }
}

/// The module source DKMS builds from: /usr/src/vtoa-VERSION/dkms.conf.
public struct DKMSSource: Equatable, Sendable {
    public var version: String
    public var directory: String

    /// PACKAGE_NAME and PACKAGE_VERSION of a dkms.conf (quotes removed).
    public static func packageFields(_ dkmsConf: String) -> (name: String?, version: String?) {
        var name: String?
        var version: String?
        for raw in dkmsConf.split(separator: "\n") {
            let line = raw.trimmingPrefixSpaces()
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingPrefixSpaces()
            var value = line[line.index(after: eq)...].trimmingPrefixSpaces()
            if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f {
                value = String(value.dropFirst().dropLast())
            }
            if key == "PACKAGE_NAME" { name = value }
            if key == "PACKAGE_VERSION" { version = value }
        }
        return (name, version)
    }

    /// The source to install: /usr/src/vtoa-`preferred` when it is there,
    /// otherwise the only /usr/src/vtoa-* whose dkms.conf names it; nil when none.
    public static func find(facts: SystemFacts, module: String = "vtoa",
                            preferred: String = vtoaModuleVersion) -> DKMSSource? {
        var found: [DKMSSource] = []
        for entry in facts.listDirectory("/usr/src") ?? [] where entry.hasPrefix(module + "-") {
            let dir = "/usr/src/" + entry
            guard let conf = facts.readFile(dir + "/dkms.conf") else { continue }
            let (name, version) = packageFields(conf)
            guard name == module, let version, entry == "\(module)-\(version)" else { continue }
            found.append(DKMSSource(version: version, directory: dir))
        }
        if let p = found.first(where: { $0.version == preferred }) { return p }
        return found.count == 1 ? found[0] : nil
    }
}

/// The module version this tool installs: VTOA_VERSION, which kmod's
/// dkms-conf-check keeps equal to dkms.conf's PACKAGE_VERSION.
public let vtoaModuleVersion = vtoaVersion
