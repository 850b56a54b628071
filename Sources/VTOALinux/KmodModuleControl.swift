#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CKmod
import VTOACore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Owns a libkmod context (`kmod_new`, `kmod_unref` in deinit).
public final class KmodContext {
    let ctx: OpaquePointer

    /// `directory` is the modules directory (nil: /lib/modules/`uname -r`).
    public init(directory: String? = nil) throws(VTOAError) {
        let made: OpaquePointer?
        if let directory {
            made = directory.withCString { kmod_new($0, nil) }
        } else {
            made = kmod_new(nil, nil)
        }
        guard let made else {
            throw .noModuleSupport(reason: "libkmod could not create a context: \(String(cString: strerror(errno)))")
        }
        ctx = made
        // libkmod prints its own errors on stderr; vtoa reports them itself.
        kmod_set_log_priority(ctx, 0)
    }

    deinit { kmod_unref(ctx) }

    /// The modules directory libkmod reads (e.g. /lib/modules/6.1.0-28-amd64).
    public var directory: String {
        kmod_get_dirname(ctx).map { String(cString: $0) } ?? ""
    }
}

/// Owns one `struct kmod_module` reference.
final class KmodModule {
    let mod: OpaquePointer
    init(_ mod: OpaquePointer) { self.mod = mod }
    deinit { kmod_module_unref(mod) }
}

/// Calls `body` on each module of a libkmod list, then frees the list.
private func forEachModule(_ list: OpaquePointer?, _ body: (OpaquePointer) -> Void) {
    var entry = list
    while let e = entry {
        if let m = kmod_module_get_module(e) {
            body(m)
            kmod_module_unref(m)
        }
        entry = kmod_list_next(list, e)
    }
    if list != nil { kmod_module_unref_list(list) }
}

private func errnoText(_ negative: Int32) -> String {
    String(cString: strerror(-negative))
}

/// ModuleControl over libkmod.
public final class KmodModuleControl: ModuleControl {
    public let context: KmodContext

    public init(directory: String? = nil) throws(VTOAError) {
        context = try KmodContext(directory: directory)
    }

    public func loadedModuleNames() throws(VTOAError) -> [String] {
        var list: OpaquePointer?
        let r = kmod_module_new_from_loaded(context.ctx, &list)
        guard r >= 0 else {
            throw .noModuleSupport(reason: "cannot read /proc/modules: \(errnoText(r))")
        }
        var names: [String] = []
        forEachModule(list) { m in
            if let n = kmod_module_get_name(m) { names.append(String(cString: n)) }
        }
        return names
    }

    func module(named name: String) throws(VTOAError) -> KmodModule {
        var mod: OpaquePointer?
        let r = name.withCString { kmod_module_new_from_name(context.ctx, $0, &mod) }
        guard r >= 0, let mod else {
            throw .moduleOperationFailed(operation: "look up", name: name, reason: errnoText(r < 0 ? r : -ENOMEM))
        }
        return KmodModule(mod)
    }

    public func loadedModule(_ name: String) throws(VTOAError) -> ModuleState? {
        let m = try module(named: name)
        let state = kmod_module_get_initstate(m.mod)
        if state < 0 {
            if state == -ENOENT { return nil }
            throw .moduleOperationFailed(operation: "inspect", name: name, reason: errnoText(state))
        }
        let stateText = kmod_module_initstate_str(kmod_module_initstate(rawValue: UInt32(state))).map { String(cString: $0) } ?? "unknown"
        let ref = kmod_module_get_refcnt(m.mod)
        var holders: [String] = []
        forEachModule(kmod_module_get_holders(m.mod)) { h in
            if let n = kmod_module_get_name(h) { holders.append(String(cString: n)) }
        }
        return ModuleState(name: name, initState: stateText, refcount: Int(max(ref, 0)), holders: holders)
    }

