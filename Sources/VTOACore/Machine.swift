/// Everything vtoa talks to, so commands run against the machine or fakes.
public final class Machine {
    public let facts: SystemFacts
    public let modules: Result<ModuleControl, VTOAError>
    public let services: ServiceControl
    public let dkms: DKMS
    /// The eBPF programs attached to cgroups (doctor's conflict check).
    public let bpf: CgroupBPF
    /// The eBPF backend (its loader); `loader` nil: not installed.
    public let ebpf: EBPFBackend
    /// Module control for another kernel's /lib/modules (install checks).
    public let modulesForKernel: (String) -> Result<ModuleControl, VTOAError>
    public let configPath: String
    public let moduleName: String
    public let unit: String

    public init(facts: SystemFacts, modules: Result<ModuleControl, VTOAError>, services: ServiceControl,
                dkms: DKMS, bpf: CgroupBPF = SyscallCgroupBPF(), ebpf: EBPFBackend = ProcessEBPFBackend(loader: nil),
                modulesForKernel: ((String) -> Result<ModuleControl, VTOAError>)? = nil,
                configPath: String = VTOAConfig.defaultPath,
                moduleName: String = "vtoa", unit: String = vtoaUnit) {
        self.facts = facts
        self.modules = modules
        self.modulesForKernel = modulesForKernel ?? { _ in modules }
        self.services = services
        self.dkms = dkms
        self.bpf = bpf
        self.ebpf = ebpf
        self.configPath = configPath
        self.moduleName = moduleName
        self.unit = unit
    }

    public func moduleControl() throws(VTOAError) -> ModuleControl {
        switch modules {
        case .success(let m): return m
        case .failure(let e): throw e
        }
    }

    public func requireRoot(_ command: String) throws(VTOAError) {
        if facts.effectiveUID() != 0 { throw .notRoot(command: command) }
    }

    /// The verdict for `release`, the running kernel by default. For the
    /// running kernel the distribution's version string counts too (Debian's
    /// 5.10.0-32-amd64 is 5.10.223); another release is judged by its name.
    public func verdict(release: String? = nil) throws(VTOAError) -> KernelVerdict {
        let running = facts.kernelRelease()
        let text = release ?? running
        guard let r = KernelRelease(text) else { throw .unparsableRelease(text) }
        guard text == running else { return KernelPolicy.verdict(for: r) }
        return KernelPolicy.verdict(for: r, kernelVersion: facts.kernelVersion(),
                                    versionSignature: facts.kernelVersionSignature())
    }

    public func config() throws(VTOAError) -> VTOAConfig {
        try VTOAConfig.load(path: configPath, facts: facts)
    }

    public var sysfsDirectory: String { "/sys/module/\(moduleName)" }
    public var parametersDirectory: String { sysfsDirectory + "/parameters" }
}
