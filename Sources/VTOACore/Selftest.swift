#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSelftest
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the selftest sends: documentation addresses only (RFC 5737), used
/// only inside its own network namespace.
public struct SelftestSetup: Equatable, Sendable {
    public var interface = "vtoa-st0"
    /// The listening socket, on the TUN device's address (192.0.2.1/24).
    public var server = Endpoint(IPv4(192, 0, 2, 1), 8080)
    public var prefixLength = 24
    /// The proxy's address the crafted packets come from.
    public var proxy = Endpoint(IPv4(192, 0, 2, 2), 40001)
    /// The client address carried in the TOA option.
    public var client = Endpoint(IPv4(198, 51, 100, 7), 4321)
    public var initialSequence: UInt32 = 0x7654_3210
    /// How long to wait for the SYN-ACK and for the accepted connection.
    public var timeoutMilliseconds: Int32 = 2000

    public init() {}
}

/// A socket call's outcome: an address ("198.51.100.7:4321") or an errno.
public enum SockResult: Equatable, Sendable, CustomStringConvertible {
    case address(String)
    case error(Int32)

    public var description: String {
        switch self {
        case .address(let a): return a
        case .error(let e): return "error \(SockResult.errnoName(e)) (\(String(cString: strerror(e))))"
        }
    }

    static func errnoName(_ e: Int32) -> String {
        switch e {
        case ENOPROTOOPT: return "ENOPROTOOPT"
        case ENOENT: return "ENOENT"
        case ENOTCONN: return "ENOTCONN"
        case EINVAL: return "EINVAL"
        default: return "errno \(e)"
        }
    }

    /// A sockaddr_in / sockaddr_in6 as text ("a.b.c.d:port", "[v6]:port").
    public static func render(_ raw: [UInt8]) -> SockResult {
        guard raw.count >= 2 else { return .error(EINVAL) }
        let family = raw.withUnsafeBytes { $0.loadUnaligned(as: sa_family_t.self) }
        if Int32(family) == AF_INET, raw.count >= MemoryLayout<sockaddr_in>.size {
            let port = UInt16(raw[2]) << 8 | UInt16(raw[3])
            return .address("\(IPv4(raw[4], raw[5], raw[6], raw[7])):\(port)")
        }
        if Int32(family) == AF_INET6, raw.count >= MemoryLayout<sockaddr_in6>.size {
            let port = UInt16(raw[2]) << 8 | UInt16(raw[3])
            var a = in6_addr()
            withUnsafeMutableBytes(of: &a) { $0.copyBytes(from: raw[8..<24]) }
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
            let text = String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .address("[\(text)]:\(port)")
        }
        return .error(EINVAL)
    }
}

/// What happened in the namespace: the packets and the socket calls.
public struct HandshakeRecord: Equatable, Sendable {
    public var sent: [TCPPacket] = []
    public var received: TCPPacket?
    /// Packets read from the TUN device that were not the answer (IPv6 noise...).
    public var ignored: [String] = []
    /// Set when the handshake did not complete (no SYN-ACK, a RST, no accept).
    public var failure: String?
    public var getsockoptAddr: SockResult?   // 1348
    public var getsockoptTOA: SockResult?    // 1349
    public var getpeername: SockResult?

    public init() {}
}

/// The results a working setup gives, from the module's parameters.
public struct SelftestExpectation: Equatable, Sendable {
    public var getsockoptAddr: SockResult
    public var getsockoptTOA: SockResult
    public var getpeername: SockResult
    /// How the module is set up, for the report.
    public var describe: String

