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
import Synchronization
import Testing

// The built `vtoa` binary run as a process: exit codes from
// docs/vtoa-tool.md's table, JSON that parses, one-line errors, a full disk,
// a closed pipe, a closed stdout, not root. Everything runs against a
// temporary fake root (VTOA_ROOT) and stops before libkmod, sd-bus or dkms
// could change the machine: nothing here loads, unloads or installs.

// MARK: - Finding and running the binary

enum BuiltVTOA {
    /// `VTOA_BINARY`, else `vtoa` next to the test bundle (.build/<triple>/debug),
    /// else .build/debug/vtoa in the package.
    static let path: String? = {
        if let e = getenv("VTOA_BINARY") {
            let p = String(cString: e)
            return access(p, X_OK) == 0 ? p : nil
        }
        var candidates: [String] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { readlink("/proc/self/exe", $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count - 1) }
        if n > 0 {
            let exe = String(decoding: buf[0..<n], as: UTF8.self)
            if let slash = exe.lastIndex(of: "/") { candidates.append(String(exe[..<slash]) + "/vtoa") }
        }
        // #filePath is Tests/VTOAToolTests/ProcessTests.swift in the package.
        let package = String(#filePath).split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
        candidates.append(package + "/.build/debug/vtoa")
        return candidates.first { access($0, X_OK) == 0 }
    }()

    static var found: Bool { path != nil }
    static let isRoot = geteuid() == 0
    static let setpriv: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { access($0, X_OK) == 0 }
    /// Whether a command can be run as uid/gid 65534 (nobody).
    static var canDropToNobody: Bool { found && isRoot && setpriv != nil }
    /// vtoa is not loaded on the real machine (libkmod's view would win).
    static var realModuleAbsent: Bool { access("/sys/module/vtoa", F_OK) != 0 }
}

/// Where the child's standard output goes.
enum StandardOutput {
    /// A pipe the test reads.
    case capture
    /// A file opened for writing (/dev/full).
    case file(String)
    /// A pipe whose read end is closed before the child starts.
    case closedPipe
    /// File descriptor 1 closed.
    case closed
}

struct Finished: CustomStringConvertible {
    /// The exit status, nil when killed by a signal.
    var status: Int32?
    /// The signal that ended it, nil when it exited.
    var signal: Int32?
    var stdout: String
    var stderr: String

    var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }

    var description: String {
        "status \(status.map(String.init) ?? "-") signal \(signal.map(String.init) ?? "-")\n--- stdout:\n\(stdout)--- stderr:\n\(stderr)"
    }
}

/// Runs the built vtoa with posix_spawn: stdin /dev/null, a minimal
/// environment with VTOA_ROOT, SIGPIPE at its default as a shell leaves it
/// (or blocked, to test the fallback); as nobody through setpriv. Every
/// descriptor is close-on-exec (set under `spawnLock`, since pipe2 is not
/// imported), so concurrently started children do not hold each other's
/// pipes open.
let spawnLock = Mutex(())

/// pipe(2), both ends close-on-exec.
func cloexecPipe(_ fds: inout [Int32]) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return true
}

