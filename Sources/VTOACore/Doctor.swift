#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

public enum CheckStatus: String, Sendable {
    case ok, fail, warn, skip

    public var symbol: String {
        switch self {
        case .ok: return "✔"
        case .fail: return "✘"
        case .warn: return "!"
        case .skip: return "-"
        }
    }
}

/// One doctor check: what was found and, when not fine, the one-line remedy.
public struct Check: Equatable, Sendable {
    public var id: String
    public var status: CheckStatus
    public var summary: String
    public var remedy: String?
    /// Set when this check failed only because an earlier one did (its id):
    /// the check is then shown as skipped, and the earlier one's remedy is
    /// the one to follow.
    public var cause: String?

    public init(_ id: String, _ status: CheckStatus, _ summary: String, remedy: String? = nil) {
        self.id = id
        self.status = status
        self.summary = summary
        self.remedy = remedy
    }
}

public struct DoctorReport: Sendable {
    public var checks: [Check]

    /// The checks in dependency order: what the kernel can do first, then
    /// what is built on it (headers, DKMS, the module file, the loaded
    /// module, the service), then what the running module reports.
    public static let order = [
        "kernel", "backend", "ebpf", "module-support", "signing", "kernel-config", "kprobes-enabled", "ftrace-enabled",
        "headers", "dkms", "module-file", "module-loaded", "kernel-vtoa", "conflict", "bpf-getpeername",
        "service", "config", "trusted-sources", "counters", "lost", "ipv6-kind254", "end-to-end",
    ]

    /// What each check is built on: when one of these failed, this one's
    /// failure follows from it and says nothing new.
    public static let dependsOn: [String: [String]] = [
        "signing": ["module-support"],
        "headers": ["module-support", "kernel-config"],
        "dkms": ["module-support", "kernel-config", "headers"],
        "module-file": ["module-support", "kernel-config", "headers", "dkms"],
        "module-loaded": ["module-support", "kernel-config", "ftrace-enabled", "module-file", "signing"],
        "kernel-vtoa": ["module-support"],
        "conflict": ["module-support"],
        "service": ["backend", "module-support", "kernel-config", "ftrace-enabled", "module-file", "signing", "module-loaded"],
        "counters": ["module-loaded"],
        "lost": ["module-loaded"],
        "ipv6-kind254": ["module-loaded"],
        "end-to-end": ["backend", "module-support", "kernel-config", "kprobes-enabled", "ftrace-enabled", "signing", "module-loaded"],
    ]

    /// Orders the checks and marks each failure that follows from an
    /// earlier one as skipped, naming that one.
    public init(checks: [Check]) {
        let rank = Dictionary(uniqueKeysWithValues: Self.order.enumerated().map { ($1, $0) })
        var ordered = checks.enumerated().sorted { a, b in
            let ra = rank[a.element.id] ?? Self.order.count, rb = rank[b.element.id] ?? Self.order.count
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
        var failed: [String: String] = [:]   // id -> its root cause (itself when it is one)
        for i in ordered.indices where ordered[i].status == .fail {
            let root = (Self.dependsOn[ordered[i].id] ?? []).lazy.compactMap { failed[$0] }.first
            if let root {
                ordered[i].status = .skip
                ordered[i].cause = root
                ordered[i].summary += " (follows from '\(root)' above)"
                ordered[i].remedy = nil
            }
            failed[ordered[i].id] = root ?? ordered[i].id
        }
        self.checks = ordered
    }

    /// The first failure that does not follow from another: fix it first.
    public var rootCause: Check? { checks.first { $0.status == .fail && $0.cause == nil } }

    /// 0 when nothing failed (warnings allowed), 1 otherwise.
    public var exitCode: Int32 { checks.contains { $0.status == .fail } ? 1 : 0 }

    public var text: String {
        var out = ""
        if let root = rootCause, let r = root.remedy {
            out += "first fix: \(r) (\(root.id))\n"
        }
        for c in checks {
            out += "\(c.status.symbol) \(c.summary)\n"
            if let r = c.remedy, c.status != .ok { out += "    → \(r)\n" }
        }
        let fails = checks.filter { $0.status == .fail }.count
        let warns = checks.filter { $0.status == .warn }.count
        out += fails == 0 ? "no problems found" : "\(fails) problem\(fails == 1 ? "" : "s") found"
        out += warns == 0 ? "\n" : ", \(warns) warning\(warns == 1 ? "" : "s")\n"
        return out
    }

    public var json: JSON {
        .object([
            ("schema_version", .int(1)),
            ("checks", .array(checks.map { c in
                .object([("id", .string(c.id)), ("status", .string(c.status.rawValue)),
                         ("summary", .string(c.summary)), ("remedy", .str(c.remedy)), ("cause", .str(c.cause))])
            })),
            ("root_cause", .str(rootCause?.id)),
            ("exit_code", .int(Int64(exitCode))),
        ])
    }
}

/// The distribution family, from /etc/os-release's ID and ID_LIKE: what the
/// headers package is called and where DKMS puts a module.
public enum DistroFamily: Sendable, Equatable {
    case debian, redHat, unknown

