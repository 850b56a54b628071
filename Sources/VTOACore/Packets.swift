/// IPv4/TCP packets as `vtoa selftest` writes them to and reads them from a
/// TUN device: built, checksummed and parsed here, so the logic is tested
/// without a kernel.

/// An IPv4 address (host byte order inside).
public struct IPv4: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var value: UInt32

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    public init(value: UInt32) { self.value = value }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let b = UInt32(p), b <= 255 else { return nil }
            v = v << 8 | b
        }
        value = v
    }

    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
    public var description: String { bytes.map(String.init).joined(separator: ".") }
}

/// An IPv4 address and a port.
public struct Endpoint: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var ip: IPv4
    public var port: UInt16

    public init(_ ip: IPv4, _ port: UInt16) {
        self.ip = ip
        self.port = port
    }

    public var description: String { "\(ip):\(port)" }
}

public struct TCPFlags: OptionSet, Equatable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)

    public var description: String {
        let names: [(TCPFlags, String)] = [(.syn, "SYN"), (.fin, "FIN"), (.rst, "RST"), (.psh, "PSH"), (.ack, "ACK")]
        let s = names.filter { contains($0.0) }.map(\.1).joined(separator: "-")
        return s.isEmpty ? "none" : s
    }
}

/// One TCP option other than EOL/NOP: kind and the bytes after the length.
public struct TCPOption: Equatable, Sendable, CustomStringConvertible {
    public var kind: UInt8
    public var data: [UInt8]

    public init(kind: UInt8, data: [UInt8]) {
        self.kind = kind
        self.data = data
    }

    public static func mss(_ v: UInt16) -> TCPOption { TCPOption(kind: 2, data: [UInt8(v >> 8), UInt8(v & 0xff)]) }

    /// The IPv4 TOA: kind 254, length 8, port then address, network order.
    public static func toa(_ e: Endpoint) -> TCPOption {
        TCPOption(kind: 254, data: [UInt8(e.port >> 8), UInt8(e.port & 0xff)] + e.ip.bytes)
    }

    public var toaEndpoint: Endpoint? {
        guard kind == 254, data.count == 6 else { return nil }
        return Endpoint(IPv4(data[2], data[3], data[4], data[5]), UInt16(data[0]) << 8 | UInt16(data[1]))
    }

    public var description: String {
        if let e = toaEndpoint { return "TOA \(e) (kind 254 len 8)" }
        if kind == 2, data.count == 2 { return "MSS \(UInt16(data[0]) << 8 | UInt16(data[1]))" }
        if kind == 3, data.count == 1 { return "WS \(data[0])" }
        if kind == 4 { return "SACK-permitted" }
        if kind == 8 { return "TS" }
        return "kind \(kind) len \(data.count + 2)"
    }
}

public enum PacketError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated, notIPv4, notTCP, badIPChecksum, badTCPChecksum, badOptions

    public var description: String {
        switch self {
        case .truncated: return "truncated packet"
        case .notIPv4: return "not IPv4"
        case .notTCP: return "not TCP"
        case .badIPChecksum: return "bad IPv4 header checksum"
        case .badTCPChecksum: return "bad TCP checksum"
        case .badOptions: return "malformed TCP options"
        }
    }
}