    /// With vtoa loaded: getsockopt=0 answers ENOPROTOOPT; a TOA from a
    /// source outside a non-empty trusted_sources is ignored; getpeername=0
    /// leaves getpeername() the proxy's address.
    /// `sockoptErrors` false: the eBPF backend on a kernel before 5.18, whose
    /// getsockopt program cannot fail a call with ENOENT (it leaves the
    /// kernel's ENOPROTOOPT; `vtoa-bpf get sockopt_errno` is 0).
    public static func module(getpeername: Bool, getsockopt: Bool, trustedSources: [CIDR],
                              setup: SelftestSetup, backend: Backend = .module, sockoptErrors: Bool = true) -> SelftestExpectation {
        let believed = trustedSources.isEmpty || trustedSources.contains { $0.contains(setup.proxy.ip) }
        let toa = SockResult.address(setup.client.description)
        let proxy = SockResult.address(setup.proxy.description)
        let trusted = trustedSources.isEmpty ? "(empty: TOA believed from anyone)"
            : trustedSources.map(\.description).joined(separator: ",") + (believed ? "" : " (does not include \(setup.proxy.ip): the TOA must be ignored)")
        return SelftestExpectation(
            getsockoptAddr: getsockopt ? (believed ? toa : proxy) : .error(ENOPROTOOPT),
            getsockoptTOA: getsockopt ? (believed ? toa : .error(sockoptErrors ? ENOENT : ENOPROTOOPT)) : .error(ENOPROTOOPT),
            getpeername: getpeername && believed ? toa : proxy,
            describe: "\(backend == .module ? "module vtoa" : "vtoa's eBPF backend"): getpeername=\(getpeername ? 1 : 0) getsockopt=\(getsockopt ? 1 : 0) trusted_sources=\(trusted)")
    }

    /// What a kernel without vtoa does: no such option, the proxy as peer.
    public static func withoutModule(setup: SelftestSetup) -> SelftestExpectation {
        SelftestExpectation(getsockoptAddr: .error(ENOPROTOOPT), getsockoptTOA: .error(ENOPROTOOPT),
                            getpeername: .address(setup.proxy.description), describe: "no vtoa module")
    }
}

public struct SelftestReport: Equatable, Sendable {
    public var lines: [String]
    public var passed: Bool
    public var verdict: String

    public var text: String { (lines + [verdict]).joined(separator: "\n") + "\n" }

    /// Compares what happened with what should have.
    public static func evaluate(_ r: HandshakeRecord, _ e: SelftestExpectation, setup: SelftestSetup) -> SelftestReport {
        var lines = ["selftest in a private network namespace (the host's network is not touched)",
                     "  \(setup.interface): TUN 192.0.2.1/\(setup.prefixLength), listening on \(setup.server)",
                     "  \(e.describe)"]
        if let syn = r.sent.first { lines.append("  sent      " + syn.summary) }
        if let got = r.received { lines.append("  received  " + got.summary) }
        for p in r.sent.dropFirst() { lines.append("  sent      " + p.summary) }
        for i in r.ignored { lines.append("  (ignored " + i + ")") }
        if let f = r.failure {
            lines.append("  handshake: " + f)
            return SelftestReport(lines: lines, passed: false,
                                  verdict: "FAIL: the crafted handshake did not complete (\(f))")
        }
        lines.append("  accepted the connection")
        var ok = true
        let calls: [(String, SockResult?, SockResult)] = [
            ("getsockopt(IPPROTO_IP, 1348)", r.getsockoptAddr, e.getsockoptAddr),
            ("getsockopt(IPPROTO_IP, 1349)", r.getsockoptTOA, e.getsockoptTOA),
            ("getpeername()", r.getpeername, e.getpeername),
        ]
        for (name, got, want) in calls {
            let right = got == want
            ok = ok && right
            let g = got?.description ?? "not called"
            lines.append("  \(right ? "✔" : "✘") \(name.padded(to: 29)) got \(g)" + (right ? "" : ", expected \(want)"))
        }
        let verdict = ok
            ? "PASS: \(e.describe == "no vtoa module" ? "the kernel handled the crafted handshake as a kernel without vtoa does" : "vtoa gives applications what it should on this machine")"
            : "FAIL: the results differ from what \(e.describe) should give"
        return SelftestReport(lines: lines, passed: ok, verdict: verdict)
    }
}

extension CIDR {
    /// Whether an IPv4 address is in this network (never for IPv6 networks).
    public func contains(_ ip: IPv4) -> Bool {
        guard family == .v4, let base = IPv4(address) else { return false }
        if prefix == 0 { return true }
        let mask: UInt32 = prefix >= 32 ? .max : ~(UInt32.max >> UInt32(prefix))
        return base.value & mask == ip.value & mask
    }
}

/// Runs `body` on a thread of its own and waits for it. The selftest's
/// unshare(CLONE_NEWNET) changes that thread's network namespace only; the
/// thread ends with the test, and the namespace with its last socket.
private final class ThreadBody: @unchecked Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

private final class ThreadResult<T>: @unchecked Sendable {
    var value: T?  // written by the thread, read after pthread_join
}

/// Nil when no thread could be started (errno value in `error`).
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> (value: T?, error: Int32) {
    let box = ThreadResult<T>()
    let context = Unmanaged.passRetained(ThreadBody { box.value = body() }).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
        body.run()
        return nil
    }, context)
    guard rc == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        return (nil, rc)
    }
    pthread_join(thread, nil)
    return (box.value, 0)  // set by body before the thread ended
}