func runVTOA(_ arguments: [String], root: String?, stdout target: StandardOutput = .capture,
             asNobody: Bool = false, blockSIGPIPE: Bool = false, locale: String = "C", environment: [String] = [],
             sourceLocation: SourceLocation = #_sourceLocation) throws -> Finished {
    let binary = try #require(BuiltVTOA.path, "the built vtoa binary was not found", sourceLocation: sourceLocation)
    var argv = [binary] + arguments
    if asNobody {
        let setpriv = try #require(BuiltVTOA.setpriv, sourceLocation: sourceLocation)
        argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + argv
    }
    var env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=" + locale]
    if let root { env.append("VTOA_ROOT=" + root) }
    env += environment

    let cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    let cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
    defer { for p in cArgv + cEnv { free(p) } }

    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attr, &defaults)
    var mask = sigset_t()
    sigemptyset(&mask)
    if blockSIGPIPE { sigaddset(&mask, SIGPIPE) }
    posix_spawnattr_setsigmask(&attr, &mask)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    // The pipes are made and handed over under the lock: no other child
    // started from here inherits them before they are close-on-exec.
    var err: [Int32] = [-1, -1]
    var out: [Int32] = [-1, -1]
    var pid = pid_t()
    let rc: Int32 = spawnLock.withLock { _ in
        guard cloexecPipe(&err) else { return errno }
        if case .capture = target { guard cloexecPipe(&out) else { return errno } }
        if case .closedPipe = target {
            guard cloexecPipe(&out) else { return errno }
            close(out[0])
            out[0] = -1
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch target {
        case .capture, .closedPipe: posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        case .file(let path): posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY, 0)
        case .closed: posix_spawn_file_actions_addclose(&actions, 1)
        }
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        return posix_spawn(&pid, argv[0], &actions, &attr, cArgv, cEnv)
    }
    defer { for fd in err + out where fd >= 0 { close(fd) } }
    try #require(rc == 0, "spawning \(argv[0]): \(String(cString: strerror(rc)))", sourceLocation: sourceLocation)
    close(err[1]); err[1] = -1
    if out[1] >= 0 { close(out[1]); out[1] = -1 }

    // Both pipes until EOF, at most 60 s; then the child is killed.
    var collected: [Int32: [UInt8]] = [:]
    var open = [err[0]] + (out[0] >= 0 ? [out[0]] : [])
    let deadline = time(nil) + 60
    var buf = [UInt8](repeating: 0, count: 65536)
    while !open.isEmpty {
        var pfds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let r = poll(&pfds, nfds_t(pfds.count), 1000)
        if r < 0 && errno == EINTR { continue }
        if time(nil) > deadline {
            kill(pid, SIGKILL)
            Issue.record("vtoa \(arguments) did not finish within 60 s", sourceLocation: sourceLocation)
            break
        }
        for p in pfds where p.revents != 0 {
            let n = buf.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
            if n > 0 {
                collected[p.fd, default: []].append(contentsOf: buf[0..<n])
            } else if n == 0 || errno != EINTR {
                open.removeAll { $0 == p.fd }
            }
        }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signaled = (status & 0x7f) != 0
    let result = Finished(status: signaled ? nil : (status >> 8) & 0xff, signal: signaled ? status & 0x7f : nil,
                          stdout: String(decoding: collected[out[0]] ?? [], as: UTF8.self),
                          stderr: String(decoding: collected[err[0]] ?? [], as: UTF8.self))
    // Whatever happens, never a trap or a stack trace.
    for marker in ["Fatal error", "Stack dump", "Backtrace", "Current stack trace", "Illegal instruction", "💣"] {
        #expect(!result.stdout.contains(marker) && !result.stderr.contains(marker),
                "vtoa \(arguments.joined(separator: " ")) printed '\(marker)':\n\(result)", sourceLocation: sourceLocation)
    }
    if let s = result.signal, s != SIGPIPE {
        Issue.record("vtoa \(arguments.joined(separator: " ")) was killed by signal \(s):\n\(result)", sourceLocation: sourceLocation)
    }
    return result
}

/// A temporary directory laid out like /, readable by nobody, removed afterwards.
final class TempRoot {
    let path: String

