#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The socket options of the vtoa kernel module (kmod/include/uapi/vtoa.h).
public enum VTOASocketOption {
    /// The TOA address, or the real peer without one.
    public static let getAddress: Int32 = 1348
    /// The TOA address, or ENOENT without one.
    public static let getTOA: Int32 = 1349
}

/// A client address and where it came from.
public struct ClientAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case ipv4, ipv6 }

    public enum Source: Sendable, Equatable {
        /// From the TOA option a FULLNAT proxy put on the handshake.
        case toa
        /// The connection carried no TOA: this is the real peer (a direct
        /// client, or a proxy that sent none).
        case peer
        /// vtoa's getsockopt is not available (module not loaded, or
        /// getsockopt=0 on a getpeername-only kernel): from getpeername(),
        /// which the module may still have rewritten.
        case getpeername
    }

    public var family: Family
    /// Numeric text form ("203.0.113.7", "2001:db8::1").
    public var ip: String
    public var port: UInt16
    public var source: Source

    /// Whether the address came from a TOA option.
    public var fromTOA: Bool { source == .toa }

    public var description: String {
        family == .ipv6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}

public struct ClientAddressError: Error, Equatable, Sendable, CustomStringConvertible {
    public var call: String
    public var errno: Int32
    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// The real client address of an accepted TCP socket: getsockopt 1349
/// (TOA or ENOENT), then 1348 for a connection without TOA; when the module
/// does not answer (ENOPROTOOPT), getpeername().
public func realClientAddress(of fd: Int32) throws(ClientAddressError) -> ClientAddress {
    var ss = sockaddr_storage()
    var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
    func opt(_ name: Int32) -> Int32 {
        len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &ss) { getsockopt(fd, Int32(IPPROTO_IP), name, $0, &len) }
    }
    if opt(VTOASocketOption.getTOA) == 0 {
        return try decode(ss, len, .toa)
    }
    let e = errno
    switch e {
    case ENOENT:
        guard opt(VTOASocketOption.getAddress) == 0 else {
            throw ClientAddressError(call: "getsockopt(IPPROTO_IP, 1348)", errno: errno)
        }
        return try decode(ss, len, .peer)
    case ENOPROTOOPT:
        len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &ss) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &len) }
        }
        guard r == 0 else { throw ClientAddressError(call: "getpeername", errno: errno) }
        return try decode(ss, len, .getpeername)
    default:
        throw ClientAddressError(call: "getsockopt(IPPROTO_IP, 1349)", errno: e)
    }
}

/// inet_ntop's text for an address of family af (buffer of bufSize bytes).
private func presentation(_ af: Int32, _ addr: UnsafeRawPointer, _ bufSize: Int) -> String {
    var buf = [CChar](repeating: 0, count: bufSize)
    inet_ntop(af, addr, &buf, socklen_t(buf.count))
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func decode(_ ss: sockaddr_storage, _ len: socklen_t, _ source: ClientAddress.Source) throws(ClientAddressError) -> ClientAddress {
    var copy = ss
    switch Int32(ss.ss_family) {
    case AF_INET:
        guard Int(len) >= MemoryLayout<sockaddr_in>.size else { throw ClientAddressError(call: "short sockaddr_in", errno: EINVAL) }
        return withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var addr = sin.pointee.sin_addr
                return ClientAddress(family: .ipv4, ip: presentation(AF_INET, &addr, Int(INET_ADDRSTRLEN)),
                                     port: UInt16(bigEndian: sin.pointee.sin_port), source: source)
            }
        }
    case AF_INET6:
        guard Int(len) >= MemoryLayout<sockaddr_in6>.size else { throw ClientAddressError(call: "short sockaddr_in6", errno: EINVAL) }
        return withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var addr = sin6.pointee.sin6_addr
                return ClientAddress(family: .ipv6, ip: presentation(AF_INET6, &addr, Int(INET6_ADDRSTRLEN)),
                                     port: UInt16(bigEndian: sin6.pointee.sin6_port), source: source)
            }
        }
    default:
        throw ClientAddressError(call: "address family \(ss.ss_family)", errno: EAFNOSUPPORT)
    }
}