    public init(osRelease text: String?) {
        var words: [Substring] = []
        for line in (text ?? "").split(whereSeparator: { $0.isNewline }) {
            guard line.hasPrefix("ID=") || line.hasPrefix("ID_LIKE=") else { continue }
            let value = line[line.index(after: line.firstIndex(of: "=")!)...].filter { $0 != "\"" && $0 != "'" }
            words += value.split(separator: " ").map { Substring($0.lowercased()) }
        }
        if words.contains(where: { ["rhel", "fedora", "centos", "alinux", "anolis", "rocky", "almalinux"].contains($0) }) {
            self = .redHat
        } else if words.contains(where: { ["debian", "ubuntu"].contains($0) }) {
            self = .debian
        } else {
            self = .unknown
        }
    }

    /// The command that installs the headers of `release`.
    public func headersInstall(release: String) -> String {
        switch self {
        case .debian: return "apt install linux-headers-\(release)"
        case .redHat: return "yum install kernel-devel-\(release)"
        case .unknown: return "apt install linux-headers-\(release) / yum install kernel-devel-\(release)"
        }
    }

    /// Where DKMS installs this package's module: EL's dkms uses extra/.
    public var dkmsDirectory: String { self == .redHat ? "extra/" : "updates/" }
}

extension Machine {
    var distro: DistroFamily { DistroFamily(osRelease: facts.readFile("/etc/os-release")) }

    /// Reads a kernel config: /boot/config-RELEASE, else (for the running
    /// kernel) /proc/config.gz.
    func kernelConfig(release: String) -> (source: String, text: String)? {
        if let t = facts.readFile("/boot/config-\(release)") { return ("/boot/config-\(release)", t) }
        // /proc/config.gz is the running kernel's, of no use for another
        if release == facts.kernelRelease(), let t = facts.readGzipFile("/proc/config.gz") { return ("/proc/config.gz", t) }
        return nil
    }