    init(_ files: [String: String] = [:], directories: [String] = []) throws {
        var template = Array("/tmp/vtoa-proc-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil, "mkdtemp: \(String(cString: strerror(errno)))")
        path = String(cString: made!)
        chmod(path, 0o755)
        for d in directories { try mkdir(d) }
        for (rel, text) in files { try write(rel, text) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func mkdir(_ rel: String) throws {
        try FileManager.default.createDirectory(atPath: path + rel, withIntermediateDirectories: true)
    }

    func write(_ rel: String, _ text: String) throws {
        let full = path + rel
        if let slash = full.lastIndex(of: "/") {
            try FileManager.default.createDirectory(atPath: String(full[..<slash]), withIntermediateDirectories: true)
        }
        try #require(FileManager.default.createFile(atPath: full, contents: Data(text.utf8)), "cannot write \(full)")
    }

    func read(_ rel: String) -> String? {
        FileManager.default.contents(atPath: path + rel).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A loaded module as sysfs and procfs show it.
    static func withModule(release: String = "6.1.0-28-amd64", config: String? = nil) throws -> TempRoot {
        var files = [
            "/proc/sys/kernel/osrelease": release + "\n",
            "/sys/module/vtoa/version": "0.1.0\n",
            "/sys/module/vtoa/parameters/getpeername": "Y\n",
            "/sys/module/vtoa/parameters/getsockopt": "Y\n",
            "/sys/module/vtoa/parameters/trusted_sources": "\n",
            "/sys/module/vtoa/parameters/max_entries": "1048576\n",
            "/sys/module/vtoa/parameters/ipv6_kind254": "N\n",
            "/proc/net/vtoa_stats": "toa_v4 3\nentries_live 1\n",
        ]
        if let config { files["/etc/vtoa/vtoa.conf"] = config }
        return try TempRoot(files)
    }
}

/// Any JSON document, to check that output parses and has its documented shape.
indirect enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    static func parse(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            Issue.record("not JSON (\(error)):\n\(text)", sourceLocation: sourceLocation)
            throw error
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    var keys: Set<String> { if case .object(let o) = self { return Set(o.keys) } else { return [] } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
}

let allVerbs = ["install", "uninstall", "selftest", "status", "doctor", "kernel-check", "stats", "load", "unload",
                "reload", "start", "stop", "restart", "enable", "disable"]
let fullDiskLine = "vtoa: cannot write output: No space left on device (free space on that file system, or write the output elsewhere)\n"

// MARK: - Help, version, usage errors

@Suite(.enabled(if: BuiltVTOA.found, "the built vtoa binary was not found (run swift build, or set VTOA_BINARY)"))
struct BuiltBinaryCommandLine {
    @Test func helpListsEveryVerbAndExits0() throws {
        let root = try TempRoot()
        let r = try runVTOA(["--help"], root: root.path)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.contains("USAGE: vtoa <subcommand>"))
        #expect(r.stdout.contains("74 output could not be written"))
        for verb in allVerbs { #expect(r.stdout.contains("  \(verb) "), "\(verb) missing from --help") }
        #expect(!r.stdout.contains("generate-man"))
    }

    @Test(arguments: allVerbs)
    func verbHelpExits0(_ verb: String) throws {
        let root = try TempRoot()
        for args in [[verb, "--help"], ["help", verb]] {
            let r = try runVTOA(args, root: root.path)
            #expect(r.status == 0, "\(args): \(r)")
            #expect(r.stderr.isEmpty, "\(args): \(r)")
            #expect(r.stdout.contains("USAGE: vtoa \(verb)"), "\(args): \(r)")
        }
    }

    @Test func version() throws {
        let r = try runVTOA(["--version"], root: nil)
        #expect(r.status == 0)
        #expect(r.stdout == "0.1.0\n")
        #expect(r.stderr.isEmpty)
    }

    @Test(arguments: [
        ["bogus"],                          // unknown verb
        ["status", "--bogus"],              // unknown flag
        ["kernel-check", "6.1.0-28-amd64", "extra"],  // one argument too many
        ["doctor", "--config"],             // an option without its value
        ["doctor", "-x"],                   // an unknown short flag
    ])
    func badCommandLineIs64WithUsage(_ args: [String]) throws {
        let root = try TempRoot()
        let r = try runVTOA(args, root: root.path)
        #expect(r.status == 64, "\(args): \(r)")
        #expect(r.stdout.isEmpty, "\(args): \(r)")
        #expect(r.stderr.hasPrefix("Error: "), "\(args): \(r)")
        #expect(r.stderr.contains("Usage: vtoa"), "\(args): \(r)")
    }
}

// MARK: - kernel-check

@Suite(.enabled(if: BuiltVTOA.found, "the built vtoa binary was not found (run swift build, or set VTOA_BINARY)"))
struct BuiltBinaryKernelCheck {
    static let releases: [(String, Int32, String)] = [
        ("6.1.0-28-amd64", 0, "supported"),
        ("5.10.134-17.2.al8.x86_64", 0, "supported"),
        ("5.10.134-15.al8.x86_64", 0, "getpeername-only"),
        ("5.10.134-14.al8.x86_64", 1, "unsupported"),
        ("4.19.91-27.al7.x86_64", 1, "unsupported"),
        ("garbage", 2, "unparsable"),
        ("", 2, "unparsable"),
    ]

    @Test(arguments: releases)
    func text(_ release: String, _ code: Int32, _ verdict: String) throws {
        let root = try TempRoot()
        let r = try runVTOA(["kernel-check", release], root: root.path)
        #expect(r.status == code, "\(r)")
        if code == 2 {
            #expect(r.stdout.isEmpty)
            #expect(r.stderrLines == ["vtoa: cannot parse kernel release '\(release)' (expected e.g. 5.10.134-17.2.al8.x86_64); pass a release like the output of 'uname -r'"])
        } else {
            #expect(r.stderr.isEmpty, "\(r)")
            #expect(r.stdout.hasPrefix("\(release): \(verdict): "), "\(r)")
            #expect(r.stdout.split(separator: "\n").count == 1)
        }
    }

    @Test(arguments: releases)
    func json(_ release: String, _ code: Int32, _ verdict: String) throws {
        let root = try TempRoot()
        let r = try runVTOA(["kernel-check", "--json", release], root: root.path)
        #expect(r.status == code, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        let j = try JSONValue.parse(r.stdout)
        #expect(j["release"]?.string == release)
        #expect(j["verdict"]?.string == verdict)
        #expect(j["reason"]?.string?.isEmpty == false)
        #expect(j["schema_version"]?.number == 1)
        if code == 2 {
            #expect(j.keys == ["schema_version", "release", "verdict", "reason"])
        } else {
            #expect(j.keys == ["schema_version", "release", "upstream", "build", "verdict", "getpeername", "getsockopt", "reason"])
            #expect(j["upstream"]?.string?.split(separator: ".").count == 3)
            #expect(j["build"]?.array != nil)
            #expect(j["getpeername"]?.bool == (code == 0))
            #expect(j["getsockopt"]?.bool == (verdict == "supported"))
        }
    }

    @Test(arguments: [("5.10.134-17.2.al8.x86_64", Int32(0)), ("5.10.134-14.al8.x86_64", 1), ("not-a-release", 2)])
    func runningKernelFromTheFakeRoot(_ release: String, _ code: Int32) throws {
        let root = try TempRoot(["/proc/sys/kernel/osrelease": release + "\n"])
        let r = try runVTOA(["kernel-check"], root: root.path)
        #expect(r.status == code, "\(r)")
        #expect((r.stdout + r.stderr).contains(release))
    }
}

// MARK: - status, doctor, stats without the module

@Suite(.enabled(if: BuiltVTOA.found, "the built vtoa binary was not found (run swift build, or set VTOA_BINARY)"))
struct BuiltBinaryWithoutTheModule {
    @Test(.enabled(if: BuiltVTOA.realModuleAbsent, "vtoa is loaded on this machine, and libkmod sees it"))
    func statusIsNotRunning() throws {
        let root = try TempRoot(["/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n"])
        let r = try runVTOA(["status"], root: root.path)
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.contains("module: not loaded"))
        #expect(r.stdout.contains("systemd is not running here (no /run/systemd/system)"))
        #expect(r.stdout.contains("6.1.0-28-amd64: supported"))
    }

    @Test(.enabled(if: BuiltVTOA.realModuleAbsent, "vtoa is loaded on this machine, and libkmod sees it"))
    func statusJSON() throws {
        let root = try TempRoot(["/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n"])
        let r = try runVTOA(["status", "--json"], root: root.path)
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.isEmpty)
        let j = try JSONValue.parse(r.stdout)
        #expect(j.keys == ["schema_version", "service", "backend", "module", "dkms", "kernel", "counters", "exit_code"])
        #expect(j["backend"]?["active"]?.array?.isEmpty == true)
        #expect(j["backend"]?["configured"]?.string == "auto")
        #expect(j["dkms"]?["kernels"]?.array?.first?["release"]?.string == "6.1.0-28-amd64")
        #expect(j["dkms"]?["kernels"]?.array?.first?["running"]?.bool == true)
        #expect(j["service"]?["unit"]?.string == "vtoa.service")
        #expect(j["service"]?["available"]?.bool == false)
        #expect(j["module"]?["loaded"]?.bool == false)
        #expect(j["kernel"]?["release"]?.string == "6.1.0-28-amd64")
        #expect(j["counters"] == .null)
        #expect(j["exit_code"]?.number == 3)
    }

    @Test(.enabled(if: BuiltVTOA.realModuleAbsent, "vtoa is loaded on this machine, and libkmod sees it"))
    func doctorFindsProblems() throws {
        let root = try TempRoot(["/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n"])
        let r = try runVTOA(["doctor"], root: root.path)
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        // LC_ALL=C: ASCII markers; the root cause's remedy on the first line
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("first fix: ") == true, "\(r)")
        #expect(lines.dropFirst().first?.hasPrefix("ok kernel 6.1.0-28-amd64 is supported") == true, "\(r)")
        #expect(lines.contains { $0.hasPrefix("FAIL ") })
        let fails = lines.filter { $0.hasPrefix("FAIL ") }.count
        #expect(lines.last?.hasPrefix("\(fails) problem\(fails == 1 ? "" : "s") found") == true, "\(r)")
        for line in lines.dropFirst().dropLast() {
            #expect(["ok ", "FAIL ", "! ", "- ", "    -> "].contains { line.hasPrefix($0) }, "unexpected doctor line: \(line)")
        }
        #expect(r.stdout.unicodeScalars.allSatisfy { $0.isASCII }, "non-ASCII under LC_ALL=C")
        // a UTF-8 locale gets the symbols
        let u = try runVTOA(["doctor"], root: root.path, locale: "C.UTF-8")
        #expect(u.status == 1)
        #expect(u.stdout.split(separator: "\n").dropFirst().first?.hasPrefix("✔ kernel 6.1.0-28-amd64 is supported") == true, "\(u)")
        #expect(u.stdout.contains("\n✘ "))
        // -q: nothing on stdout, the same exit code
        let q = try runVTOA(["doctor", "-q"], root: root.path)
        #expect(q.status == 1 && q.stdout.isEmpty && q.stderr.isEmpty, "\(q)")
    }

    @Test(.enabled(if: BuiltVTOA.realModuleAbsent, "vtoa is loaded on this machine, and libkmod sees it"))
    func doctorJSON() throws {
        let root = try TempRoot(["/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n"])
        let r = try runVTOA(["doctor", "--json"], root: root.path)
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        let j = try JSONValue.parse(r.stdout)
        #expect(j["exit_code"]?.number == 1)
        let checks = try #require(j["checks"]?.array)
        #expect(r.stdout.hasPrefix("{\n  \"schema_version\": 1,"), "schema_version first")
        #expect(checks.first?["id"]?.string == "kernel")
        #expect(checks.contains { $0["id"]?.string == "module-loaded" })
        let root_cause = try #require(j["root_cause"]?.string)
        #expect(checks.first { $0["status"]?.string == "fail" }?["id"]?.string == root_cause)
        for c in checks {
            #expect(c.keys == ["id", "status", "summary", "remedy", "cause"], "\(c)")
            #expect(["ok", "fail", "warn", "skip"].contains(c["status"]?.string ?? ""), "\(c)")
        }
        #expect(checks.contains { $0["status"]?.string == "fail" })
    }

    @Test(arguments: [["stats"], ["stats", "--json"]])
    func statsWithoutCountersIs18(_ args: [String]) throws {
        let root = try TempRoot()
        let r = try runVTOA(args, root: root.path)
        #expect(r.status == 18, "\(r)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderrLines == ["vtoa: cannot read /proc/net/vtoa_stats (it does not exist: the module is not loaded); load the module with 'vtoa start' or 'vtoa load'"])
    }

    @Test func statsFromTheFakeRoot() throws {
        let root = try TempRoot.withModule()
        let text = try runVTOA(["stats"], root: root.path)
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("toa_v4"))
        let json = try runVTOA(["stats", "--json"], root: root.path)
        #expect(json.status == 0, "\(json)")
        let j = try JSONValue.parse(json.stdout)
        #expect(j["toa_v4"]?.number == 3)
        #expect(j["entries_live"]?.number == 1)
    }

    @Test(arguments: [["start"], ["stop"], ["restart"], ["enable"], ["enable", "--now"], ["disable"], ["disable", "--now"]])
    func serviceVerbsWithoutSystemdAre20(_ args: [String]) throws {
        let root = try TempRoot()
        let r = try runVTOA(args, root: root.path)
        #expect(r.status == 20, "\(r)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderrLines == ["vtoa: systemd is not running here (no /run/systemd/system); use 'vtoa load' to load the module directly"])
    }
}

// MARK: - Root: errors found before the module is touched

@Suite(.enabled(if: BuiltVTOA.found, "the built vtoa binary was not found (run swift build, or set VTOA_BINARY)"),
       .enabled(if: BuiltVTOA.isRoot, "needs root: as another user these verbs stop at 'needs root' (77)"))
struct BuiltBinaryAsRoot {
    @Test(arguments: ["load", "reload"])
    func badConfigIs12(_ verb: String) throws {
        let root = try TempRoot.withModule(config: "getpeername = yes\nmax_entries = 0\n")
        let r = try runVTOA([verb], root: root.path)
        #expect(r.status == 12, "\(r)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderrLines == ["vtoa: /etc/vtoa/vtoa.conf:2 (key 'max_entries'): '0' is not a whole number from 1 to 67108864; fix that line, nothing was changed"])
        #expect(root.read("/sys/module/vtoa/parameters/max_entries") == "1048576\n")
    }

