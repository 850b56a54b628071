#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An IPv4 or IPv6 network in CIDR notation ("10.0.0.0/8", "2001:db8::/32").
/// A bare address is a host route (/32 or /128).
public struct CIDR: Equatable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case v4, v6 }
    public let address: String
    public let prefix: Int
    public let family: Family

    public init?(_ text: String) {
        let t = text.trimmingSpaces()
        let pieces = t.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 1 || pieces.count == 2 else { return nil }
        let addr = String(pieces[0])
        var buf = [UInt8](repeating: 0, count: 16)
        let family: Family
        if inet_pton(AF_INET, addr, &buf) == 1 {
            family = .v4
        } else if inet_pton(AF_INET6, addr, &buf) == 1 {
            family = .v6
        } else {
            return nil
        }
        let maxPrefix = family == .v4 ? 32 : 128
        var prefix = maxPrefix
        if pieces.count == 2 {
            let p = pieces[1]
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(p), v <= maxPrefix else {
                return nil
            }
            prefix = v
        }
        self.address = addr
        self.prefix = prefix
        self.family = family
    }

    public var description: String { "\(address)/\(prefix)" }
}

/// /etc/vtoa/vtoa.conf: `key = value` lines and `#` comments.
public struct VTOAConfig: Equatable, Sendable {
    public static let defaultPath = "/etc/vtoa/vtoa.conf"
    public static let keys = ["trusted_sources", "getpeername", "max_entries", "ipv6_kind254"]

    public var trustedSources: [CIDR] = []
    public var getpeername: Bool? = nil
    public var maxEntries: UInt64? = nil
    public var ipv6Kind254: Bool? = nil

    public init() {}

    /// Parses the text of `file` (the name is only used in errors).
    public static func parse(_ text: String, file: String) throws(VTOAError) -> VTOAConfig {
        var config = VTOAConfig()
        var seen: [String: Int] = [:]
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }).enumerated() {
            let lineNo = index + 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw .badConfig(file: file, line: lineNo, key: nil, message: "expected 'key = value', got '\(trimmed)'")
            }
            let key = trimmed[..<eq].trimmingSpaces()
            let value = trimmed[trimmed.index(after: eq)...].trimmingSpaces()
            guard !key.isEmpty else {
                throw .badConfig(file: file, line: lineNo, key: nil, message: "missing key before '='")
            }
            guard keys.contains(key) else {
                throw .badConfig(file: file, line: lineNo, key: key,
                                 message: "unknown key (known: \(keys.joined(separator: ", ")))")
            }
            if let first = seen[key] {
                throw .badConfig(file: file, line: lineNo, key: key, message: "set again (first set on line \(first))")
            }
            seen[key] = lineNo
            switch key {
            case "trusted_sources":
                var list: [CIDR] = []
                if !value.isEmpty {
                    for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                        let s = item.trimmingSpaces()
                        guard let c = CIDR(s) else {
                            throw .badConfig(file: file, line: lineNo, key: key,
                                             message: "'\(s)' is not an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or 2001:db8::/32")
                        }
                        list.append(c)
                    }
                }
                config.trustedSources = list
            case "getpeername":
                config.getpeername = try parseBool(value, file: file, line: lineNo, key: key)
            case "ipv6_kind254":
                config.ipv6Kind254 = try parseBool(value, file: file, line: lineNo, key: key)
            case "max_entries":
                guard value.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt64(value), v > 0, v <= UInt64(UInt32.max) else {
                    throw .badConfig(file: file, line: lineNo, key: key,
                                     message: "'\(value)' is not a positive integer (1 to \(UInt32.max))")
                }
                config.maxEntries = v
            default:
                break
            }
        }
        return config
    }

    static func parseBool(_ value: String, file: String, line: Int, key: String) throws(VTOAError) -> Bool {
        switch value.lowercased() {
        case "yes", "true", "1", "on": return true
        case "no", "false", "0", "off": return false
        default:
            throw .badConfig(file: file, line: line, key: key, message: "'\(value)' is not yes or no")
        }
    }

    /// Loads the file; a missing file is the default configuration.
    public static func load(path: String = defaultPath, facts: SystemFacts) throws(VTOAError) -> VTOAConfig {
        guard facts.exists(path) else { return VTOAConfig() }
        guard let text = facts.readFile(path) else {
            throw .configUnreadable(file: path, reason: "permission denied or not a file")
        }
        return try parse(text, file: path)
    }
}