    /// `endToEnd`: when given (the tool passes `runHandshakeInPrivateNamespace`),
    /// the last check runs `vtoa selftest`'s handshake with it.
    public func doctor(endToEnd: ((SelftestSetup) throws(VTOAError) -> HandshakeRecord)? = nil) -> DoctorReport {
        var checks: [Check] = []
        let release = facts.kernelRelease()

        // 1. Kernel verdict.
        switch Result(catching: { () throws(VTOAError) in try verdict(release: release) }) {
        case .success(let v):
            switch v.support {
            case .full: checks.append(Check("kernel", .ok, "kernel \(release) is supported: \(v.reason)"))
            case .getpeernameOnly: checks.append(Check("kernel", .warn, "kernel \(release): \(v.reason)",
                                                       remedy: "applications must use getpeername(); upgrade to 5.10.134-17 or later for getsockopt(1348)"))
            case .unsupported: checks.append(Check("kernel", .fail, "kernel \(release) is not supported: \(v.reason)",
                                                   remedy: "boot 5.10.134-15 or later (or any later upstream kernel)"))
            }
        case .failure(let e):
            checks.append(Check("kernel", .fail, "kernel release '\(release)' cannot be parsed", remedy: e.message))
        }

        // 2. Module support, the loaded module and conflicting TOA modules.
        let mc = try? moduleControl()
        var loadedNames: [String]? = nil
        var moduleSupportError: VTOAError? = nil
        if let mc {
            do throws(VTOAError) { loadedNames = try mc.loadedModuleNames() } catch { moduleSupportError = error }
        } else if case .failure(let e) = modules {
            moduleSupportError = e
        }
        checks.append(moduleSupportCheck(release: release, error: moduleSupportError))
        let report = moduleReport()
        if report.loaded {
            let v = report.version.map { " version \($0)" } ?? ""
            checks.append(Check("module-loaded", .ok, "module \(moduleName)\(v) is loaded"))
        } else if let e = moduleSupportError ?? report.error {
            checks.append(Check("module-loaded", .fail, "cannot tell whether \(moduleName) is loaded: this kernel has no loadable-module support here",
                                remedy: e.message))
        } else {
            checks.append(Check("module-loaded", .fail, "module \(moduleName) is not loaded",
                                remedy: "run 'vtoa start' (or 'vtoa load' without systemd)"))
        }

        // 3. Module file for this kernel, its vermagic, DKMS and headers.
        var file: ModuleFile? = nil
        if let mc { file = try? mc.moduleFile(moduleName) }
        let dk = dkms.status(kernel: release)
        if let file {
            let vermagicRelease = file.vermagic?.split(separator: " ").first.map(String.init)
            if let vr = vermagicRelease, vr != release {
                checks.append(Check("module-file", .fail, "\(file.path) was built for \(vr), not \(release)",
                                    remedy: "run 'vtoa install --force' to rebuild it for this kernel"))
            } else {
                checks.append(Check("module-file", .ok, "module file \(file.path)" + (file.vermagic.map { " (vermagic \($0))" } ?? "")))
            }
        } else if report.loaded {
            checks.append(Check("module-file", .warn, "module is loaded but no \(moduleName).ko is installed for \(release)",
                                remedy: "run 'vtoa install' so it loads again after a reboot"))
        } else {
            checks.append(Check("module-file", .fail, "no \(moduleName).ko installed for kernel \(release)",
                                remedy: "run 'vtoa install' (DKMS builds it for this kernel)"))
        }
        switch dk {
        case .installed(let v): checks.append(Check("dkms", .ok, "DKMS: vtoa \(v) installed for \(release)"))
        case .dkmsMissing:
            checks.append(Check("dkms", file == nil ? .fail : .warn, "dkms is not installed",
                                remedy: "install dkms (apt install dkms / yum install dkms) so the module is rebuilt for new kernels"))
        default:
            checks.append(Check("dkms", file == nil ? .fail : .warn, "DKMS: vtoa \(dk.label) for \(release)",
                                remedy: "run 'vtoa install'"))
        }
        let build = "/lib/modules/\(release)/build"
        if facts.exists(build) {
            checks.append(Check("headers", .ok, "kernel headers present (\(build))"))
        } else {
            checks.append(Check("headers", file == nil ? .fail : .warn, "no kernel headers for \(release) (\(build) is missing)",
                                remedy: "install the headers: \(distro.headersInstall(release: release))"))
        }

        // 4. The kernel options the module needs.
        checks.append(kernelConfigCheck(release: release))

        checks.append(kprobesEnabledCheck())
        checks.append(ftraceEnabledCheck())

        // 5. Lockdown and module signatures.
        checks.append(signingCheck(loaded: report.loaded, file: file))

        // 6. What fights the module: another TOA module, the kernel's own
        //    vtoa, cgroup eBPF programs rewriting getpeername().
        if let names = loadedNames {
            let others = names.filter { $0.lowercased().contains("toa") && $0 != moduleName }
            if others.isEmpty {
                checks.append(Check("conflict", .ok, "no other TOA module loaded"))
            } else {
                let first = others[0]
                checks.append(Check("conflict", .fail, "another TOA module is loaded: \(others.joined(separator: ", "))",
                                    remedy: "unload it ('modprobe -r \(first)') and blacklist it ('echo \"blacklist \(first)\" > /etc/modprobe.d/\(first).conf', and drop it from /etc/modules-load.d): two TOA modules fight over getpeername()"))
            }
        } else {
            checks.append(Check("conflict", .skip, "cannot list loaded modules to look for other TOA modules",
                                remedy: moduleSupportError?.message))
        }
        checks.append(kernelVTOACheck(release: release, loaded: report.loaded, file: file, mc: mc))
        checks.append(bpfGetpeernameCheck())

        // 7. The service.
        switch Result(catching: { () throws(VTOAError) in try services.state(of: unit) }) {
        case .success(let s):
            if !s.exists {
                checks.append(Check("service", .fail, "\(unit) is not installed", remedy: "install the vtoa package, which ships \(unit)"))
            } else if s.isActive && s.isEnabled {
                checks.append(Check("service", .ok, "\(unit) is enabled and \(s.activeState) (\(s.subState))"))
            } else if s.isActive {
                checks.append(Check("service", .warn, "\(unit) is \(s.activeState) but \(s.unitFileState.isEmpty ? "not enabled" : s.unitFileState): it will not start at boot",
                                    remedy: "run 'vtoa enable'"))
            } else {
                checks.append(Check("service", .fail, "\(unit) is \(s.activeState) (\(s.subState)), \(s.unitFileState)",
                                    remedy: s.isEnabled ? "run 'vtoa start'; see 'journalctl -u \(unit)' if it fails" : "run 'vtoa enable --now'"))
            }
        case .failure(let e):
            switch e {
            case .noSystemd(let reason):
                checks.append(Check("service", .warn, "systemd is not running here (\(reason)); \(unit) cannot be checked",
                                    remedy: "use 'vtoa load' to load the module directly"))
            default:
                checks.append(Check("service", .fail, "cannot ask systemd about \(unit)", remedy: e.message))
            }
        }

        // 8. Configuration: trusted_sources.
        switch Result(catching: { () throws(VTOAError) in try config() }) {
        case .success(let cfg):
            if cfg.trustedSources.isEmpty {
                checks.append(Check("trusted-sources", .warn, "trusted_sources is empty: any client can spoof its address with a TOA option",
                                    remedy: "set trusted_sources in \(configPath) to your proxy's back-to-origin ranges, then 'vtoa reload'"))
            } else {
                checks.append(Check("trusted-sources", .ok, "trusted_sources: \(cfg.trustedSources.map(\.description).joined(separator: ","))"))
            }
        case .failure(let e):
            checks.append(Check("config", .fail, "\(configPath) is not valid", remedy: e.message))
        }

        // 9. Counters.
        var stats: VTOAStats? = nil
        if report.loaded || ebpfIsAttached { stats = try? readStats() }
        if let stats {
            let bad = ["toa_malformed", "toa_untrusted"].compactMap { n in stats[n].flatMap { $0 > 0 ? "\(n)=\($0)" : nil } }
            if bad.isEmpty {
                checks.append(Check("counters", .ok, "no malformed or untrusted TOA seen"))
            } else {
                checks.append(Check("counters", .warn, "TOA options were ignored: \(bad.joined(separator: ", "))",
                                    remedy: "malformed: check the proxy's TOA settings; untrusted: add the proxy's ranges to trusted_sources (or someone is spoofing)"))
            }
            checks.append(lostCheck(stats))
            if let c = kind254Check(stats) { checks.append(c) }
        } else {
            checks.append(Check("counters", .skip, "no counters (\(VTOAStats.path) not available: module not loaded)"))
        }
        if let endToEnd { checks.append(endToEndCheck(loaded: report.loaded || ebpfIsAttached, handshake: endToEnd)) }
        backendChecks(&checks)
        return DoctorReport(checks: checks)
    }

