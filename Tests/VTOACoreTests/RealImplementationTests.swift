import Foundation
import Testing
@testable import VTOACore

/// A temporary directory laid out like /, removed afterwards.
final class FakeRoot {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "vtoa-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ rel: String, _ text: String) throws {
        let full = path + rel
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: false, encoding: .utf8)
    }
    func mkdir(_ rel: String) throws {
        try FileManager.default.createDirectory(atPath: path + rel, withIntermediateDirectories: true)
    }
}

@Suite struct HostFactsUnderRoot {
    @Test func readsTheTreeUnderRoot() throws {
        let root = try FakeRoot()
        try root.write("/proc/sys/kernel/osrelease", "5.10.134-17.2.al8.x86_64\n")
        try root.write("/proc/net/vtoa_stats", "toa_v4 3\nentries_live 1\n")
        try root.write("/sys/module/vtoa/parameters/getpeername", "Y\n")
        try root.write("/sys/module/vtoa/parameters/max_entries", "1048576\n")
        let facts = HostFacts(root: root.path + "/")
        #expect(facts.kernelRelease() == "5.10.134-17.2.al8.x86_64")
        #expect(facts.exists("/proc/net/vtoa_stats"))
        #expect(!facts.exists("/etc/vtoa/vtoa.conf"))
        #expect(facts.listDirectory("/sys/module/vtoa/parameters") == ["getpeername", "max_entries"])
        #expect(facts.listDirectory("/nope") == nil)
        #expect(try VTOAStats.read(facts: facts)["toa_v4"] == 3)
        try facts.writeFile("/sys/module/vtoa/parameters/getpeername", "0")
        #expect(facts.readFile("/sys/module/vtoa/parameters/getpeername") == "0")
        #expect(throws: FactsError.self) { try facts.writeFile("/sys/module/vtoa/parameters/missing", "1") }
    }

    @Test func gzipConfig() throws {
        let root = try FakeRoot()
        try root.write("/proc/config", "CONFIG_KPROBES=y\nCONFIG_KRETPROBES=y\nCONFIG_DYNAMIC_FTRACE=y\nCONFIG_SECURITY_NETWORK=y\n")
        let gz = try #require(runCapturing("/bin/gzip", [root.path + "/proc/config"]))
        #expect(gz.status == 0)
        let facts = HostFacts(root: root.path)
        #expect(facts.readGzipFile("/proc/config.gz") == "CONFIG_KPROBES=y\nCONFIG_KRETPROBES=y\nCONFIG_DYNAMIC_FTRACE=y\nCONFIG_SECURITY_NETWORK=y\n")
        #expect(facts.readGzipFile("/proc/missing.gz") == nil)
    }

    @Test func realRootIsTheMachine() {
        let facts = HostFacts()
        #expect(facts.map("/proc/net/vtoa_stats") == "/proc/net/vtoa_stats")
        #expect(KernelRelease(facts.kernelRelease()) != nil)
        #expect(facts.effectiveUID() == geteuid())
    }

    @Test func doctorAndStatusOverAFakeTree() throws {
        // A whole machine through the real HostFacts and a fake module list.
        let root = try FakeRoot()
        try root.write("/proc/sys/kernel/osrelease", "6.1.0-28-amd64\n")
        try root.write("/boot/config-6.1.0-28-amd64", "CONFIG_KPROBES=y\nCONFIG_KRETPROBES=y\nCONFIG_DYNAMIC_FTRACE=y\nCONFIG_SECURITY_NETWORK=y\n")
        try root.mkdir("/lib/modules/6.1.0-28-amd64/build")
        try root.write("/sys/module/vtoa/version", "1.2.3\n")
        try root.write("/sys/module/vtoa/parameters/getpeername", "Y\n")
        try root.write("/proc/net/vtoa_stats", "toa_untrusted 9\n")
        try root.write("/etc/vtoa/vtoa.conf", "trusted_sources = 10.0.0.0/8\n")
        let modules = FakeModules()
        modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        let facts = HostFacts(root: root.path)
        let services = FakeServices()
        services.result = .failure(.noSystemd(reason: "no /run/systemd/system"))
        let m = Machine(facts: facts, modules: .success(modules), services: services, dkms: FakeDKMS(), bpf: FakeBPF())
        let status = m.status()
        #expect(status.exitCode == 0)
        #expect(status.text.contains("version 1.2.3"))
        #expect(status.text.contains("systemd is not running here (no /run/systemd/system)"))
        let doctor = m.doctor()
        #expect(doctor.checks.first { $0.id == "counters" }?.status == .warn)
        #expect(doctor.checks.first { $0.id == "kernel-config" }?.status == .ok)
        #expect(doctor.checks.first { $0.id == "service" }?.status == .warn)
    }
}

@Suite struct RealBPF {
    static let cgroup2Root = cgroup2Mounts(HostFacts().readFile("/proc/self/mounts") ?? "").first

    /// Whether the running kernel knows the getpeername attach types (5.8+).
    static var kernelHasGetpeernameHooks: Bool {
        guard let r = KernelRelease(HostFacts().kernelRelease()) else { return false }
        return !r.upstream.lexicographicallyPrecedes([5, 8, 0])
    }