    @Test(arguments: ["load", "reload"])
    func unsupportedKernelIs11(_ verb: String) throws {
        let root = try TempRoot.withModule(release: "5.10.134-14.al8.x86_64")
        let r = try runVTOA([verb], root: root.path)
        #expect(r.status == 11, "\(r)")
        #expect(r.stderrLines.count == 1)
        #expect(r.stderr.hasPrefix("vtoa: kernel 5.10.134-14.al8.x86_64 is not supported: "))
        #expect(r.stderr.hasSuffix("; boot a supported kernel or pass --force\n"))
    }

    @Test func unparsableRunningKernelIs10() throws {
        let root = try TempRoot.withModule(release: "garbage")
        let r = try runVTOA(["load"], root: root.path)
        #expect(r.status == 10, "\(r)")
        #expect(r.stderrLines == ["vtoa: cannot parse kernel release 'garbage' (expected e.g. 5.10.134-17.2.al8.x86_64); pass a release like the output of 'uname -r'"])
    }

    @Test func reloadWithoutTheModuleIs15() throws {
        let root = try TempRoot(["/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n"])
        let r = try runVTOA(["reload"], root: root.path)
        #expect(r.status == 15, "\(r)")
        #expect(r.stderrLines == ["vtoa: module vtoa is not loaded; run 'vtoa start' or 'vtoa load'"])
    }

