/// Every failure the tool reports: one line naming the problem and the fix,
/// and a distinct exit code (see docs/vtoa-tool.md).
public enum VTOAError: Error, Equatable, Sendable {
    case notRoot(command: String)
    case unparsableRelease(String)
    case kernelUnsupported(release: String, reason: String)
    case badConfig(file: String, line: Int, key: String?, message: String)
    case configUnreadable(file: String, reason: String)
    case noModuleSupport(reason: String)
    /// Kernel options the module cannot be built or run without.
    case kernelConfigMissing(options: [String], source: String)
    case moduleNotFound(name: String, kernel: String)
    /// Not found, and the running kernel has no headers: DKMS could not
    /// build it. `install`: the distribution's command for the headers.
    case moduleNotBuiltNoHeaders(name: String, release: String, install: String)
    case moduleNotLoaded(name: String)
    case moduleAlreadyLoaded(name: String)
    case moduleOperationFailed(operation: String, name: String, reason: String)
    /// The kernel enforces module signatures (`enforcement`: what does) and
    /// the module is unsigned or was refused (`detail`).
    case moduleSignatureRequired(name: String, enforcement: String, detail: String)
    case parameterWriteFailed(path: String, reason: String)
    /// The eBPF backend cannot be used here (`reason` names why and the remedy).
    case ebpfUnavailable(reason: String)
    /// The eBPF loader failed (`reason`: its one line, e.g. the verifier's).
    case ebpfFailed(operation: String, reason: String)
    /// One backend is active and `wanted` is the other: never both at once.
    case backendConflict(active: Backend, wanted: Backend)
    /// backend = auto: neither backend could be used (the module's error, the eBPF backend's).
    case noBackend(module: String, ebpf: String)
    case statsUnavailable(path: String, reason: String)
    case noSystemd(reason: String)
    case busUnavailable(reason: String)
    case busRefused(reason: String)
    case noSuchUnit(String)
    case jobFailed(unit: String, operation: String, result: String)
    /// `log`: the last lines of DKMS's make.log (or of its output).
    case dkmsFailed(command: String, log: String)
    case dkmsMissing
    case headersMissing(release: String)
    case moduleSourceMissing(path: String)
    case installCheckFailed(kernel: String, reason: String)
    case selftestCannotRun(step: String, reason: String)
    /// Standard output (or a file it names) could not take what was written.
    case outputFailed(errno: Int32, reason: String)

    /// Exit codes. 0-4 are taken by the per-command conventions
    /// (kernel-check 0/1/2, status 0/3/4), so errors start at 10.
    public var exitCode: Int32 {
        switch self {
        case .unparsableRelease: return 10
        case .kernelUnsupported: return 11
        case .badConfig, .configUnreadable: return 12
        case .noModuleSupport: return 13
        case .kernelConfigMissing: return 19
        case .moduleNotFound, .moduleNotBuiltNoHeaders: return 14
        case .moduleNotLoaded: return 15
        case .moduleAlreadyLoaded: return 16
        case .moduleOperationFailed, .parameterWriteFailed: return 17
        case .statsUnavailable: return 18
        case .noSystemd: return 20
        case .busUnavailable: return 21
        case .busRefused: return 22
        case .noSuchUnit: return 23
        case .jobFailed: return 24
        case .moduleSignatureRequired: return 25
        case .ebpfUnavailable, .noBackend: return 26
        case .ebpfFailed: return 27
        case .backendConflict: return 28
        case .dkmsMissing: return 30
        case .dkmsFailed: return 31
        case .headersMissing: return 32
        case .moduleSourceMissing: return 33
        case .installCheckFailed: return 34
        case .selftestCannotRun: return 35
        case .outputFailed: return 74    // EX_IOERR
        case .notRoot: return 77
        }
    }

    /// Lines to show before the message (DKMS's log), empty for most errors.
    public var details: [String] {
        switch self {
        case .dkmsFailed(_, let log):
            return log.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                .reversed().drop(while: { $0.isEmpty }).reversed().suffix(20).map { $0 }
        default:
            return []
        }
    }

