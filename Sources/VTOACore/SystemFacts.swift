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

/// What vtoa reads about the machine. Paths are absolute as on the real
/// system ("/proc/net/vtoa_stats"); an implementation may map them under a
/// root prefix, which is how tests point the tool at a fake /proc and /sys.
public protocol SystemFacts {
    /// The running kernel release, as `uname -r` prints it.
    func kernelRelease() -> String
    /// The effective user id.
    func effectiveUID() -> UInt32
    /// The file's text, or nil when it does not exist or cannot be read.
    func readFile(_ path: String) -> String?
    /// Whether the path exists (file or directory).
    func exists(_ path: String) -> Bool
    /// The names in a directory, sorted, or nil when it cannot be listed.
    func listDirectory(_ path: String) -> [String]?
    /// Write a file (sysfs parameters); throws with the reason.
    func writeFile(_ path: String, _ contents: String) throws(FactsError)
    /// The decompressed text of a gzip file (/proc/config.gz), or nil.
    func readGzipFile(_ path: String) -> String?
}

extension SystemFacts {
    /// The running kernel's version string, as `uname -v` prints it.
    public func kernelVersion() -> String? { readFile("/proc/sys/kernel/version") }
    /// Ubuntu's /proc/version_signature, nil elsewhere.
    public func kernelVersionSignature() -> String? { readFile("/proc/version_signature") }
}

public struct FactsError: Error, Equatable, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// The real machine, optionally seen under a root prefix.
public struct HostFacts: SystemFacts {
    public let root: String

    /// `root` "/" is the machine itself. Any other root is a directory
    /// laid out like /, used by tests (and by VTOA_ROOT).
    public init(root: String = "/") {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r.isEmpty ? "/" : r
    }

    public func map(_ path: String) -> String {
        root == "/" ? path : root + (path.hasPrefix("/") ? path : "/" + path)
    }

    public func kernelRelease() -> String {
        if root != "/", let r = readFile("/proc/sys/kernel/osrelease") {
            return r.trimmingWhitespace()
        }
        var u = utsname()
        guard uname(&u) == 0 else { return "" }
        return withUnsafeBytes(of: &u.release) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    public func effectiveUID() -> UInt32 {
        return geteuid()
    }

    public func readFile(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: map(path)) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: map(path))
    }

    public func listDirectory(_ path: String) -> [String]? {
        (try? FileManager.default.contentsOfDirectory(atPath: map(path)))?.sorted()
    }

    public func writeFile(_ path: String, _ contents: String) throws(FactsError) {
        let fd = open(map(path), O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw FactsError(String(cString: strerror(errno))) }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 { throw FactsError(String(cString: strerror(errno))) }
        if n != bytes.count { throw FactsError("short write (\(n) of \(bytes.count) bytes)") }
    }

    public func readGzipFile(_ path: String) -> String? {
        guard exists(path) else { return nil }
        return runCapturing("/bin/gzip", ["-dc", map(path)]).flatMap { $0.status == 0 ? $0.output : nil }
    }
}

/// Runs a program, returning its exit status and its stdout+stderr, or nil
/// when it cannot be started (not installed). posix_spawn and waitpid, not
/// Foundation's Process, whose waitUntilExit polls a run loop.
public func runCapturing(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String)? {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addclose(&actions, fds[1])
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid = pid_t()
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    close(fds[1])
    guard rc == 0 else { close(fds[0]); return nil }
    var output: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
        if n > 0 { output.append(contentsOf: buf[0..<n]); continue }
        if n < 0 && errno == EINTR { continue }
        break
    }
    close(fds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // WIFEXITED / WEXITSTATUS by hand (macros are not imported).
    let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exit, String(decoding: output, as: UTF8.self))
}

/// Finds a program on PATH (plus the usual sbin directories).
public func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    for d in dirs where !d.isEmpty {
        let p = d + "/" + name
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}