    @Test(.enabled(if: BuiltVTOA.realModuleAbsent, "vtoa is loaded on this machine"))
    func selftestWithoutTheModuleIs15() throws {
        let root = try TempRoot(["/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n"])
        let r = try runVTOA(["selftest"], root: root.path)
        #expect(r.status == 15, "\(r)")
        #expect(r.stderrLines == ["vtoa: module vtoa is not loaded; run 'vtoa start' or 'vtoa load'"])
    }

    /// backend = ebpf through a stand-in loader (VTOA_BPF_LOADER): what the
    /// tool runs, prints and exits with; the loader's own behaviour is
    /// tested in the VM (tests/vm, --backend ebpf).
    @Test func theEBPFBackendThroughItsLoader() throws {
        let root = try TempRoot(["/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n",
                                 "/etc/vtoa/vtoa.conf": "backend = ebpf\ntrusted_sources = 192.0.2.0/24\n"])
        let loader = root.path + "/vtoa-bpf"
        let script = """
            #!/bin/sh
            echo "$*" >>"$VTOA_ROOT/calls"
            pin="$VTOA_ROOT/sys/fs/bpf/vtoa"
            case "$1" in
            attach) [ -e "$VTOA_ROOT/fail" ] && { echo 'libbpf: noise'; echo 'vtoa-bpf: load of program vtoa_sockops failed: Permission denied' >&2; exit 1; }
                    mkdir -p "$pin" ;;
            detach) rmdir "$pin" ;;
            get) case "$2" in trusted_sources) echo 192.0.2.0/24 ;; ipv6_kind254) echo 0 ;; *) echo 1 ;; esac ;;
            stats) printf 'toa_v4 5\nentries_live 1\n' ;;
            esac

            """
        let fd = open(loader, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        try #require(fd >= 0)
        _ = Array(script.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let env = ["VTOA_BPF_LOADER=" + loader]

        let load = try runVTOA(["load"], root: root.path, environment: env)
        #expect(load.status == 0, "\(load)")
        #expect(load.stdout == "attached vtoa's eBPF programs (trusted_sources=192.0.2.0/24 getpeername=1 getsockopt=1 ipv6_kind254=0)\n")
        #expect(root.read("/calls") == "attach --trusted 192.0.2.0/24 --getpeername 1 --getsockopt 1 --ipv6-kind254 0\n")
        let again = try runVTOA(["load"], root: root.path, environment: env)
        #expect(again.stdout == "vtoa's eBPF programs are already attached with this configuration\n", "\(again)")

        let status = try runVTOA(["status"], root: root.path, environment: env)
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("\n  backend: ebpf, programs attached to the cgroup v2 root (/sys/fs/bpf/vtoa) (vtoa.conf: backend = ebpf)\n"))
        #expect(status.stdout.contains("\n counters: toa_v4=5 entries_live=1\n"))
        let stats = try runVTOA(["stats", "--prometheus"], root: root.path, environment: env)
        #expect(stats.stdout.contains("\nvtoa_ebpf_attached 1\n") && stats.stdout.contains("\nvtoa_toa_v4_total 5\n"), "\(stats)")

        let unload = try runVTOA(["unload"], root: root.path, environment: env)
        #expect(unload.status == 0, "\(unload)")
        #expect(unload.stdout == "detached vtoa's eBPF programs\n")
        #expect(!FileManager.default.fileExists(atPath: root.path + "/sys/fs/bpf/vtoa"))

        try root.write("/fail", "")
        let failed = try runVTOA(["load"], root: root.path, environment: env)
        #expect(failed.status == 27, "\(failed)")
        #expect(failed.stderrLines == ["vtoa: eBPF backend attach failed: vtoa-bpf: load of program vtoa_sockops failed: Permission denied; nothing is left attached"])
        let none = try runVTOA(["load"], root: root.path, environment: ["VTOA_BPF_LOADER=" + root.path + "/none"])
        #expect(none.status == 26, "\(none)")
        #expect(none.stderrLines == ["vtoa: the eBPF backend cannot be used: the eBPF loader is not installed (/usr/libexec/vtoa/vtoa-bpf); reinstall the vtoa package"])
    }

    @Test func reloadWritesTheFakeSysfs() throws {
        let root = try TempRoot.withModule(config: "max_entries = 2048\n")
        let r = try runVTOA(["reload"], root: root.path)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "applied: max_entries 1048576 -> 2048\n")
        #expect(root.read("/sys/module/vtoa/parameters/max_entries") == "2048")
        let again = try runVTOA(["reload"], root: root.path)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout == "nothing to change\n")
    }
}

