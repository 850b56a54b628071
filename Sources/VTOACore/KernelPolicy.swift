#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A kernel release such as `5.10.134-17.2.al8.x86_64` or `6.1.0-28-amd64`:
/// the upstream version (5.10.134) and the distribution's build numbers
/// (17.2), the leading numeric parts after the first '-'. Distribution and
/// architecture tags (al8, x86_64, amd64) do not count.
public struct KernelRelease: Equatable, Comparable, Sendable, CustomStringConvertible {
    public let raw: String
    /// Always three numbers (a missing patch level is 0).
    public let upstream: [Int]
    /// The release's numeric parts, possibly empty.
    public let build: [Int]

    public init?(_ raw: String) {
        let text = raw.trimmingSpaces()
        guard !text.isEmpty else { return nil }
        // Upstream: digits and dots up to the first character that is neither.
        let upstreamText = text.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
        let parts = upstreamText.split(separator: ".", omittingEmptySubsequences: false)
        // 2 to 4 dotted numbers (2.6.32.1 had four); the first three count.
        guard (2...4).contains(parts.count) else { return nil }
        var up: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 6, let v = Int(p) else { return nil }
            up.append(v)
        }
        up = Array(up.prefix(3))
        while up.count < 3 { up.append(0) }
        var rest = text.dropFirst(upstreamText.count)
        var build: [Int] = []
        if rest.first == "-" {
            rest = rest.dropFirst()
            for token in rest.split(whereSeparator: { ".-_+~".contains($0) }) {
                guard token.allSatisfy({ $0.isASCII && $0.isNumber }), token.count <= 9, let v = Int(token) else { break }
                build.append(v)
            }
        } else if let c = rest.first, c.isLetter || c.isNumber {
            // "5.10rc1" and the like: not a release this tool knows how to read.
            return nil
        }
        self.raw = text
        self.upstream = up
        self.build = build
    }

    public var upstreamString: String { upstream.map(String.init).joined(separator: ".") }
    public var description: String { raw }

    public static func < (a: KernelRelease, b: KernelRelease) -> Bool {
        if a.upstream != b.upstream { return a.upstream.lexicographicallyPrecedes(b.upstream) }
        return KernelRelease.compareBuild(a.build, b.build) < 0
    }

    public static func == (a: KernelRelease, b: KernelRelease) -> Bool {
        a.upstream == b.upstream && compareBuild(a.build, b.build) == 0
    }

    /// Numeric comparison, missing parts count as 0 (17 == 17.0 < 17.2).
    static func compareBuild(_ a: [Int], _ b: [Int]) -> Int {
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }
}

/// What a kernel supports, per the product policy.
public enum KernelSupport: String, Sendable, Equatable {
    case full = "supported"
    case getpeernameOnly = "getpeername-only"
    case unsupported = "unsupported"
}

public struct KernelVerdict: Equatable, Sendable {
    public let release: KernelRelease
    public let support: KernelSupport
    public let reason: String

    public var getpeername: Bool { support != .unsupported }
    public var getsockopt: Bool { support == .full }
    public var isSupported: Bool { support != .unsupported }
}

/// The kernel policy: 5.10.134-15 or later supports getpeername,
/// 5.10.134-17 or later getsockopt too, any later upstream version both,
/// anything older nothing.
public enum KernelPolicy {
    public static let base = [5, 10, 134]
    public static let getpeernameBuild = [15]
    public static let getsockoptBuild = [17]

    public static func verdict(for release: KernelRelease) -> KernelVerdict {
        let up = release.upstream
        if up.lexicographicallyPrecedes(base) {
            return KernelVerdict(release: release, support: .unsupported,
                                 reason: "upstream \(release.upstreamString) is older than 5.10.134")
        }
        if up != base {
            return KernelVerdict(release: release, support: .full,
                                 reason: "upstream \(release.upstreamString) is later than 5.10.134: getpeername and getsockopt")
        }
        if KernelRelease.compareBuild(release.build, getsockoptBuild) >= 0 {
            return KernelVerdict(release: release, support: .full,
                                 reason: "5.10.134-17 or later: getpeername and getsockopt")
        }
        if KernelRelease.compareBuild(release.build, getpeernameBuild) >= 0 {
            return KernelVerdict(release: release, support: .getpeernameOnly,
                                 reason: "5.10.134-15 or -16: getpeername only (getsockopt needs 5.10.134-17 or later)")
        }
        let b = release.build.isEmpty ? "no build number" : "build " + release.build.map(String.init).joined(separator: ".")
        return KernelVerdict(release: release, support: .unsupported,
                             reason: "5.10.134 with \(b) is older than 5.10.134-15")
    }

    public static func verdict(forRelease text: String) throws(VTOAError) -> KernelVerdict {
        guard let r = KernelRelease(text) else { throw .unparsableRelease(text) }
        return verdict(for: r)
    }
}
