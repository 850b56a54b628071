#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import VTOA

@Suite struct RealClientAddressOnLoopback {
    /// Listens on loopback, connects, accepts; returns (client fd, accepted fd, client port).
    func connect(v6: Bool) throws -> (Int32, Int32, UInt16)? {
        let family = v6 ? AF_INET6 : AF_INET
        let l = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard l >= 0 else { return nil }
        defer { close(l) }
        var storage = sockaddr_storage()
        var len = socklen_t(v6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        withUnsafeMutableBytes(of: &storage) { raw in
            if v6 {
                var a = sockaddr_in6()
                a.sin6_family = sa_family_t(AF_INET6)
                a.sin6_addr = in6addr_loopback
                withUnsafeBytes(of: a) { raw.copyMemory(from: $0) }
            } else {
                var a = sockaddr_in()
                a.sin_family = sa_family_t(AF_INET)
                a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
                withUnsafeBytes(of: a) { raw.copyMemory(from: $0) }
            }
        }
        let client: Int32 = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Int32 in
                guard bind(l, sa, len) == 0, listen(l, 1) == 0, getsockname(l, sa, &len) == 0 else { return -1 }
                let c = socket(family, Int32(SOCK_STREAM.rawValue), 0)
                guard c >= 0 else { return -1 }
                if Glibc.connect(c, sa, len) != 0 { close(c); return -1 }
                return c
            }
        }
        guard client >= 0 else { return nil }
        let accepted = accept(l, nil, nil)
        guard accepted >= 0 else { close(client); return nil }
        var local = sockaddr_storage()
        var llen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &llen) } }
        let port: UInt16 = withUnsafeBytes(of: local) { raw in
            UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self))
        }
        return (client, accepted, port)
    }

    @Test func ipv4WithoutModule() throws {
        let (c, a, port) = try #require(try connect(v6: false))
        defer { close(c); close(a) }
        let addr = try realClientAddress(of: a)
        #expect(addr.family == .ipv4)
        #expect(addr.ip == "127.0.0.1")
        #expect(addr.port == port)
        #expect(!addr.fromTOA)
        // Without vtoa loaded: getpeername(); with it: the real peer (1348, no TOA).
        #expect(addr.source == .getpeername || addr.source == .peer)
        #expect(addr.description == "127.0.0.1:\(port)")
    }

    /// Whether ::1 can be bound (IPv6 and its loopback exist here).
    static let hasIPv6Loopback: Bool = {
        let s = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { return false }
        defer { close(s) }
        var a = sockaddr_in6()
        a.sin6_family = sa_family_t(AF_INET6)
        a.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        } == 0
    }()

    @Test(.enabled(if: hasIPv6Loopback, "no IPv6 loopback (::1) here"))
    func ipv6WithoutModule() throws {
        let (c, a, port) = try #require(try connect(v6: true))
        defer { close(c); close(a) }
        let addr = try realClientAddress(of: a)
        #expect(addr.family == .ipv6)
        #expect(addr.ip == "::1")
        #expect(addr.port == port)
        #expect(addr.description == "[::1]:\(port)")
    }

    @Test func notASocket() {
        #expect(throws: ClientAddressError.self) { try realClientAddress(of: -1) }
    }

    @Test func unconnectedSocket() {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        #expect(throws: ClientAddressError.self) { try realClientAddress(of: s) }
    }

    @Test func optionNumbersMatchTheHeader() {
        #expect(VTOASocketOption.getAddress == 1348)
        #expect(VTOASocketOption.getTOA == 1349)
    }
}
