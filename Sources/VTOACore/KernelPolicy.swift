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

    /// A release whose upstream is read from elsewhere (the distribution's
    /// version string); `raw` stays what `uname -r` printed.
    init(raw: String, upstream: [Int], build: [Int]) {
        self.raw = raw
        self.upstream = upstream
        self.build = build
    }

    public var upstreamString: String { upstream.map(String.init).joined(separator: ".") }
    public var description: String { raw }

    /// Debian names a stable kernel after its series, not its sublevel:
    /// `5.10.0-32-amd64` is upstream 5.10.223, which only `uname -v`
    /// (/proc/sys/kernel/version: "#1 SMP Debian 5.10.223-1 (2024-08-10)")
    /// tells; Ubuntu says it in /proc/version_signature ("Ubuntu
    /// 5.4.0-42.46-generic 5.4.44"). Given those texts, a release whose
    /// sublevel is 0 takes the real one from them when the series agrees;
    /// anything else (Alibaba Cloud Linux's 5.10.134-17.2.al8, a later
    /// sublevel, a text that does not match) stays as it is.
    /// `source` names where the upstream came from, for the verdict's reason.
    public func resolvingDistributionVersion(kernelVersion: String?, versionSignature: String?)
        -> (release: KernelRelease, source: String?) {
        guard upstream[2] == 0 else { return (self, nil) }
        func series(_ r: KernelRelease) -> Bool { r.upstream[0] == upstream[0] && r.upstream[1] == upstream[1] }
        // "... Debian 5.10.223-1 (2024-08-10)": the token after "Debian".
        if let v = kernelVersion {
            let words = v.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            if let i = words.firstIndex(of: "Debian"), i + 1 < words.count,
               let real = KernelRelease(String(words[i + 1])), series(real), real.upstream[2] > 0 {
                return (KernelRelease(raw: raw, upstream: real.upstream, build: real.build),
                        "Debian \(words[i + 1])")
            }
        }
        // "Ubuntu 5.4.0-42.46-generic 5.4.44": the last word.
        if let s = versionSignature {
            let words = s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            if words.count >= 3, words[0] == "Ubuntu", let last = words.last,
               let real = KernelRelease(String(last)), series(real), real.upstream[2] > 0 {
                return (KernelRelease(raw: raw, upstream: real.upstream, build: []), "Ubuntu upstream \(last)")
            }
        }
        return (self, nil)
    }

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

    /// The verdict for the running kernel: its release, with the upstream
    /// version a distribution hides in its version string (see
    /// `resolvingDistributionVersion`).
    public static func verdict(for release: KernelRelease, kernelVersion: String?, versionSignature: String?) -> KernelVerdict {
        let (r, source) = release.resolvingDistributionVersion(kernelVersion: kernelVersion, versionSignature: versionSignature)
        let v = verdict(for: r)
        guard let source else { return v }
        return KernelVerdict(release: release, support: v.support,
                             reason: "\(release.raw) is upstream \(r.upstreamString) (\(source)): " + v.reason)
    }
}