/// The crafted handshake in a new network namespace: a TUN device with
/// 192.0.2.1/24, a listening socket, SYN from the proxy, SYN-ACK read back,
/// the ACK carrying the TOA, accept(), then getsockopt 1348/1349 and
/// getpeername() on the accepted socket.
public func runHandshakeInPrivateNamespace(_ setup: SelftestSetup) throws(VTOAError) -> HandshakeRecord {
    let run: (value: Result<HandshakeRecord, VTOAError>?, error: Int32) = onOwnThread {
        do throws(VTOAError) {
            return .success(try handshakeInThisThread(setup))
        } catch {
            return .failure(error)
        }
    }
    guard let result = run.value else {
        throw .selftestCannotRun(step: "start a thread for the test's network namespace",
                                 reason: String(cString: strerror(run.error)))
    }
    return try result.get()
}

private func errText(_ negative: Int32) -> String { String(cString: strerror(-negative)) }

private func handshakeInThisThread(_ s: SelftestSetup) throws(VTOAError) -> HandshakeRecord {
    var r = vtoa_st_unshare_net()
    if r < 0 {
        throw .selftestCannotRun(step: "create a network namespace (unshare CLONE_NEWNET)",
                                 reason: errText(r) + (r == -EPERM ? ", needs root (CAP_SYS_ADMIN)" : ""))
    }
    r = vtoa_st_if_up("lo")
    if r < 0 { throw .selftestCannotRun(step: "bring up lo in the namespace", reason: errText(r)) }
    let tun = vtoa_st_tun_open(s.interface)
    if tun < 0 { throw .selftestCannotRun(step: "create TUN device \(s.interface) (/dev/net/tun)", reason: errText(tun)) }
    defer { close(tun) }
    let mask: UInt32 = s.prefixLength == 0 ? 0 : ~(UInt32.max >> UInt32(s.prefixLength))
    r = vtoa_st_if_addr(s.interface, s.server.ip.value.bigEndian, mask.bigEndian)
    if r < 0 { throw .selftestCannotRun(step: "set \(s.server.ip)/\(s.prefixLength) on \(s.interface)", reason: errText(r)) }
    r = vtoa_st_if_up(s.interface)
    if r < 0 { throw .selftestCannotRun(step: "bring up \(s.interface)", reason: errText(r)) }

    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    if listener < 0 { throw .selftestCannotRun(step: "create a TCP socket", reason: errText(-errno)) }
    defer { close(listener) }
    var one: Int32 = 1
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = s.server.port.bigEndian
    sin.sin_addr.s_addr = s.server.ip.value.bigEndian
    let bound = withUnsafePointer(to: &sin) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if bound != 0 || listen(listener, 4) != 0 {
        throw .selftestCannotRun(step: "listen on \(s.server)", reason: errText(-errno))
    }

    var rec = HandshakeRecord()
    func send(_ p: TCPPacket) throws(VTOAError) {
        let bytes = p.encode()
        let n = bytes.withUnsafeBytes { write(tun, $0.baseAddress, $0.count) }
        if n != bytes.count { throw .selftestCannotRun(step: "write to \(s.interface)", reason: n < 0 ? errText(-errno) : "short write") }
        rec.sent.append(p)
    }

    let syn = TCPPacket(source: s.proxy, destination: s.server, seq: s.initialSequence, ack: 0, flags: [.syn],
                        options: [.mss(1460)], ipID: 1)
    try send(syn)

    // The SYN-ACK: the first TCP packet from the server to the proxy.
    var deadline = monotonicMilliseconds() + Int64(s.timeoutMilliseconds)
    var buf = [UInt8](repeating: 0, count: 65536)
    while rec.received == nil {
        let left = deadline - monotonicMilliseconds()
        if left <= 0 { break }
        var pfd = pollfd(fd: tun, events: Int16(POLLIN), revents: 0)
        if poll(&pfd, 1, Int32(left)) <= 0 { continue }
        let n = buf.withUnsafeMutableBytes { read(tun, $0.baseAddress, $0.count) }
        if n <= 0 { continue }
        let bytes = Array(buf[0..<n])
        do throws(PacketError) {
            let p = try TCPPacket.decode(bytes)
            if p.source == s.server && p.destination == s.proxy { rec.received = p } else { rec.ignored.append(p.summary) }
        } catch {
            rec.ignored.append("\(n) bytes: \(error)")
        }
    }
    guard let synack = rec.received else {
        rec.failure = "no answer to the SYN within \(s.timeoutMilliseconds) ms"
        return rec
    }
    guard synack.flags.contains([.syn, .ack]), !synack.flags.contains(.rst), synack.ack == syn.seq &+ 1 else {
        rec.failure = "expected SYN-ACK ack=\(syn.seq &+ 1), got \(synack.flags) ack=\(synack.ack)"
        return rec
    }
    try send(TCPPacket(source: s.proxy, destination: s.server, seq: syn.seq &+ 1, ack: synack.seq &+ 1, flags: [.ack],
                       options: [.toa(s.client)], ipID: 2))

    deadline = monotonicMilliseconds() + Int64(s.timeoutMilliseconds)
    var lfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
    var ready: Int32 = 0
    repeat {
        ready = poll(&lfd, 1, Int32(max(0, deadline - monotonicMilliseconds())))
    } while ready < 0 && errno == EINTR
    guard ready > 0 else {
        rec.failure = "no connection to accept within \(s.timeoutMilliseconds) ms after the ACK"
        return rec
    }
    let conn = accept(listener, nil, nil)
    if conn < 0 { throw .selftestCannotRun(step: "accept the connection", reason: errText(-errno)) }
    defer {
        // close with a RST (SO_LINGER 0): the socket, and vtoa's entry for
        // it, go now instead of lingering in FIN-WAIT until the namespace
        // is dismantled (each `vtoa doctor` runs this)
        var lg = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(conn, SOL_SOCKET, SO_LINGER, &lg, socklen_t(MemoryLayout<linger>.size))
        close(conn)
    }
    rec.getsockoptAddr = addressOption(conn, 1348)
    rec.getsockoptTOA = addressOption(conn, 1349)
    var ss = sockaddr_storage()
    var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let pr = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(conn, $0, &len) } }
    rec.getpeername = pr == 0 ? SockResult.render(bytes(of: ss, count: Int(len))) : .error(errno)
    return rec
}

