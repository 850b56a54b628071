/// A loaded module as the kernel reports it.
public struct ModuleState: Equatable, Sendable {
    public var name: String
    /// "live", "coming", "going" or "builtin".
    public var initState: String
    public var refcount: Int
    public var holders: [String]

    public init(name: String, initState: String = "live", refcount: Int = 0, holders: [String] = []) {
        self.name = name
        self.initState = initState
        self.refcount = refcount
        self.holders = holders
    }
}

/// A module file for the running kernel, found through modules.dep.
public struct ModuleFile: Equatable, Sendable {
    public var path: String
    public var vermagic: String?
    public var version: String?
    /// modinfo's srcversion: the checksum of the sources, which the loaded
    /// module shows in /sys/module/NAME/srcversion.
    public var srcversion: String?
    /// modinfo's signer: who signed the file (nil: not signed).
    public var signer: String?

    public init(path: String, vermagic: String? = nil, version: String? = nil, srcversion: String? = nil,
                signer: String? = nil) {
        self.path = path
        self.vermagic = vermagic
        self.version = version
        self.srcversion = srcversion
        self.signer = signer
    }
}

/// Loading and inspecting kernel modules (libkmod in production).
public protocol ModuleControl: AnyObject {
    /// The names of all loaded modules; throws `.noModuleSupport` when the
    /// kernel's module list cannot be read.
    func loadedModuleNames() throws(VTOAError) -> [String]
    /// The state of a loaded module, nil when it is not loaded.
    func loadedModule(_ name: String) throws(VTOAError) -> ModuleState?
    /// The module file for the running kernel, nil when none is installed.
    func moduleFile(_ name: String) throws(VTOAError) -> ModuleFile?
    /// The modinfo of the module file at `path`, nil when there is none.
    func moduleInfo(path: String) throws(VTOAError) -> ModuleFile?
    /// Inserts the module (and what it depends on) with the options.
    func insert(_ name: String, options: String) throws(VTOAError)
    /// Removes the module.
    func remove(_ name: String) throws(VTOAError)
}