    /// The kernel options compat.h refuses to build without (dkms.conf's
    /// BUILD_EXCLUSIVE_CONFIG lists the same, checked by kmod's Makefile).
    public static let requiredKernelOptions = ["CONFIG_KPROBES", "CONFIG_KRETPROBES", "CONFIG_DYNAMIC_FTRACE", "CONFIG_SECURITY_NETWORK"]

    /// Whether this kernel can load modules at all: `# CONFIG_MODULES is
    /// not set` in its configuration, or no /proc/modules (a container).
    func moduleSupportCheck(release: String, error: VTOAError?) -> Check {
        let config = kernelConfig(release: release)
        if let source = modulesDisabled(release: release) {
            return Check("module-support", .fail, "this kernel has no loadable-module support (CONFIG_MODULES is not set in \(source))",
                         remedy: "boot a kernel built with CONFIG_MODULES=y (every distribution kernel is): vtoa is a kernel module")
        }
        if let error {
            return Check("module-support", .fail, "cannot use loadable modules here", remedy: error.message)
        }
        return Check("module-support", .ok, "loadable modules supported" + (config.map { " (\($0.source))" } ?? ""))
    }

    /// The config file that says `# CONFIG_MODULES is not set`, if one does.
    func modulesDisabled(release: String) -> String? {
        guard let (source, text) = kernelConfig(release: release),
              text.split(separator: "\n").contains(where: { $0.trimmingSpaces() == "# CONFIG_MODULES is not set" }) else { return nil }
        return source
    }

