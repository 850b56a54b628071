#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import VTOACore

@Suite struct Packets {
    let proxy = Endpoint(IPv4(192, 0, 2, 2), 40001)
    let server = Endpoint(IPv4(192, 0, 2, 1), 8080)

    @Test func checksumRFC1071Example() {
        // RFC 1071's example words 0001 f203 f4f5 f6f7: sum ddf2, checksum 220d.
        #expect(internetChecksum([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]) == 0x220d)
        #expect(internetChecksum([0xff]) == 0x00ff)
    }

    @Test func ackWithToaRoundTrips() throws {
        let p = TCPPacket(source: proxy, destination: server, seq: 0x7654_3211, ack: 99, flags: [.ack],
                          options: [.toa(Endpoint(IPv4(198, 51, 100, 7), 4321))], ipID: 2)
        let bytes = p.encode()
        #expect(bytes.count == 20 + 28)
        #expect(bytes[32] == 7 << 4)  // data offset 7 words
        // The TOA option on the wire: kind 254, len 8, port 4321, 198.51.100.7.
        #expect(Array(bytes[40..<48]) == [254, 8, 0x10, 0xe1, 198, 51, 100, 7])
        let back = try TCPPacket.decode(bytes)
        #expect(back == p)
        #expect(back.options.first?.toaEndpoint == Endpoint(IPv4(198, 51, 100, 7), 4321))
        #expect(back.summary == "ACK 192.0.2.2:40001 > 192.0.2.1:8080 seq=1985229329 ack=99 [TOA 198.51.100.7:4321 (kind 254 len 8)]")
    }

    @Test func knownSynBytes() throws {
        // A SYN whose checksums were computed independently (Python, RFC 1071).
        let syn = TCPPacket(source: proxy, destination: server, seq: 0x7654_3210, ack: 0, flags: [.syn],
                            options: [.mss(1460)], ipID: 1)
        let hex = syn.encode().map { String(format: "%02x", $0) }.joined()
        #expect(hex == "4500002c000140004006b6c7c0000202c00002019c411f9076543210000000006002faf0b4fb0000020405b4")
    }

    @Test func corruptedPacketsAreRejected() throws {
        let p = TCPPacket(source: proxy, destination: server, seq: 1, ack: 0, flags: [.syn], options: [.mss(1460)])
        var b = p.encode()
        b[30] ^= 0x01
        #expect(throws: PacketError.badTCPChecksum) { try TCPPacket.decode(b) }
        b = p.encode()
        b[8] = 1
        #expect(throws: PacketError.badIPChecksum) { try TCPPacket.decode(b) }
        #expect(throws: PacketError.notIPv4) { try TCPPacket.decode([0x60] + [UInt8](repeating: 0, count: 39)) }
        #expect(throws: PacketError.truncated) { try TCPPacket.decode(Array(p.encode().prefix(30))) }
        b = p.encode()
        b[9] = 17
        #expect(throws: PacketError.notTCP) { try TCPPacket.decode(b) }
    }

    @Test func malformedOptions() throws {
        var p = TCPPacket(source: proxy, destination: server, seq: 1, ack: 0, flags: [.syn])
        p.options = [TCPOption(kind: 254, data: [1, 2])]  // encodes as 254,4,1,2
        var b = p.encode()
        b[41] = 9  // length past the header
        // fix the TCP checksum for the changed byte so only the options are wrong
        b[36] = 0; b[37] = 0
        let sum = internetChecksum(Array(b[20...]), sum: TCPPacket.pseudoSum(proxy.ip, server.ip, length: b.count - 20))
        b[36] = UInt8(sum >> 8); b[37] = UInt8(sum & 0xff)
        #expect(throws: PacketError.badOptions) { try TCPPacket.decode(b) }
    }

    @Test func addressesAndFlags() {
        #expect(IPv4("198.51.100.7") == IPv4(198, 51, 100, 7))
        #expect(IPv4("198.51.100") == nil)
        #expect(IPv4("198.51.100.256") == nil)
        #expect(TCPFlags([.syn, .ack]).description == "SYN-ACK")
        #expect(CIDR("192.0.2.0/24")!.contains(IPv4(192, 0, 2, 2)))
        #expect(!CIDR("192.0.2.0/31")!.contains(IPv4(192, 0, 2, 2)))
        #expect(CIDR("0.0.0.0/0")!.contains(IPv4(192, 0, 2, 2)))
        #expect(!CIDR("2001:db8::/32")!.contains(IPv4(192, 0, 2, 2)))
    }

    @Test func sockaddrRendering() {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = UInt16(4321).bigEndian
        sin.sin_addr.s_addr = IPv4(198, 51, 100, 7).value.bigEndian
        #expect(SockResult.render(withUnsafeBytes(of: sin) { Array($0) }) == .address("198.51.100.7:4321"))
        var sin6 = sockaddr_in6()
        sin6.sin6_family = sa_family_t(AF_INET6)
        sin6.sin6_port = UInt16(4321).bigEndian
        withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0[10] = 0xff; $0[11] = 0xff; $0[12] = 198; $0[13] = 51; $0[14] = 100; $0[15] = 7 }
        #expect(SockResult.render(withUnsafeBytes(of: sin6) { Array($0) }) == .address("[::ffff:198.51.100.7]:4321"))
        #expect(SockResult.error(ENOPROTOOPT).description.hasPrefix("error ENOPROTOOPT ("))
    }
}

@Suite struct SelftestLogic {
    let setup = SelftestSetup()
    var toa: SockResult { .address("198.51.100.7:4321") }
    var proxy: SockResult { .address("192.0.2.2:40001") }

