#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CBPF

/// The cgroup eBPF attach points that rewrite the same address vtoa does.
public enum GetpeernameHook: String, CaseIterable, Sendable {
    case getpeername4, getpeername6

    /// `enum bpf_attach_type` (BPF_CGROUP_INET4_GETPEERNAME = 29, ...6 = 30).
    public var attachType: UInt32 {
        switch self {
        case .getpeername4: return UInt32(VTOA_BPF_CGROUP_INET4_GETPEERNAME)
        case .getpeername6: return UInt32(VTOA_BPF_CGROUP_INET6_GETPEERNAME)
        }
    }
}

/// A program attached to a cgroup: its id and, when it can be read, its name.
public struct AttachedProgram: Equatable, Sendable {
    public var id: UInt32
    public var name: String?

    public init(id: UInt32, name: String? = nil) {
        self.id = id
        self.name = name
    }

    public var description: String {
        guard let n = name, !n.isEmpty else { return String(id) }
        return "\(id) (\(n))"
    }
}

/// Why the programs attached to a cgroup could not be listed.
public enum CgroupBPFError: Error, Equatable, Sendable {
    /// EPERM/EACCES: not root (BPF_PROG_QUERY needs CAP_NET_ADMIN) or a
    /// seccomp/LSM policy.
    case notPermitted(String)
    /// ENOSYS (no bpf()), EINVAL (no such attach type: a kernel before 5.8).
    case notSupported(String)
    /// Anything else, with the reason.
    case failed(String)
}

/// Lists the eBPF programs attached to a cgroup (the bpf() system call in
/// production, a table in tests).
public protocol CgroupBPF {
    func attachedPrograms(cgroup: String, hook: GetpeernameHook) throws(CgroupBPFError) -> [AttachedProgram]
}

/// CgroupBPF over BPF_PROG_QUERY (and BPF_PROG_GET_FD_BY_ID +
/// BPF_OBJ_GET_INFO_BY_FD for names), in the C target CBPF.
public struct SyscallCgroupBPF: CgroupBPF {
    public init() {}

    public func attachedPrograms(cgroup: String, hook: GetpeernameHook) throws(CgroupBPFError) -> [AttachedProgram] {
        var ids = [UInt32](repeating: 0, count: 64)
        var count: UInt32 = 0
        let r = ids.withUnsafeMutableBufferPointer { buf in
            vtoa_bpf_query_cgroup(cgroup, hook.attachType, buf.baseAddress, UInt32(buf.count), &count)
        }
        if r < 0 {
            let text = String(cString: strerror(-r))
            switch -r {
            case EPERM, EACCES: throw .notPermitted("bpf(BPF_PROG_QUERY): \(text)")
            case ENOSYS: throw .notSupported("no bpf() system call in this kernel (\(text))")
            case EINVAL: throw .notSupported("bpf(BPF_PROG_QUERY) does not know \(hook.rawValue) on this kernel (\(text))")
            default: throw .failed("\(cgroup): \(text)")
            }
        }
        return ids.prefix(Int(min(count, UInt32(ids.count)))).map { id in
            var name = [CChar](repeating: 0, count: 32)
            let ok = name.withUnsafeMutableBufferPointer { vtoa_bpf_prog_name(id, $0.baseAddress, $0.count) } == 0
            return AttachedProgram(id: id, name: ok ? String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil)
        }
    }
}

/// The mount points of cgroup v2 in a mounts table (/proc/self/mounts),
/// /sys/fs/cgroup first when it is one of them.
public func cgroup2Mounts(_ mounts: String) -> [String] {
    var found: [String] = []
    for line in mounts.split(separator: "\n") {
        let f = line.split(separator: " ")
        guard f.count >= 3, f[2] == "cgroup2" else { continue }
        let point = unescapeMountField(String(f[1]))
        if !found.contains(point) { found.append(point) }
    }
    if let i = found.firstIndex(of: "/sys/fs/cgroup"), i != 0 {
        found.insert(found.remove(at: i), at: 0)
    }
    return found
}

/// /proc/mounts writes space, tab, newline and backslash as \040, \011, \012, \134.
func unescapeMountField(_ s: String) -> String {
    guard s.contains("\\") else { return s }
    var out: [UInt8] = []
    let b = Array(s.utf8)
    var i = 0
    while i < b.count {
        if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
           let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
            out.append(v)
            i += 4
        } else {
            out.append(b[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}