    /// The options the module is built on, from /boot/config-RELEASE or
    /// /proc/config.gz.
    func kernelConfigCheck(release: String) -> Check {
        let id = "kernel-config"
        guard let (source, text) = kernelConfig(release: release) else {
            return Check(id, .warn, "kernel configuration not found (/boot/config-\(release), /proc/config.gz)",
                         remedy: "install the kernel's config file to let vtoa check \(Self.requiredKernelOptions.joined(separator: ", "))")
        }
        let missing = Self.missingKernelOptions(in: text)
        if missing.isEmpty {
            return Check(id, .ok, "kernel options vtoa needs are set in \(source): \(Self.requiredKernelOptions.joined(separator: ", "))")
        }
        return Check(id, .fail, "\(missing.joined(separator: ", ")) not set in \(source): the vtoa module cannot be built for this kernel",
                     remedy: "boot a kernel built with \(missing.map { "\($0)=y" }.joined(separator: ", ")) (every Debian, Ubuntu, RHEL and Alibaba Cloud Linux kernel is)")
    }

    /// The required options a kernel config text does not set to y.
    static func missingKernelOptions(in config: String) -> [String] {
        let set = Set(config.split(separator: "\n").map { $0.trimmingSpaces() })
        return requiredKernelOptions.filter { !set.contains("\($0)=y") }
    }

    /// What `vtoa install` checks before DKMS runs, the same checks doctor
    /// starts with: loadable modules, the kernel options, the headers.
    /// Throws the first failure's error.
    public func installPreflight(release: String) throws(VTOAError) {
        if let source = modulesDisabled(release: release) { throw .noModuleSupport(reason: "CONFIG_MODULES is not set in \(source)") }
        if let mc = try? moduleControl() {
            do throws(VTOAError) { _ = try mc.loadedModuleNames() } catch {
                if release == facts.kernelRelease() { throw error }
            }
        }
        if let (source, text) = kernelConfig(release: release) {
            let missing = Self.missingKernelOptions(in: text)
            if !missing.isEmpty { throw .kernelConfigMissing(options: missing, source: source) }
        }
        guard facts.exists("/lib/modules/\(release)/build") else { throw .headersMissing(release: release) }
    }

    /// The global kprobes switch in debugfs: with it off the module loads
    /// but none of its probes fire.
    func kprobesEnabledCheck() -> Check {
        let id = "kprobes-enabled", path = "/sys/kernel/debug/kprobes/enabled"
        guard let v = facts.readFile(path)?.trimmingWhitespace() else {
            let why = facts.effectiveUID() != 0 ? "not root" : "debugfs is not mounted on /sys/kernel/debug"
            return Check(id, .skip, "kprobes switch not checked: \(path) is not readable (\(why))")
        }
        if v == "0" {
            // vtoa takes kprobes only for getname, and only where the kernel
            // has no ftrace redirect for it: then its kretprobes are listed
            if let list = facts.readFile("/sys/kernel/debug/kprobes/list"), facts.exists(parametersDirectory),
               !Self.listsGetnameKretprobe(list) {
                return Check(id, .ok, "kprobes are switched off (\(path) is 0): vtoa does not use them here (getname by ftrace redirect)")
            }
            return Check(id, .fail, "kprobes are switched off (\(path) is 0): vtoa is loaded but sees no TOA",
                         remedy: "echo 1 > \(path)")
        }
        return Check(id, .ok, "kprobes are switched on (\(path) is \(v))")
    }

    /// Whether debugfs's kprobes/list (`ADDR  TYPE  SYMBOL+OFF  [FLAGS]`)
    /// has a kretprobe on inet_getname: vtoa's fallback hook.
    static func listsGetnameKretprobe(_ list: String) -> Bool {
        list.split(whereSeparator: \.isNewline).contains { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return f.count >= 3 && f[1] == "r" && (f[2].hasPrefix("inet_getname+") || f[2].hasPrefix("inet6_getname+"))
        }
    }

    /// kernel.ftrace_enabled: kprobes on function entries go through ftrace,
    /// and with it off registering them fails.
    func ftraceEnabledCheck() -> Check {
        let id = "ftrace-enabled", path = "/proc/sys/kernel/ftrace_enabled"
        guard let v = facts.readFile(path)?.trimmingWhitespace() else {
            return Check(id, .skip, "ftrace switch not checked: \(path) is missing (a kernel without CONFIG_FUNCTION_TRACER)")
        }
        if v == "0" {
            return Check(id, .fail, "ftrace is switched off (kernel.ftrace_enabled=0): the module cannot load",
                         remedy: "sysctl -w kernel.ftrace_enabled=1")
        }
        return Check(id, .ok, "ftrace is switched on (kernel.ftrace_enabled=\(v))")
    }