/// The Internet checksum (RFC 1071) of `bytes`, continuing from `sum`.
public func internetChecksum(_ bytes: [UInt8], sum initial: UInt32 = 0) -> UInt16 {
    var sum = initial
    var i = 0
    while i + 1 < bytes.count {
        sum &+= UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
        i += 2
    }
    if i < bytes.count { sum &+= UInt32(bytes[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xffff) &+ (sum >> 16) }
    return ~UInt16(sum)
}

/// A TCP segment in an IPv4 packet (no IP options, no fragments).
public struct TCPPacket: Equatable, Sendable {
    public var source: Endpoint
    public var destination: Endpoint
    public var seq: UInt32
    public var ack: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var options: [TCPOption]
    public var payload: [UInt8]
    public var ipID: UInt16
    public var ttl: UInt8

    public init(source: Endpoint, destination: Endpoint, seq: UInt32, ack: UInt32, flags: TCPFlags,
                window: UInt16 = 64240, options: [TCPOption] = [], payload: [UInt8] = [], ipID: UInt16 = 0, ttl: UInt8 = 64) {
        self.source = source
        self.destination = destination
        self.seq = seq
        self.ack = ack
        self.flags = flags
        self.window = window
        self.options = options
        self.payload = payload
        self.ipID = ipID
        self.ttl = ttl
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    /// The TCP pseudo-header sum (source, destination, protocol 6, length).
    static func pseudoSum(_ src: IPv4, _ dst: IPv4, length: Int) -> UInt32 {
        let s = src.value, d = dst.value
        return (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + 6 + UInt32(length)
    }

    /// The packet's bytes, both checksums filled in.
    public func encode() -> [UInt8] {
        var opts: [UInt8] = []
        for o in options { opts += [o.kind, UInt8(o.data.count + 2)] + o.data }
        while opts.count % 4 != 0 { opts.append(0) }  // EOL padding
        let tcpLength = 20 + opts.count + payload.count
        var tcp = TCPPacket.be16(source.port) + TCPPacket.be16(destination.port) + TCPPacket.be32(seq) + TCPPacket.be32(ack)
        tcp += [UInt8((20 + opts.count) / 4) << 4, flags.rawValue] + TCPPacket.be16(window) + [0, 0, 0, 0]
        tcp += opts + payload
        let tsum = internetChecksum(tcp, sum: TCPPacket.pseudoSum(source.ip, destination.ip, length: tcpLength))
        tcp[16] = UInt8(tsum >> 8)
        tcp[17] = UInt8(tsum & 0xff)
        var ip: [UInt8] = [0x45, 0] + TCPPacket.be16(UInt16(20 + tcpLength)) + TCPPacket.be16(ipID) + [0x40, 0x00, ttl, 6, 0, 0]
        ip += source.ip.bytes + destination.ip.bytes
        let isum = internetChecksum(ip)
        ip[10] = UInt8(isum >> 8)
        ip[11] = UInt8(isum & 0xff)
        return ip + tcp
    }

    /// Parses an IPv4/TCP packet and checks both checksums.
    public static func decode(_ bytes: [UInt8]) throws(PacketError) -> TCPPacket {
        guard bytes.count >= 20 else { throw .truncated }
        guard bytes[0] >> 4 == 4 else { throw .notIPv4 }
        let ihl = Int(bytes[0] & 0x0f) * 4
        let total = Int(bytes[2]) << 8 | Int(bytes[3])
        guard ihl >= 20, total >= ihl, total <= bytes.count else { throw .truncated }
        guard bytes[9] == 6 else { throw .notTCP }
        guard internetChecksum(Array(bytes[0..<ihl])) == 0 else { throw .badIPChecksum }
        let src = IPv4(bytes[12], bytes[13], bytes[14], bytes[15])
        let dst = IPv4(bytes[16], bytes[17], bytes[18], bytes[19])
        let tcp = Array(bytes[ihl..<total])
        guard tcp.count >= 20 else { throw .truncated }
        let off = Int(tcp[12] >> 4) * 4
        guard off >= 20, off <= tcp.count else { throw .truncated }
        guard internetChecksum(tcp, sum: pseudoSum(src, dst, length: tcp.count)) == 0 else { throw .badTCPChecksum }
        var options: [TCPOption] = []
        var i = 20
        parsing: while i < off {
            switch tcp[i] {
            case 0: break parsing
            case 1: i += 1
            default:
                guard i + 1 < off else { throw .badOptions }
                let len = Int(tcp[i + 1])
                guard len >= 2, i + len <= off else { throw .badOptions }
                options.append(TCPOption(kind: tcp[i], data: Array(tcp[(i + 2)..<(i + len)])))
                i += len
            }
        }
        func u16(_ a: [UInt8], _ i: Int) -> UInt16 { UInt16(a[i]) << 8 | UInt16(a[i + 1]) }
        func u32(_ a: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(a, i)) << 16 | UInt32(u16(a, i + 2)) }
        return TCPPacket(source: Endpoint(src, u16(tcp, 0)), destination: Endpoint(dst, u16(tcp, 2)),
                         seq: u32(tcp, 4), ack: u32(tcp, 8), flags: TCPFlags(rawValue: tcp[13] & 0x3f),
                         window: u16(tcp, 14), options: options, payload: Array(tcp[off...]),
                         ipID: u16(bytes, 4), ttl: bytes[8])
    }

    /// "SYN 192.0.2.2:40001 > 192.0.2.1:8080 seq=1 ack=0 [MSS 1460]"
    public var summary: String {
        var s = "\(flags) \(source) > \(destination) seq=\(seq)"
        if flags.contains(.ack) { s += " ack=\(ack)" }
        if !options.isEmpty { s += " [" + options.map(\.description).joined(separator: ", ") + "]" }
        return s
    }
}