    public func moduleFile(_ name: String) throws(VTOAError) -> ModuleFile? {
        var list: OpaquePointer?
        let r = name.withCString { kmod_module_new_from_lookup(context.ctx, $0, &list) }
        guard r >= 0 else {
            throw .moduleOperationFailed(operation: "look up", name: name, reason: errnoText(r))
        }
        var found: ModuleFile?
        forEachModule(list) { m in
            guard found == nil, let p = kmod_module_get_path(m) else { return }
            found = KmodModuleControl.describe(m, path: String(cString: p))
        }
        return found
    }

    public func moduleInfo(path: String) throws(VTOAError) -> ModuleFile? {
        var mod: OpaquePointer?
        let r = path.withCString { kmod_module_new_from_path(context.ctx, $0, &mod) }
        if r == -ENOENT { return nil }
        guard r >= 0, let mod else {
            throw .moduleOperationFailed(operation: "read", name: path, reason: errnoText(r < 0 ? r : -ENOMEM))
        }
        defer { kmod_module_unref(mod) }
        return KmodModuleControl.describe(mod, path: path)
    }

    /// The file's modinfo fields vtoa uses (vermagic, version, srcversion, signer).
    static func describe(_ m: OpaquePointer, path: String) -> ModuleFile {
        var file = ModuleFile(path: path)
        var info: OpaquePointer?
        guard kmod_module_get_info(m, &info) >= 0 else { return file }
        var e = info
        while let entry = e {
            if let k = kmod_module_info_get_key(entry), let v = kmod_module_info_get_value(entry) {
                switch String(cString: k) {
                case "vermagic": file.vermagic = String(cString: v).trimmingSpaces()
                case "version": file.version = String(cString: v)
                case "srcversion": file.srcversion = String(cString: v)
                case "signer":
                    let who = String(cString: v).trimmingSpaces()
                    if !who.isEmpty { file.signer = who }
                default: break
                }
            }
            e = kmod_list_next(info, entry)
        }
        kmod_module_info_free_list(info)
        return file
    }

    public func insert(_ name: String, options: String) throws(VTOAError) {
        var list: OpaquePointer?
        let r = name.withCString { kmod_module_new_from_lookup(context.ctx, $0, &list) }
        guard r >= 0 else {
            throw .moduleOperationFailed(operation: "look up", name: name, reason: errnoText(r))
        }
        var modules: [KmodModule] = []
        forEachModule(list) { m in
            if kmod_module_get_path(m) != nil { modules.append(KmodModule(kmod_module_ref(m))) }
        }
        guard let m = modules.first else {
            throw .moduleNotFound(name: name, kernel: context.directory)
        }
        let flags = Int32(KMOD_PROBE_FAIL_ON_LOADED.rawValue)
        let rc = options.withCString { kmod_module_probe_insert_module(m.mod, UInt32(flags), $0, nil, nil, nil) }
        if rc == 0 { return }
        if rc == -EEXIST { throw .moduleAlreadyLoaded(name: name) }
        throw .moduleOperationFailed(operation: "insert", name: name, reason: KmodModuleControl.explain(rc))
    }

    public func remove(_ name: String) throws(VTOAError) {
        let m = try module(named: name)
        let r = kmod_module_remove_module(m.mod, 0)
        if r == 0 { return }
        if r == -ENOENT { throw .moduleNotLoaded(name: name) }
        throw .moduleOperationFailed(operation: "remove", name: name, reason: KmodModuleControl.explain(r))
    }

    /// The kernel's error for insert/remove, with what usually causes it.
    static func explain(_ negative: Int32) -> String {
        let text = errnoText(negative)
        switch -negative {
        case EPERM: return "\(text) (not root, or module loading is locked down)"
        case EKEYREJECTED: return "\(text) (the module is not signed with a key this kernel trusts; enroll the DKMS MOK key or disable Secure Boot)"
        case ENOEXEC: return "\(text) (the module was built for another kernel; run 'vtoa install --force')"
        case EBUSY: return "\(text) (the module is in use; stop the applications holding it)"
        case EINVAL: return "\(text) (a bad module parameter; check /etc/vtoa/vtoa.conf and dmesg)"
        default: return text
        }
    }
}