    @Test(.enabled(if: geteuid() == 0, "BPF_PROG_QUERY needs CAP_NET_ADMIN: run swift test as root"),
          .enabled(if: cgroup2Root != nil, "no cgroup2 file system is mounted here"),
          .enabled(if: kernelHasGetpeernameHooks, "a kernel before 5.8 has no getpeername attach types (EINVAL)"))
    func queryTheCgroupRootAsRoot() throws {
        // This host: cgroup v2 at /sys/fs/cgroup or /sys/fs/cgroup/unified.
        // As root on 5.8+ the query itself must succeed, even with no programs.
        let root = try #require(Self.cgroup2Root)
        for hook in GetpeernameHook.allCases {
            do throws(CgroupBPFError) {
                let progs = try SyscallCgroupBPF().attachedPrograms(cgroup: root, hook: hook)
                #expect(progs.allSatisfy { $0.id > 0 })
                #expect(Set(progs.map(\.id)).count == progs.count, "\(progs)")
                // root reads every program's info, so every one has its name.
                #expect(progs.allSatisfy { $0.name != nil }, "\(progs)")
            } catch {
                Issue.record("BPF_PROG_QUERY \(hook) on \(root) as root: \(error)")
            }
        }
    }

    @Test func notACgroup() {
        #expect(throws: CgroupBPFError.self) {
            try SyscallCgroupBPF().attachedPrograms(cgroup: "/nonexistent-cgroup", hook: .getpeername4)
        }
    }
}

@Suite struct ErrorMessages {
    @Test func distinctCodesAndOneLine() {
        let all: [VTOAError] = [
            .notRoot(command: "load"), .unparsableRelease("x"), .kernelUnsupported(release: "r", reason: "old"),
            .badConfig(file: "f", line: 1, key: "k", message: "m"), .noModuleSupport(reason: "r"),
            .moduleNotFound(name: "vtoa", kernel: "k"), .moduleNotLoaded(name: "vtoa"), .moduleAlreadyLoaded(name: "vtoa"),
            .moduleOperationFailed(operation: "insert", name: "vtoa", reason: "r"), .statsUnavailable(path: "p", reason: "r"),
            .noSystemd(reason: "r"), .busUnavailable(reason: "r"), .busRefused(reason: "r"), .noSuchUnit("u"),
            .jobFailed(unit: "u", operation: "start", result: "failed"), .dkmsMissing, .dkmsFailed(command: "c", log: ""),
            .headersMissing(release: "r"), .moduleSourceMissing(path: "p"), .installCheckFailed(kernel: "k", reason: "r"),
            .selftestCannotRun(step: "s", reason: "r"),
        ]
        #expect(Set(all.map(\.exitCode)).count == all.count)
        for e in all {
            #expect(!e.message.contains("\n"))
            #expect(e.exitCode > 4)
        }
        let dk = VTOAError.dkmsFailed(command: "dkms build", log: "a\nb\nc\nd\n\n")
        #expect(dk.details == ["a", "b", "c", "d"])
        #expect(dk.exitCode == 31)
    }
}

@Suite struct ProcessRunning {
    @Test func capturesOutputAndStatus() throws {
        let ok = try #require(runCapturing("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"]))
        #expect(ok.status == 3)
        #expect(ok.output == "out\nerr\n")
        #expect(runCapturing("/nonexistent/dkms", ["status"]) == nil)
    }

    @Test(.enabled(if: findExecutable("dkms") == nil, "dkms is installed on this machine"))
    func dkmsStatusWithoutDkms() {
        // Where dkms is not installed (this host), the state says so.
        #expect(ProcessDKMS().status(kernel: "6.1.0-28-amd64") == .dkmsMissing)
    }
}

/// The real output writer: errors come back as VTOAError, never a trap.
@Suite struct FileDescriptorOutputTests {
    @Test func writesEverything() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let text = String(repeating: "0123456789abcdef", count: 1000) + "\n"
        try FileDescriptorOutput(fd: fds[1]).write(text)
        close(fds[1])
        let data = FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile()
        #expect(String(decoding: data, as: UTF8.self) == text)
    }

    @Test func fullDiskIsAnError() throws {
        let fd = open("/dev/full", O_WRONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(throws: VTOAError.outputFailed(errno: ENOSPC, reason: FileDescriptorOutput.describe(errno: ENOSPC))) {
            try FileDescriptorOutput(fd: fd).write("vtoa_entries_live 1\n")
        }
        #expect(VTOAError.outputFailed(errno: ENOSPC, reason: "x").exitCode == 74)
        #expect(VTOAError.outputFailed(errno: ENOSPC, reason: FileDescriptorOutput.describe(errno: ENOSPC)).message
                == "cannot write output: No space left on device (free space on that file system, or write the output elsewhere)")
    }

    @Test func closedPipeIsAnError() throws {
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        close(fds[0])
        defer { close(fds[1]) }
        #expect(throws: VTOAError.outputFailed(errno: EPIPE, reason: "Broken pipe")) {
            try FileDescriptorOutput(fd: fds[1]).write("{}\n")
        }
    }

    @Test func closedDescriptorIsAnError() {
        #expect(throws: VTOAError.outputFailed(errno: EBADF, reason: FileDescriptorOutput.describe(errno: EBADF))) {
            try FileDescriptorOutput(fd: 1_000_000).write("x")
        }
    }
}