private func addressOption(_ fd: Int32, _ option: Int32) -> SockResult {
    var ss = sockaddr_storage()
    var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
    if getsockopt(fd, Int32(IPPROTO_IP), option, &ss, &len) != 0 { return .error(errno) }
    return SockResult.render(bytes(of: ss, count: Int(len)))
}

private func bytes(of ss: sockaddr_storage, count: Int) -> [UInt8] {
    withUnsafeBytes(of: ss) { Array($0.prefix(max(0, min(count, $0.count)))) }
}

private func monotonicMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

extension Machine {
    /// What the loaded module should answer, from its parameters in sysfs;
    /// throws `.moduleNotLoaded` when it is not loaded.
    public func selftestExpectation(setup: SelftestSetup = SelftestSetup()) throws(VTOAError) -> SelftestExpectation {
        var loaded = false
        if let mc = try? moduleControl() { loaded = (try? mc.loadedModule(moduleName)) != nil }
        if !loaded { loaded = facts.exists(parametersDirectory) }
        if !loaded && ebpfIsAttached {
            // the eBPF backend: its settings from the loader
            func get(_ n: String) -> String? { try? ebpf.get(n) }
            let trusted = (get("trusted_sources") ?? "").split(separator: ",").compactMap { CIDR(String($0)) }
            return .module(getpeername: get("getpeername") != "0", getsockopt: get("getsockopt") != "0",
                           trustedSources: trusted, setup: setup, backend: .ebpf, sockoptErrors: get("sockopt_errno") != "0")
        }
        guard loaded else { throw .moduleNotLoaded(name: moduleName) }
        func flag(_ name: String) -> Bool {
            let v = facts.readFile(parametersDirectory + "/" + name)?.trimmingWhitespace() ?? "Y"
            return ModuleParameters.boolValue(v) ?? true
        }
        let trusted = (facts.readFile(parametersDirectory + "/trusted_sources") ?? "")
            .split(separator: ",").map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty && $0 != "(null)" }.compactMap { CIDR($0) }
        return .module(getpeername: flag("getpeername"), getsockopt: flag("getsockopt"), trustedSources: trusted, setup: setup)
    }

    /// `vtoa selftest`: needs the module loaded and root. `withoutModule`
    /// checks the handshake itself against a kernel without vtoa instead.
    public func selftest(setup: SelftestSetup = SelftestSetup(), withoutModule: Bool = false,
                         handshake: (SelftestSetup) throws(VTOAError) -> HandshakeRecord = runHandshakeInPrivateNamespace)
        throws(VTOAError) -> SelftestReport {
        let expectation = withoutModule ? .withoutModule(setup: setup) : try selftestExpectation(setup: setup)
        try requireRoot("selftest")
        let record = try handshake(setup)
        return SelftestReport.evaluate(record, expectation, setup: setup)
    }
}