    func record(_ a: SockResult, _ t: SockResult, _ p: SockResult) -> HandshakeRecord {
        .answered(setup, addr: a, toa: t, peer: p)
    }

    @Test func expectationsFromParameters() {
        let all = SelftestExpectation.module(getpeername: true, getsockopt: true, trustedSources: [], setup: setup)
        #expect(all.getsockoptAddr == toa && all.getsockoptTOA == toa && all.getpeername == toa)
        let noPeer = SelftestExpectation.module(getpeername: false, getsockopt: true, trustedSources: [], setup: setup)
        #expect(noPeer.getsockoptAddr == toa && noPeer.getpeername == proxy)
        let peerOnly = SelftestExpectation.module(getpeername: true, getsockopt: false, trustedSources: [], setup: setup)
        #expect(peerOnly.getsockoptAddr == .error(ENOPROTOOPT) && peerOnly.getpeername == toa)
        let untrusted = SelftestExpectation.module(getpeername: true, getsockopt: true,
                                                   trustedSources: [CIDR("100.64.0.0/10")!], setup: setup)
        #expect(untrusted.getsockoptAddr == proxy && untrusted.getsockoptTOA == .error(ENOENT) && untrusted.getpeername == proxy)
        #expect(untrusted.describe.contains("does not include 192.0.2.2"))
        let trusted = SelftestExpectation.module(getpeername: true, getsockopt: true,
                                                 trustedSources: [CIDR("192.0.2.0/24")!], setup: setup)
        #expect(trusted == SelftestExpectation(getsockoptAddr: toa, getsockoptTOA: toa, getpeername: toa,
                                               describe: "module vtoa: getpeername=1 getsockopt=1 trusted_sources=192.0.2.0/24"))
    }

    @Test func passAndFail() {
        let e = SelftestExpectation.module(getpeername: true, getsockopt: true, trustedSources: [], setup: setup)
        let good = SelftestReport.evaluate(record(toa, toa, toa), e, setup: setup)
        #expect(good.passed)
        #expect(good.verdict.hasPrefix("PASS"))
        #expect(good.text.contains("✔ getpeername()"))
        let bad = SelftestReport.evaluate(record(.error(ENOPROTOOPT), .error(ENOPROTOOPT), proxy), e, setup: setup)
        #expect(!bad.passed)
        #expect(bad.verdict.hasPrefix("FAIL"))
        #expect(bad.text.contains("expected 198.51.100.7:4321"))
        var broken = HandshakeRecord()
        broken.failure = "no answer to the SYN within 2000 ms"
        let r = SelftestReport.evaluate(broken, e, setup: setup)
        #expect(!r.passed)
        #expect(r.verdict == "FAIL: the crafted handshake did not complete (no answer to the SYN within 2000 ms)")
    }

    @Test func machineNeedsTheModuleThenRoot() throws {
        let w = World()
        #expect(throws: VTOAError.moduleNotLoaded(name: "vtoa")) { try w.machine.selftest { _ throws(VTOAError) in HandshakeRecord() } }
        #expect(VTOAError.moduleNotLoaded(name: "vtoa").message.hasPrefix("module vtoa is not loaded;"))
        w.facts.loadModule(parameters: ["getpeername": "N", "getsockopt": "Y", "trusted_sources": "(null)"])
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        w.facts.euid = 1000
        #expect(throws: VTOAError.notRoot(command: "selftest")) { try w.machine.selftest { _ throws(VTOAError) in HandshakeRecord() } }
        w.facts.euid = 0
        let report = try w.machine.selftest { s throws(VTOAError) in
            self.record(.address(s.client.description), .address(s.client.description), .address(s.proxy.description))
        }
        #expect(report.passed, "\(report.text)")
        #expect(report.text.contains("getpeername=0 getsockopt=1 trusted_sources=(empty"))
    }
}

/// The real thing on this host: a private network namespace, a TUN device,
/// the crafted handshake against the real kernel. Needs root; where vtoa is
/// not loaded (this host) the kernel must answer as without vtoa.
@Suite struct RealHandshakeInANamespace {
    @Test func handshakeCompletesAndWithoutTheModuleThePeerIsTheProxy() throws {
        #expect(geteuid() == 0, "this test needs root (unshare CLONE_NEWNET, /dev/net/tun); run swift test as root")
        let before = try String(contentsOfFile: "/proc/net/dev", encoding: .utf8)
        let setup = SelftestSetup()
        let record = try runHandshakeInPrivateNamespace(setup)
        #expect(record.failure == nil, "\(record)")
        let synack = try #require(record.received)
        #expect(synack.flags == [.syn, .ack])
        #expect(synack.ack == setup.initialSequence &+ 1)
        #expect(record.sent.count == 2)
        if !FileManager.default.fileExists(atPath: "/sys/module/vtoa") {
            let report = SelftestReport.evaluate(record, .withoutModule(setup: setup), setup: setup)
            #expect(report.passed, "\(report.text)")
            #expect(record.getpeername == .address("192.0.2.2:40001"))
            #expect(record.getsockoptAddr == .error(ENOPROTOOPT))
        }
        // The host's interfaces are untouched: no vtoa-st0 here.
        let after = try String(contentsOfFile: "/proc/net/dev", encoding: .utf8)
        #expect(!after.contains(setup.interface))
        #expect(before.split(separator: "\n").count == after.split(separator: "\n").count)
    }

    @Test func twiceInARowAndInParallel() throws {
        #expect(geteuid() == 0, "this test needs root")
        let a = try runHandshakeInPrivateNamespace(SelftestSetup())
        let b = try runHandshakeInPrivateNamespace(SelftestSetup())
        #expect(a.failure == nil && b.failure == nil)
    }
}