    /// Which vtoa is loaded, as far as the module itself tells.
    enum LoadedIdentity: Equatable {
        case ours, kernels, unknown(String)
    }

    /// A kernel that ships its own vtoa (Alibaba Cloud Linux 3:
    /// /lib/modules/RELEASE/kernel/net/vtoa/vtoa.ko*) and which one is
    /// loaded: /sys/module/vtoa/srcversion against each file's srcversion,
    /// else whether the loaded module has this package's `trusted_sources`.
    func kernelVTOACheck(release: String, loaded: Bool, file: ModuleFile?, mc: ModuleControl?) -> Check {
        let dir = "/lib/modules/\(release)/kernel/net/\(moduleName)"
        let shipped = (facts.listDirectory(dir) ?? []).filter { $0.hasPrefix(moduleName + ".ko") }.map { dir + "/" + $0 }
        let theirs: ModuleFile? = shipped.first.map { p in ((try? mc?.moduleInfo(path: p)) ?? nil) ?? ModuleFile(path: p) }
        let resolvesToTheirs = file.map { $0.path.hasPrefix(dir + "/") } ?? false
        let ours = resolvesToTheirs ? nil : file

        var identity: LoadedIdentity? = nil
        if loaded {
            let src = facts.readFile(sysfsDirectory + "/srcversion")?.trimmingWhitespace()
            let version = facts.readFile(sysfsDirectory + "/version")?.trimmingWhitespace()
            if let src, !src.isEmpty, src == ours?.srcversion {
                identity = .ours
            } else if let src, !src.isEmpty, src == theirs?.srcversion {
                identity = .kernels
            } else if facts.exists(parametersDirectory + "/trusted_sources") {
                identity = .ours
            } else {
                identity = theirs != nil ? .kernels
                    : .unknown("no trusted_sources parameter" + (version.map { ", version \($0)" } ?? "") + (src.map { ", srcversion \($0)" } ?? ""))
            }
        }
        let reinsert = "run 'vtoa unload' then 'vtoa load' (this package's vtoa is in \(distro.dkmsDirectory), which depmod prefers)"
        switch identity {
        case .kernels?:
            return Check("kernel-vtoa", .fail, "the loaded \(moduleName) is the kernel's own (\(shipped[0])), not this package's: trusted_sources, the kernel policy and these counters do not apply to it",
                         remedy: "\(reinsert), and remove \(moduleName) from /etc/modules-load.d so the kernel's does not load at boot")
        case .unknown(let why)?:
            return Check("kernel-vtoa", .fail, "the loaded \(moduleName) is not this package's (\(why))",
                         remedy: resolvesToTheirs || ours == nil ? "run 'vtoa install', then 'vtoa unload' and 'vtoa load'" : reinsert)
        case .ours?, nil:
            break
        }
        if resolvesToTheirs, let f = file {
            return Check("kernel-vtoa", .fail, "the kernel ships its own \(moduleName) and libkmod resolves '\(moduleName)' to it (\(f.path)): 'vtoa load' would load the kernel's, not this package's",
                         remedy: "run 'vtoa install' (DKMS installs this package's \(moduleName) into \(distro.dkmsDirectory), which depmod prefers over kernel/)")
        }
        guard let theirs else {
            return Check("kernel-vtoa", .ok, "the kernel ships no \(moduleName) module of its own")
        }
        if loaded {
            return Check("kernel-vtoa", .ok, "the kernel ships its own \(moduleName) (\(theirs.path)); the loaded one is this package's")
        }
        return Check("kernel-vtoa", .ok, "the kernel ships its own \(moduleName) (\(theirs.path)); 'vtoa load' loads this package's" + (ours.map { " (\($0.path))" } ?? ""))
    }

    /// The eBPF backend's getpeername programs as the kernel names them
    /// (vtoa_getpeername4/6, cut to BPF_OBJ_NAME_LEN - 1 = 15 characters).
    static let ebpfProgramNames: Set<String> = ["vtoa_getpeernam", "vtoa_getpeername4", "vtoa_getpeername6"]

