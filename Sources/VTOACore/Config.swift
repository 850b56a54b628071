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
/// A bare address is a host route (/32 or /128). Host bits are cleared and
/// the address is printed as inet_ntop does (IPv6 compressed), as the
/// module does: "10.0.0.1/8" is 10.0.0.0/8, and reads back the same.
public struct CIDR: Equatable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case v4, v6 }
    /// The network address, normalised.
    public let address: String
    public let prefix: Int
    public let family: Family
    /// The network's bytes (4 or 16), host bits cleared.
    public let bytes: [UInt8]

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
        var net = Array(buf.prefix(maxPrefix / 8))
        for i in 0..<net.count {
            let bitsHere = Swift.max(0, Swift.min(8, prefix - i * 8))
            net[i] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsHere))
        }
        var out = [CChar](repeating: 0, count: 64)
        guard inet_ntop(family == .v4 ? AF_INET : AF_INET6, net, &out, socklen_t(out.count)) != nil else { return nil }
        self.address = String(decoding: out.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.prefix = prefix
        self.family = family
        self.bytes = net
    }

    public var description: String { "\(address)/\(prefix)" }
}

/// /etc/vtoa/vtoa.conf: `key = value` lines and `#` comments. The keys,
/// their types, ranges and defaults are the module's parameter table
/// (`ParameterSpec.all`, kmod/include/uapi/vtoa_params.h), plus the tool's
/// own `backend` (no module parameter: which backend `vtoa load` uses).
public struct VTOAConfig: Equatable, Sendable {
    public static let defaultPath = "/etc/vtoa/vtoa.conf"
    public static var keys: [String] { ParameterSpec.configKeys + [BackendChoice.key] }

    /// The values the file sets, by key; a key it does not set is absent.
    public var values: [String: ParameterValue] = [:]
    /// `backend`, nil when the file does not set it (auto).
    public var backendSetting: BackendChoice?
    public var backend: BackendChoice { backendSetting ?? .auto }

    public init() {}

    public var trustedSources: [CIDR] { values["trusted_sources"]?.cidrsValue ?? [] }
    public var getpeername: Bool? { values["getpeername"]?.boolValue }
    public var maxEntries: UInt64? { values["max_entries"]?.uintValue }
    public var ipv6Kind254: Bool? { values["ipv6_kind254"]?.boolValue }

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
            if key == BackendChoice.key {
                if let first = seen[key] {
                    throw .badConfig(file: file, line: lineNo, key: key, message: "set again (first set on line \(first))")
                }
                seen[key] = lineNo
                guard let b = BackendChoice.parse(value) else {
                    throw .badConfig(file: file, line: lineNo, key: key, message: "'\(value)' is not \(BackendChoice.valuesText)")
                }
                config.backendSetting = b
                continue
            }
            guard let spec = ParameterSpec.named(key), spec.inConfig else {
                let why = ParameterSpec.named(key) != nil ? "set by the kernel policy, not by this file; " : ""
                throw .badConfig(file: file, line: lineNo, key: key,
                                 message: "unknown key (\(why)known: \(keys.joined(separator: ", ")))")
            }
            if let first = seen[key] {
                throw .badConfig(file: file, line: lineNo, key: key, message: "set again (first set on line \(first))")
            }
            seen[key] = lineNo
            do throws(ParameterError) {
                config.values[key] = try spec.parseConfig(value)
            } catch {
                throw .badConfig(file: file, line: lineNo, key: key, message: error.message)
            }
        }
        return config
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
