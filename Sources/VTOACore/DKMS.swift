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

    /// Parses `dkms status -m vtoa -k KERNEL` output, e.g.
    /// "vtoa/1.0.0, 6.1.0-28-amd64, x86_64: installed" (dkms 3) or
    /// "vtoa, 1.0.0, 6.1.0-28-amd64, x86_64: installed" (dkms 2).
    public static func parse(_ output: String, module: String = "vtoa") -> DKMSState {
        var best: DKMSState = .notAdded
        for line in output.split(separator: "\n") {
            guard let colon = line.lastIndex(of: ":") else { continue }
            let head = line[..<colon]
            let state = line[line.index(after: colon)...].trimmingPrefixSpaces()
            let fields = head.split(separator: ",").map { $0.trimmingPrefixSpaces() }
            guard let first = fields.first else { continue }
            var version = ""
            if first.hasPrefix(module + "/") {
                version = String(first.dropFirst(module.count + 1))
            } else if first == module, fields.count > 1 {
                version = fields[1]
            } else {
                continue
            }
            let s: DKMSState
            if state.hasPrefix("installed") { s = .installed(version: version) }
            else if state.hasPrefix("built") { s = .built(version: version) }
            else if state.hasPrefix("added") { s = .added(version: version) }
            else { s = .other("\(version): \(state)") }
            if s.rank > best.rank { best = s }
        }
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

/// DKMS, run as a process (it has no library).
public protocol DKMS: AnyObject {
    func status(kernel: String) -> DKMSState
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
}
