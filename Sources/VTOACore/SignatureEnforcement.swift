/// Whether the running kernel refuses modules without a trusted signature,
/// and why: Secure Boot (EFI variable SecureBoot = 1; Debian's and most
/// distributions' kernels then lock down), kernel lockdown (integrity or
/// confidentiality), or `module.sig_enforce=1`.
public struct SignatureEnforcement: Equatable, Sendable {
    /// What enforces it, e.g. ["Secure Boot", "lockdown=integrity"]; empty: nothing.
    public var reasons: [String]

    public init(reasons: [String]) { self.reasons = reasons }

    public var enforced: Bool { !reasons.isEmpty }

    /// "Secure Boot, lockdown=integrity"
    public var description: String { reasons.joined(separator: ", ") }

    /// The EFI global variable holding the Secure Boot state (4 attribute
    /// bytes, then 1 when on).
    public static let secureBootVariable = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0b98c1ec2b8"
    /// The key Debian's dkms signs modules with (and the one to enrol).
    public static let dkmsKey = "/var/lib/dkms/mok.pub"

    public static func detect(_ facts: SystemFacts) -> SignatureEnforcement {
        var reasons: [String] = []
        if let v = facts.readFile(secureBootVariable), v.unicodeScalars.count >= 5,
           v.unicodeScalars.last?.value == 1 {
            reasons.append("Secure Boot")
        }
        if let mode = lockdownMode(facts), mode != "none" {
            reasons.append("lockdown=\(mode)")
        }
        let se = facts.readFile("/sys/module/module/parameters/sig_enforce")?.trimmingWhitespace()
        if se == "Y" || se == "1" {
            reasons.append("module.sig_enforce=1")
        }
        return SignatureEnforcement(reasons: reasons)
    }

    /// The bracketed mode of /sys/kernel/security/lockdown ("none [integrity] confidentiality").
    public static func lockdownMode(_ facts: SystemFacts) -> String? {
        guard let t = facts.readFile("/sys/kernel/security/lockdown"),
              let open = t.firstIndex(of: "["), let close = t.firstIndex(of: "]"), open < close else { return nil }
        return String(t[t.index(after: open)..<close])
    }

    /// Whether the kernel holds a key named `signer` (a module's modinfo
    /// signer), from /proc/keys' asymmetric keys ("CN: key id" descriptions;
    /// enrolled MOKs are in .platform/.machine, the distribution's in
    /// .builtin_trusted_keys). nil when /proc/keys shows no asymmetric key at
    /// all: then nothing can be said.
    public static func kernelHasKey(_ facts: SystemFacts, signer: String) -> Bool? {
        guard let text = facts.readFile("/proc/keys") else { return nil }
        var any = false
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", maxSplits: 8, omittingEmptySubsequences: true)
            guard f.count == 9, f[7].hasPrefix("asymmetri") else { continue }
            any = true
            if f[8].hasPrefix(signer + ":") || f[8].contains(": " + signer + ":") { return true }
        }
        return any ? false : nil
    }

    /// The one remedy: enrol DKMS's key.
    public static let remedy = "enrol DKMS's signing key: mokutil --import \(dkmsKey), reboot and confirm it in the MOK manager, then systemctl restart vtoa"
}
