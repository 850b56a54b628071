#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CShared

/// The version of the module, the tool and the packages: VTOA_VERSION of
/// kmod/include/uapi/vtoa.h (dkms.conf, debian/changelog and the spec are
/// checked against it).
public let vtoaVersion = String(cString: vtoa_shared_version())

/// One module parameter, from kmod/include/uapi/vtoa_params.h: the one
/// table the module's params.c expands too. Config parsing, load options,
/// the reload diff, restore and the documentation checks all walk it.
public struct ParameterSpec: Equatable, Sendable {
    public enum Kind: String, Sendable { case bool, uint, cidrs }

    public let name: String
    public let kind: Kind
    /// BOOL 0/1, UINT the number; CIDRS 0 (the empty list).
    public let defaultValue: UInt64
    /// UINT: the range; CIDRS: at most `max` entries.
    public let min: UInt64
    public let max: UInt64
    /// Set by /etc/vtoa/vtoa.conf (false: by the kernel policy).
    public let inConfig: Bool

    public static let all: [ParameterSpec] = (0..<vtoa_param_count()).compactMap { i in
        guard let p = vtoa_param_at(i)?.pointee else { return nil }
        let kind: Kind
        switch p.type {
        case VTOA_PARAM_TYPE_BOOL: kind = .bool
        case VTOA_PARAM_TYPE_UINT: kind = .uint
        default: kind = .cidrs
        }
        return ParameterSpec(name: String(cString: p.name), kind: kind, defaultValue: p.def,
                             min: p.min, max: p.max, inConfig: p.config != 0)
    }

    public static let configKeys: [String] = all.filter(\.inConfig).map(\.name)

    public static func named(_ name: String) -> ParameterSpec? { all.first { $0.name == name } }

    /// What each parameter does, for vtoa.conf(5) (a test checks that every
    /// parameter of the table has its text, and no other).
    public static let documentation: [String: String] = [
        "getpeername": "With yes, getpeername() and accept() return the real client address; with no, only getsockopt(IPPROTO_IP, 1348) and 1349 do, and getpeername() keeps returning the proxy's address.",
        "getsockopt": "Set by the kernel policy, not by this file: off on Alibaba Cloud Linux 5.10.134-15 and -16, whose kernels support getpeername only.",
        "trusted_sources": "The proxy's back-to-origin address ranges, comma-separated IPv4/IPv6 CIDRs. A TOA is believed only on connections coming from one of them. Empty believes a TOA from anyone, so any client can claim any address; vtoa doctor warns about that. Set this in production.",
        "max_entries": "The most connections carrying a TOA that are tracked at once. Beyond it a TOA is ignored and counted in toa_over_cap (vtoa stats).",
        "ipv6_kind254": "With yes, a TCP option of kind 254 and length 20 is also read as an IPv6 TOA (what dpvs-style proxies send); the standard IPv6 TOA is kind 253.",
    ]

    /// The accepted values, for people: "yes or no", "1 to 67108864", ...
    public var valuesText: String {
        switch kind {
        case .bool: return "yes or no (also true/false, 1/0, on/off)"
        case .uint: return "a whole number from \(min) to \(max)"
        case .cidrs: return "comma-separated IPv4/IPv6 CIDRs, at most \(max); a bare address is a /32 or /128; host bits are cleared (10.0.0.1/8 is 10.0.0.0/8)"
        }
    }

    /// The default as vtoa.conf spells it ("yes", "1048576", "empty").
    public var defaultText: String {
        switch kind {
        case .bool: return defaultValue != 0 ? "yes" : "no"
        case .uint: return String(defaultValue)
        case .cidrs: return "empty"
        }
    }

    public var defaultParameterValue: ParameterValue {
        switch kind {
        case .bool: return .bool(defaultValue != 0)
        case .uint: return .uint(defaultValue)
        case .cidrs: return .cidrs([])
        }
    }

    /// A value as vtoa.conf spells it; throws the message for the error line.
    public func parseConfig(_ value: String) throws(ParameterError) -> ParameterValue {
        switch kind {
        case .bool:
            switch value.lowercased() {
            case "yes", "true", "1", "on": return .bool(true)
            case "no", "false", "0", "off": return .bool(false)
            default: throw ParameterError("'\(value)' is not yes or no")
            }
        case .uint:
            guard !value.isEmpty, value.count <= 20, value.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let v = UInt64(value), v >= min, v <= max else {
                throw ParameterError("'\(value)' is not a whole number from \(min) to \(max)")
            }
            return .uint(v)
        case .cidrs:
            var list: [CIDR] = []
            if !value.isEmpty {
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let s = item.trimmingSpaces()
                    guard let c = CIDR(s) else {
                        throw ParameterError("'\(s)' is not an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or 2001:db8::/32")
                    }
                    list.append(c)
                }
            }
            guard UInt64(list.count) <= max else {
                throw ParameterError("\(list.count) entries, the module takes at most \(max)")
            }
            return .cidrs(list)
        }
    }

    /// A value as the module shows it in sysfs (Y/N, a number, its CIDR
    /// list; "(null)" and empty are the empty list), nil when unreadable.
    public func parseSysfs(_ text: String) -> ParameterValue? {
        let t = text.trimmingWhitespace()
        switch kind {
        case .bool:
            switch t.uppercased() {
            case "Y", "1": return .bool(true)
            case "N", "0": return .bool(false)
            default: return nil
            }
        case .uint:
            return UInt64(t).map { .uint($0) }
        case .cidrs:
            var list: [CIDR] = []
            for item in t.split(separator: ",") {
                let s = item.trimmingSpaces()
                if s.isEmpty || s == "(null)" { continue }
                guard let c = CIDR(s) else { return nil }
                list.append(c)
            }
            return .cidrs(list)
        }
    }
}

/// One counter of /proc/net/vtoa_stats, from kmod/include/uapi/vtoa_stats.h:
/// the list the module's enum and names are expanded from too.
public struct StatSpec: Equatable, Sendable {
    public let name: String
    public let gauge: Bool
    public let help: String
    /// Shared by all network namespaces (probe_missed).
    public let global: Bool

    public static let all: [StatSpec] = (0..<vtoa_stat_count()).compactMap { i in
        guard let s = vtoa_stat_at(i)?.pointee else { return nil }
        return StatSpec(name: String(cString: s.name), gauge: s.kind == VTOA_STAT_KIND_GAUGE,
                        help: String(cString: s.help), global: s.global != 0)
    }
}

public struct ParameterError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// A parameter's value; equal values mean the same to the module (CIDRs
/// compare with host bits cleared, so 10.0.0.1/8 == 10.0.0.0/8).
public enum ParameterValue: Equatable, Sendable, CustomStringConvertible {
    case bool(Bool)
    case uint(UInt64)
    case cidrs([CIDR])

    /// What is written to the module (insmod option or sysfs file).
    public var moduleText: String {
        switch self {
        case .bool(let b): return b ? "1" : "0"
        case .uint(let v): return String(v)
        case .cidrs(let l): return l.map(\.description).joined(separator: ",")
        }
    }

    /// For people: yes/no, the number, the normalised list or "(none)".
    public var description: String {
        switch self {
        case .bool(let b): return b ? "yes" : "no"
        case .uint(let v): return String(v)
        case .cidrs(let l): return l.isEmpty ? "(none)" : moduleText
        }
    }

    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var uintValue: UInt64? { if case .uint(let v) = self { return v } else { return nil } }
    public var cidrsValue: [CIDR]? { if case .cidrs(let l) = self { return l } else { return nil } }
}