// MARK: - Not root

@Suite(.enabled(if: BuiltVTOA.canDropToNobody, "needs root and setpriv to run vtoa as uid 65534"))
struct BuiltBinaryNotRoot {
    @Test(arguments: ["load", "unload", "reload", "install", "uninstall"])
    func rootOnlyVerbIs77(_ verb: String) throws {
        let root = try TempRoot.withModule()
        let r = try runVTOA([verb], root: root.path, asNobody: true)
        #expect(r.status == 77, "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(r.stderr == "vtoa: 'vtoa \(verb)' needs root; run it again with sudo\n")
        #expect(root.read("/sys/module/vtoa/parameters/max_entries") == "1048576\n")
    }

    @Test func selftestWithTheModuleIs77() throws {
        let root = try TempRoot.withModule()
        let r = try runVTOA(["selftest"], root: root.path, asNobody: true)
        #expect(r.status == 77, "\(r)")
        #expect(r.stderr == "vtoa: 'vtoa selftest' needs root; run it again with sudo\n")
    }

    @Test func readOnlyVerbsWorkAsNobody() throws {
        let root = try TempRoot.withModule()
        let k = try runVTOA(["kernel-check", "6.1.0-28-amd64"], root: root.path, asNobody: true)
        #expect(k.status == 0, "\(k)")
        let s = try runVTOA(["stats", "--json"], root: root.path, asNobody: true)
        #expect(s.status == 0, "\(s)")
        #expect(try JSONValue.parse(s.stdout)["toa_v4"]?.number == 3)
    }
}