    /// cgroup eBPF programs on getpeername4/getpeername6 (Cilium's socket
    /// load balancer attaches them): BPF_PROG_QUERY on the cgroup v2 root.
    func bpfGetpeernameCheck() -> Check {
        let id = "bpf-getpeername"
        guard let mounts = facts.readFile("/proc/self/mounts") ?? facts.readFile("/proc/mounts") else {
            return Check(id, .skip, "cgroup getpeername eBPF programs not checked: /proc/self/mounts is not readable")
        }
        guard let root = cgroup2Mounts(mounts).first else {
            return Check(id, .skip, "cgroup getpeername eBPF programs not checked: no cgroup v2 file system is mounted")
        }
        var found: [(GetpeernameHook, [AttachedProgram])] = []
        for hook in GetpeernameHook.allCases {
            do throws(CgroupBPFError) {
                // vtoa's own eBPF backend, while attached, is not a rival
                let ours = ebpfIsAttached ? Self.ebpfProgramNames : []
                found.append((hook, try bpf.attachedPrograms(cgroup: root, hook: hook).filter { !ours.contains($0.name ?? "") }))
            } catch {
                let why: String
                switch error {
                case .notPermitted(let r): why = "\(r) (needs root)"
                case .notSupported(let r): why = r
                case .failed(let r): why = r
                }
                return Check(id, .skip, "cgroup getpeername eBPF programs on \(root) not checked: \(why)")
            }
        }
        let total = found.reduce(0) { $0 + $1.1.count }
        if total == 0 {
            return Check(id, .ok, "no cgroup eBPF program rewrites getpeername() (\(root): getpeername4, getpeername6)")
        }
        let list = found.filter { !$0.1.isEmpty }
            .map { "\($0.0.rawValue) id\($0.1.count == 1 ? "" : "s") \($0.1.map(\.description).joined(separator: ", "))" }
            .joined(separator: "; ")
        return Check(id, .warn, "\(total) cgroup eBPF program\(total == 1 ? "" : "s") on \(root) also rewrite\(total == 1 ? "s" : "") getpeername() (as Cilium's socket load balancer does): \(list)",
                     remedy: "on connections with a TOA vtoa's getpeername() rewrite runs after theirs and wins, and getsockopt(IPPROTO_IP, 1348) is unaffected (without a TOA both answer with the program's address): have applications use 1348, or turn one of the two off (getpeername = no in \(configPath))")
    }

    /// IPv6 TOAs sent as kind 254 length 20 (dpvs-style proxies) while
    /// ipv6_kind254 is off: counted in toa_kind254_len20 (newer modules).
    /// The whole path once, as `vtoa selftest` runs it: a crafted handshake
    /// with a TOA over a TUN device in a private network namespace, and what
    /// getsockopt 1348/1349 and getpeername() answer on the accepted socket.
    func endToEndCheck(loaded: Bool, handshake: (SelftestSetup) throws(VTOAError) -> HandshakeRecord) -> Check {
        let id = "end-to-end"
        guard loaded else { return Check(id, .skip, "end-to-end test not run: the module is not loaded") }
        guard facts.effectiveUID() == 0 else { return Check(id, .skip, "end-to-end test not run: it needs root (a TUN device in a private network namespace)") }
        do throws(VTOAError) {
            let r = try selftest(handshake: handshake)
            if r.passed {
                return Check(id, .ok, "end to end: a crafted TOA connection in a private network namespace gets what this configuration should give (vtoa selftest)")
            }
            let why = r.lines.filter { $0.hasPrefix("  ✘ ") || $0.hasPrefix("  handshake: ") }
                .map { $0.trimmingSpaces() }.joined(separator: "; ")
            return Check(id, .fail, "end to end: a crafted TOA connection does not get the client's address" + (why.isEmpty ? "" : " (\(why))"),
                         remedy: "fix what the lines above flag, then run 'vtoa selftest' to see the packets and every answer")
        } catch {
            return Check(id, .skip, "end-to-end test not run: \(error.message)")
        }
    }

