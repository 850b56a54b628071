/// `vtoa load`, `unload` and `reload` across the two backends: which one
/// serves, the choice of vtoa.conf's `backend`, and never both at once.
extension Machine {
    /// Whether the module is loaded, as sysfs shows it (no libkmod needed).
    public var moduleIsLoaded: Bool { facts.exists(parametersDirectory) }
    /// Whether the eBPF programs are attached (pinned under /sys/fs/bpf/vtoa).
    public var ebpfIsAttached: Bool { facts.exists(ebpfPinDirectory) }

    /// The backends active now (both only after someone loaded the other by hand).
    public var activeBackends: [Backend] {
        (moduleIsLoaded ? [Backend.module] : []) + (ebpfIsAttached ? [Backend.ebpf] : [])
    }

    /// Why the eBPF backend cannot serve this machine, nil when it can (as far
    /// as can be told without attaching): the loader, the kernel version.
    public func ebpfUnavailable() -> String? {
        guard ebpf.loader != nil else { return ebpf.unavailableReason }
        let release = facts.kernelRelease()
        if let r = KernelRelease(release), r.upstream.lexicographicallyPrecedes([5, 10]) {
            return "kernel \(release) is older than 5.10 (the eBPF backend needs sock_ops TCP header options, 5.10); use the module backend"
        }
        return nil
    }

    /// Errors of the module that `backend = auto` answers with the eBPF backend.
    static func moduleCannotServe(_ e: VTOAError) -> Bool {
        switch e {
        case .moduleSignatureRequired, .moduleNotBuiltNoHeaders, .moduleNotFound, .noModuleSupport, .kernelConfigMissing:
            return true
        default:
            return false
        }
    }

    /// `vtoa load`: the backend vtoa.conf names (auto: the module, else eBPF).
    public func load(force: Bool) throws(VTOAError) -> (LoadOutcome, ModuleParameters) {
        try requireRoot("load")
        let cfg = try config()
        var params = try ModuleParameters.plan(verdict: try verdict(), config: cfg, force: force)
        switch cfg.backend {
        case .module:
            if ebpfIsAttached { throw .backendConflict(active: .ebpf, wanted: .module) }
            return try loadModule(params)
        case .ebpf:
            if moduleIsLoaded { throw .backendConflict(active: .module, wanted: .ebpf) }
            return (try loadEBPF(params, config: cfg, notes: &params.notes), params)
        case .auto:
            if ebpfIsAttached && !moduleIsLoaded {
                return (try loadEBPF(params, config: cfg, notes: &params.notes), params)
            }
            if ebpfIsAttached { throw .backendConflict(active: .ebpf, wanted: .module) }
            do throws(VTOAError) {
                return try loadModule(params)
            } catch let e where Self.moduleCannotServe(e) {
                if ebpf.loader == nil { throw e }
                if let why = ebpfUnavailable() { throw .noBackend(module: e.message, ebpf: why) }
                var notes = params.notes
                notes.append("the module cannot be used (\(e.message)); backend = auto: using the eBPF backend")
                let outcome: LoadOutcome
                do throws(VTOAError) {
                    outcome = try loadEBPF(params, config: cfg, notes: &notes)
                } catch {
                    throw .noBackend(module: e.message, ebpf: error.message)
                }
                params.notes = notes
                return (outcome, params)
            }
        }
    }

    /// Attaches the programs, or applies the configuration to those attached.
    func loadEBPF(_ params: ModuleParameters, config cfg: VTOAConfig, notes: inout [String]) throws(VTOAError) -> LoadOutcome {
        if let why = ebpfUnavailable() { throw .ebpfUnavailable(reason: why) }
        if cfg.values["max_entries"] != nil {
            notes.append("max_entries does not apply to the eBPF backend (a TOA lives in its socket's storage, freed with the socket)")
        }
        let settings = EBPFSettings.from(params)
        if ebpfIsAttached {
            return .alreadyAttached(changes: try applyEBPF(settings))
        }
        try ebpf.attach(settings)
        return .attached(settings: settings.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
    }

    /// Sets what differs; on a failed set the ones already set are put back.
    func applyEBPF(_ settings: [(name: String, value: String)]) throws(VTOAError) -> [ParameterChange] {
        var changes: [ParameterChange] = []
        for (name, wanted) in settings {
            let cur = try ebpf.get(name)
            if !EBPFSettings.same(name, current: cur, wanted: wanted) {
                changes.append(ParameterChange(name: name, old: cur, new: wanted))
            }
        }
        var done: [ParameterChange] = []
        for c in changes {
            do throws(VTOAError) {
                try ebpf.set(c.name, c.new)
                done.append(c)
            } catch {
                for d in done.reversed() { try? ebpf.set(d.name, d.old) }
                throw error
            }
        }
        return changes
    }

    /// `vtoa unload`: detaches the eBPF programs and removes the module,
    /// whichever is there; returns what was.
    public func unload() throws(VTOAError) -> [Backend] {
        try requireRoot("unload")
        var done: [Backend] = []
        if ebpfIsAttached {
            try ebpf.detach()
            done.append(.ebpf)
        }
        if try unloadModule() { done.append(.module) }
        return done
    }

    /// `vtoa reload`: the configuration applied to the active backend.
    public func reload(force: Bool) throws(VTOAError) -> ([ParameterChange], ModuleParameters) {
        try requireRoot("reload")
        let cfg = try config()
        var params = try ModuleParameters.plan(verdict: try verdict(), config: cfg, force: force)
        switch activeBackends {
        case [.ebpf]:
            if cfg.backend == .module { throw .backendConflict(active: .ebpf, wanted: .module) }
            if cfg.values["max_entries"] != nil {
                params.notes.append("max_entries does not apply to the eBPF backend (a TOA lives in its socket's storage, freed with the socket)")
            }
            return (try applyEBPF(EBPFSettings.from(params)), params)
        case [.module]:
            if cfg.backend == .ebpf { throw .backendConflict(active: .module, wanted: .ebpf) }
            return (try applyParameters(params), params)
        case []:
            throw .moduleNotLoaded(name: moduleName)
        default:
            throw .backendConflict(active: .ebpf, wanted: .module)
        }
    }

    /// The counters of the active backend: /proc/net/vtoa_stats, or with
    /// only the eBPF programs attached, the loader's (the same names).
    public func readStats() throws(VTOAError) -> VTOAStats {
        if ebpfIsAttached && !moduleIsLoaded && !facts.exists(VTOAStats.path) {
            do throws(VTOAError) { return try ebpf.stats() } catch {
                throw .statsUnavailable(path: ebpfPinDirectory + "/stats", reason: error.message)
            }
        }
        return try VTOAStats.read(facts: facts)
    }
}