// MARK: - Output that cannot be written

/// Commands that print something on stdout and exit without changing anything.
let printingCommands: [[String]] = [
    ["kernel-check", "6.1.0-28-amd64"],
    ["kernel-check", "--json", "6.1.0-28-amd64"],
    ["kernel-check", "--json", "garbage"],
    ["status"],
    ["status", "--json"],
    ["doctor"],
    ["doctor", "--json"],
    ["stats"],
    ["stats", "--json"],
    ["--help"],
    ["--version"],
    ["help", "status"],
    ["doctor", "--help"],
    ["--generate-completion-script", "bash"],
]

@Suite(.enabled(if: BuiltVTOA.found, "the built vtoa binary was not found (run swift build, or set VTOA_BINARY)"))
struct BuiltBinaryOutputErrors {
    @Test(arguments: printingCommands)
    func fullDiskIsOneLineAnd74(_ args: [String]) throws {
        let root = try TempRoot.withModule()
        let r = try runVTOA(args, root: root.path, stdout: .file("/dev/full"))
        #expect(r.status == 74, "\(args): \(r)")
        #expect(r.stderr == fullDiskLine, "\(args): \(r)")
    }

    @Test(arguments: printingCommands)
    func closedPipeIsSIGPIPE(_ args: [String]) throws {
        let root = try TempRoot.withModule()
        let r = try runVTOA(args, root: root.path, stdout: .closedPipe)
        #expect(r.signal == SIGPIPE, "\(args): \(r)")
        #expect(r.status == nil)
        #expect(r.stderr.isEmpty, "\(args): \(r)")
    }

