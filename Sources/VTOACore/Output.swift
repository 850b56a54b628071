#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Musl)
import Musl
private let systemWrite = Musl.write
#endif

/// Writing to a file descriptor with every error reported as a VTOAError:
/// a full disk or a closed pipe is an error the caller reports, not a
/// crash.
public protocol OutputStream: Sendable {
    func write(_ text: String) throws(VTOAError)
}

/// A file descriptor, written with write(2) until everything is out.
public struct FileDescriptorOutput: OutputStream {
    public let fd: Int32
    public init(fd: Int32) { self.fd = fd }

    public static let standardOutput = FileDescriptorOutput(fd: 1)
    public static let standardError = FileDescriptorOutput(fd: 2)

    public func write(_ text: String) throws(VTOAError) {
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { buf in
                systemWrite(fd, buf.baseAddress! + off, buf.count - off)
            }
            if n < 0 {
                let e = errno
                if e == EINTR || e == EAGAIN { continue }
                throw .outputFailed(errno: e, reason: Self.describe(errno: e))
            }
            off += n
        }
    }

    /// What went wrong (strerror's words) and what to do about it.
    public static func describe(errno e: Int32) -> String {
        let what = String(cString: strerror(e))
        switch e {
        case ENOSPC, EDQUOT: return "\(what) (free space on that file system, or write the output elsewhere)"
        case EBADF: return "\(what) (standard output is closed: run vtoa with its output open)"
        default: return what
        }
    }
}