    /// The one-line message: the problem, then the fix.
    public var message: String {
        switch self {
        case .notRoot(let command):
            return "'vtoa \(command)' needs root; run it again with sudo"
        case .unparsableRelease(let r):
            return "cannot parse kernel release '\(r)' (expected e.g. 5.10.134-17.2.al8.x86_64); pass a release like the output of 'uname -r'"
        case .kernelUnsupported(let release, let reason):
            return "kernel \(release) is not supported: \(reason); boot a supported kernel or pass --force"
        case .badConfig(let file, let line, let key, let message):
            let k = key.map { " (key '\($0)')" } ?? ""
            return "\(file):\(line)\(k): \(message); fix that line, nothing was changed"
        case .configUnreadable(let file, let reason):
            return "cannot read \(file): \(reason); fix its permissions or remove it to use the defaults"
        case .noModuleSupport(let reason):
            return "this kernel cannot load modules (\(reason)); run vtoa on a kernel built with CONFIG_MODULES, not in a container without /proc/modules"
        case .kernelConfigMissing(let options, let source):
            return "\(options.joined(separator: ", ")) not set in \(source): the vtoa module cannot be built for this kernel; boot a kernel built with them (every Debian, Ubuntu, RHEL and Alibaba Cloud Linux kernel is)"
        case .moduleNotFound(let name, let kernel):
            return "module \(name) is not built for kernel \(kernel); run 'vtoa install' (DKMS) first"
        case .moduleNotBuiltNoHeaders(let name, let release, let install):
            return "module \(name) is not built for kernel \(release): its headers are not installed (/lib/modules/\(release)/build is missing); run: \(install) && systemctl restart vtoa"
        case .moduleNotLoaded(let name):
            return "module \(name) is not loaded; run 'vtoa start' or 'vtoa load'"
        case .moduleAlreadyLoaded(let name):
            return "module \(name) is already loaded; use 'vtoa reload' to apply a changed configuration"
        case .moduleOperationFailed(let op, let name, let reason):
            return "cannot \(op) module \(name): \(reason)"
        case .moduleSignatureRequired(let name, let enforcement, let detail):
            return "the kernel enforces module signatures (\(enforcement)) and \(name).ko \(detail); \(SignatureEnforcement.remedy)"
        case .parameterWriteFailed(let path, let reason):
            return "cannot write \(path): \(reason); the module parameter was not changed"
        case .ebpfUnavailable(let reason):
            return "the eBPF backend cannot be used: \(reason)"
        case .ebpfFailed(let op, let reason):
            return "eBPF backend \(op) failed: \(reason); nothing is left attached"
        case .backendConflict(let active, let wanted):
            return "the \(active.rawValue) backend is active and vtoa.conf asks for \(wanted.rawValue): never both at once; run 'vtoa unload' (or 'systemctl stop vtoa'), then 'vtoa load'"
        case .noBackend(let module, let ebpf):
            return "no backend can serve this machine (backend = auto): module: \(module); eBPF: \(ebpf)"
        case .statsUnavailable(let path, let reason):
            return "cannot read \(path) (\(reason)); load the module with 'vtoa start' or 'vtoa load'"
        case .noSystemd(let reason):
            return "systemd is not running here (\(reason)); use 'vtoa load' to load the module directly"
        case .busUnavailable(let reason):
            return "cannot connect to the system D-Bus (\(reason)); start dbus, or use 'vtoa load' to load the module directly"
        case .busRefused(let reason):
            return "systemd refused the request over D-Bus (\(reason)); run it again as root"
        case .noSuchUnit(let unit):
            return "unit \(unit) is not installed; install the vtoa package (it ships vtoa.service) or use 'vtoa load'"
        case .jobFailed(let unit, let op, let result):
            return "\(op) of \(unit) finished with result '\(result)'; see 'journalctl -u \(unit)'"
        case .dkmsFailed(let command, _):
            return "'\(command)' failed (its log's last lines are above); nothing this run added was left behind; fix the build error, then run 'vtoa install' again"
        case .dkmsMissing:
            return "dkms is not installed; install it (apt install dkms / yum install dkms)"
        case .headersMissing(let release):
            return "no kernel headers for \(release) (/lib/modules/\(release)/build is missing); install linux-headers-\(release) (Debian/Ubuntu) or kernel-devel-\(release) (RHEL/Alibaba Cloud Linux), then run 'vtoa install' again"
        case .moduleSourceMissing(let path):
            return "the module source is not at \(path) (no dkms.conf there); install the vtoa-dkms package, or copy the repository's kmod/ directory there"
        case .installCheckFailed(let kernel, let reason):
            return "DKMS installed vtoa for \(kernel) but libkmod disagrees: \(reason); the install was undone; check 'dkms status' and depmod"
        case .selftestCannotRun(let step, let reason):
            return "selftest could not \(step): \(reason); run it as root on a kernel with network namespaces and /dev/net/tun"
        case .outputFailed(_, let reason):
            return "cannot write output: \(reason)"
        }
    }
}

/// Every exit status of the tool, for vtoa(8) and docs/vtoa-tool.md (a test
/// checks that each error's code is here and the docs list the same codes).
public enum ExitStatus {
    public static let table: [(code: Int32, meaning: String)] = [
        (0, "success; status: running (without systemd: module loaded); doctor: nothing wrong (warnings allowed); kernel-check: supported"),
        (1, "kernel-check: unsupported; doctor: at least one problem; selftest: FAIL"),
        (2, "kernel-check: unparsable release"),
        (3, "status: not running"),
        (4, "status: unknown: no such unit, or (without systemd) the kernel's modules cannot be listed"),
        (10, "unparsable kernel release"),
        (11, "kernel not supported by the policy (--force overrides)"),
        (12, "bad or unreadable configuration"),
        (13, "the kernel cannot load modules (CONFIG_MODULES is not set, or no /proc/modules)"),
        (14, "module not built or installed for this kernel"),
        (15, "module not loaded"),
        (16, "module already loaded"),
        (17, "insert or remove failed, or a sysfs parameter write failed"),
        (18, "counters unavailable"),
        (19, "install: the kernel lacks an option the module is built on"),
        (20, "systemd is not running here"),
        (21, "the system D-Bus is unreachable"),
        (22, "D-Bus or systemd refused the request (permissions)"),
        (23, "no such unit"),
        (24, "the systemd job failed"),
        (25, "the kernel enforces module signatures (Secure Boot, lockdown, module.sig_enforce) and the module is not signed by a key it trusts"),
        (26, "the eBPF backend cannot be used here (no loader, a kernel before 5.10, no cgroup v2), or backend = auto and neither backend can"),
        (27, "the eBPF loader failed (a program the verifier refused, an attach refused): nothing is left attached"),
        (28, "the other backend is active (never both at once): unload first"),
        (30, "dkms is not installed"),
        (31, "a DKMS step failed (what this run did is undone)"),
        (32, "no kernel headers for the release"),
        (33, "the module source is not in /usr/src/vtoa-VERSION"),
        (34, "DKMS installed the module but libkmod disagrees"),
        (35, "selftest could not set up its namespace or TUN device"),
        (64, "bad command line"),
        (74, "the output could not be written (a closed pipe ends vtoa by SIGPIPE instead, as coreutils)"),
        (77, "not root"),
    ]
}