    /// SIGPIPE blocked by whoever started vtoa: raise() cannot end it, so the
    /// EPIPE is reported as any other output error.
    @Test(arguments: [["kernel-check", "6.1.0-28-amd64"], ["--help"]])
    func closedPipeWithSIGPIPEBlockedIsOneLineAnd74(_ args: [String]) throws {
        let root = try TempRoot.withModule()
        let r = try runVTOA(args, root: root.path, stdout: .closedPipe, blockSIGPIPE: true)
        #expect(r.status == 74, "\(args): \(r)")
        #expect(r.stderr == "vtoa: cannot write output: Broken pipe\n", "\(args): \(r)")
    }

    @Test(arguments: [["kernel-check", "6.1.0-28-amd64"], ["stats", "--json"], ["--version"]])
    func closedStdoutIsOneLineAnd74(_ args: [String]) throws {
        let root = try TempRoot.withModule()
        let r = try runVTOA(args, root: root.path, stdout: .closed)
        #expect(r.status == 74, "\(args): \(r)")
        #expect(r.stderr == "vtoa: cannot write output: Bad file descriptor (standard output is closed: run vtoa with its output open)\n", "\(args): \(r)")
    }

    @Test func errorsStillReachStderrWhenStdoutIsFull() throws {
        let root = try TempRoot()
        let r = try runVTOA(["stats"], root: root.path, stdout: .file("/dev/full"))
        #expect(r.status == 18, "\(r)")
        #expect(r.stderrLines.count == 1)
        let u = try runVTOA(["bogus"], root: root.path, stdout: .file("/dev/full"))
        #expect(u.status == 64, "\(u)")
        #expect(u.stderr.hasPrefix("Error: "))
    }
}

/// The contracts of this session's verbs, as a process.
@Suite struct BuiltBinaryConfigVerbs {
    @Test func configCheckAndShow() throws {
        let root = try TempRoot(["/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n",
                                 "/etc/vtoa/vtoa.conf": "trusted_sources = 10.0.0.1/8\n"])
        let r = try runVTOA(["config", "check"], root: root.path)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("trusted_sources = 10.0.0.0/8  (file)"), "\(r)")
        let q = try runVTOA(["config", "check", "-q"], root: root.path)
        #expect(q.status == 0 && q.stdout.isEmpty && q.stderr.isEmpty, "\(q)")
        let j = try runVTOA(["config", "show", "--json"], root: root.path)
        #expect(j.status == 0)
        #expect(j.stdout.hasPrefix("{\n  \"schema_version\": 1,"))
        let bad = try TempRoot(["/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n", "/etc/vtoa/vtoa.conf": "max_entries = 100000000\n"])
        let b = try runVTOA(["config", "check", "-q"], root: bad.path)
        #expect(b.status == 12 && b.stdout.isEmpty, "\(b)")
        #expect(b.stderrLines == ["vtoa: /etc/vtoa/vtoa.conf:1 (key 'max_entries'): '100000000' is not a whole number from 1 to 67108864; fix that line, nothing was changed"])
    }

    @Test func configOptionRefusedWhereNotRead() throws {
        let r = try runVTOA(["start", "--config", "/tmp/x.conf"], root: nil)
        #expect(r.status == 64, "\(r)")
        #expect(r.stderr.contains("--config"))
    }
}

@Suite struct BuiltBinaryStatsWatch {
    @Test func watchPrintsSamplesWithRates() throws {
        let root = try TempRoot(["/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n",
                                 "/proc/net/vtoa_stats": "toa_v4 10\nentries_live 3\n"])
        let r = try runVTOA(["stats", "--watch", "--interval", "0.1", "--count", "3"], root: root.path)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.components(separatedBy: "name ").count - 1 == 3, "three samples: \(r.stdout)")
        #expect(r.stdout.contains("entries_live      3   gauge"))
        #expect(r.stdout.contains("toa_v4           10       0"), "an unchanged counter's rate is 0: \(r.stdout)")
        for bad in [["--watch", "--json"], ["--watch", "--interval", "0"], ["--count", "2"], ["--watch", "--count", "0"]] {
            let b = try runVTOA(["stats"] + bad, root: root.path)
            #expect(b.status == 64, "\(bad): \(b)")
        }
        let j = try runVTOA(["stats", "--json"], root: root.path)
        #expect(j.stdout.hasPrefix("{\n  \"schema_version\": 1,"), "\(j)")
    }
}