    /// Connections that came with a believed TOA and still showed their
    /// applications the proxy's address: the table was full (max_entries),
    /// no memory for the entry, or the kernel skipped one of vtoa's probes.
    func lostCheck(_ stats: VTOAStats) -> Check {
        let cap = stats["toa_over_cap"] ?? 0, nomem = stats["toa_alloc_fail"] ?? 0, missed = stats["probe_missed"] ?? 0
        let cookie = stats["toa_syn_cookie"] ?? 0
        if cap == 0 && nomem == 0 && missed == 0 && cookie == 0 {
            return Check("lost", .ok, "no TOA lost (toa_over_cap, toa_alloc_fail, toa_syn_cookie and probe_missed are 0)")
        }
        var what: [String] = [], fix: [String] = []
        if cap > 0 {
            let max = facts.readFile(parametersDirectory + "/max_entries")?.trimmingWhitespace()
            what.append("toa_over_cap=\(cap) (max_entries\(max.map { " = \($0)" } ?? "") open TOA connections reached)")
            fix.append("raise max_entries in \(configPath), then 'vtoa reload'")
        }
        if nomem > 0 {
            what.append("toa_alloc_fail=\(nomem) (no memory for the entry)")
            fix.append("the machine ran short of memory: free some, or raise vm.min_free_kbytes")
        }
        if cookie > 0 {
            what.append("toa_syn_cookie=\(cookie) (a TOA on a SYN answered with a SYN cookie, which keeps no state)")
            fix.append("have the proxy put the TOA on the handshake ACK too, or raise net.ipv4.tcp_max_syn_backlog and the listen backlog so the kernel needs no SYN cookies")
        }
        if missed > 0 {
            what.append("probe_missed=\(missed) (the kernel skipped vtoa's probes)")
            fix.append("stop other kprobe users (perf probe, bpftrace, SystemTap, tracing agents) while vtoa serves traffic")
        }
        return Check("lost", .warn, "connections with a TOA got the proxy's address: " + what.joined(separator: ", "),
                     remedy: fix.joined(separator: "; "))
    }

    func kind254Check(_ stats: VTOAStats) -> Check? {
        guard let n = stats["toa_kind254_len20"], n > 0 else { return nil }
        let text = moduleIsLoaded || !ebpfIsAttached ? facts.readFile(parametersDirectory + "/ipv6_kind254") : try? ebpf.get("ipv6_kind254")
        let param = text.map { ModuleParameters.boolValue($0.trimmingWhitespace()) } ?? nil
        if param == true {
            return Check("ipv6-kind254", .ok, "ipv6_kind254 is on: kind 254 length 20 options are taken as IPv6 TOA (toa_kind254_len20=\(n))")
        }
        let configured = (try? config())?.ipv6Kind254 == true
        return Check("ipv6-kind254", .warn, "\(n) TOA option\(n == 1 ? "" : "s") of kind 254 length 20 (IPv6 as dpvs-style proxies send it) ignored: ipv6_kind254 is off",
                     remedy: configured ? "ipv6_kind254 = yes is in \(configPath) but not applied: run 'vtoa reload'"
                                        : "set 'ipv6_kind254 = yes' in \(configPath), then 'vtoa reload'")
    }
}

extension Machine {
    /// Secure Boot, lockdown and module.sig_enforce against the module file:
    /// an unsigned module cannot load where signatures are enforced.
    func signingCheck(loaded: Bool, file: ModuleFile?) -> Check {
        let e = SignatureEnforcement.detect(facts)
        guard e.enforced else {
            return Check("signing", .ok, "module signatures not enforced (no Secure Boot, lockdown or module.sig_enforce)")
        }
        let what = "the kernel enforces module signatures (\(e.description))"
        if loaded {
            return Check("signing", .ok, "\(what); \(moduleName) is loaded, its signature was accepted")
        }
        guard let file else {
            return Check("signing", .warn, "\(what): \(moduleName).ko must be signed by an enrolled key",
                         remedy: "once DKMS has built it (it signs with \(SignatureEnforcement.dkmsKey)): \(SignatureEnforcement.remedy)")
        }
        guard let signer = file.signer else {
            return Check("signing", .fail, "\(what) and \(file.path) is not signed: the kernel will refuse it",
                         remedy: "rebuild it signed: Debian's dkms signs with \(SignatureEnforcement.dkmsKey) when openssl is installed (apt install openssl, then 'vtoa install --force'); then \(SignatureEnforcement.remedy)")
        }
        switch SignatureEnforcement.kernelHasKey(facts, signer: signer) {
        case true?:
            return Check("signing", .ok, "\(what); \(file.path) is signed by '\(signer)', a key the kernel holds (/proc/keys)")
        case false?:
            return Check("signing", .fail, "\(what) and \(file.path) is signed by '\(signer)', a key the kernel does not hold (/proc/keys): it refuses the module",
                         remedy: SignatureEnforcement.remedy)
        case nil:
            return Check("signing", .warn, "\(what); \(file.path) is signed by '\(signer)': it loads only if that key is enrolled",
                         remedy: "check with 'mokutil --test-key \(SignatureEnforcement.dkmsKey)'; if it is not enrolled: \(SignatureEnforcement.remedy)")
        }
    }
}
