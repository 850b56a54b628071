/// `vtoa doctor` and the two backends: which one serves, whether the eBPF
/// backend can, and the module's checks put in their place when the eBPF
/// backend is the one serving.
extension Machine {
    /// The checks that are about the module only: while the eBPF backend
    /// serves, their failures say why the module is not used, not that the
    /// machine lacks the real client.
    static let moduleOnlyChecks: Set<String> = [
        "module-support", "signing", "kernel-config", "kprobes-enabled", "ftrace-enabled",
        "headers", "dkms", "module-file", "module-loaded", "kernel-vtoa",
    ]

    func backendChecks(_ checks: inout [Check]) {
        let configured = (try? config())?.backend
        let confText = configured.map { "backend = \($0.rawValue)" } ?? "backend unknown (\(configPath) is not valid)"
        let unavailable = ebpfUnavailable()
        let active = activeBackends
        // the module's own first failure, for "why not the module"
        let moduleFailure = DoctorReport(checks: checks.filter { Self.moduleOnlyChecks.contains($0.id) }).rootCause

        switch active {
        case [.module, .ebpf]:
            checks.append(Check("backend", .fail, "both backends are active: the module and the eBPF programs (\(ebpfPinDirectory)) rewrite the same addresses",
                                remedy: "run 'vtoa unload' (it removes both), then 'vtoa load' (\(confText) in \(configPath))"))
        case [.ebpf]:
            if configured == .module {
                checks.append(Check("backend", .fail, "the eBPF backend is active but \(configPath) says backend = module",
                                    remedy: "run 'vtoa restart' (or 'vtoa unload && vtoa load') to switch to the module"))
            } else {
                let why = configured == .auto ? moduleFailure.map { ": the module cannot be used (\($0.summary))" } ?? "" : ""
                checks.append(Check("backend", .ok, "the eBPF backend serves (\(confText))\(why)"))
            }
        case [.module]:
            if configured == .ebpf {
                checks.append(Check("backend", .fail, "the module is loaded but \(configPath) says backend = ebpf",
                                    remedy: "run 'vtoa restart' (or 'vtoa unload && vtoa load') to switch to the eBPF backend"))
            } else {
                checks.append(Check("backend", .ok, "the module serves (\(confText))"))
            }
        default:
            if configured == .ebpf {
                checks.append(Check("backend", .fail, "the eBPF backend is not attached (\(confText))",
                                    remedy: unavailable ?? "run 'vtoa start' (or 'vtoa load' without systemd)"))
            }
            // module or auto without anything loaded: module-loaded says it
        }

        // Can the eBPF backend serve here? (said where it is installed or wanted)
        if let unavailable {
            if configured == .ebpf {
                checks.append(Check("ebpf", .fail, "the eBPF backend cannot be used: \(unavailable)",
                                    remedy: "set backend = module (or auto) in \(configPath), or fix that"))
            } else if ebpf.loader != nil {
                checks.append(Check("ebpf", .warn, "the eBPF backend cannot be used: \(unavailable)",
                                    remedy: "nothing to do while the module serves; backend = auto has no fallback here"))
            }
        } else if !active.contains(.ebpf) {
            checks.append(Check("ebpf", .ok, "the eBPF backend can be used (\(ebpf.loader ?? "")): backend = ebpf or auto takes it where the module cannot load"))
        }

        // The module's failures while eBPF serves (or is what is configured).
        guard active == [.ebpf] || (configured == .ebpf && active.isEmpty) else { return }
        for i in checks.indices where Self.moduleOnlyChecks.contains(checks[i].id) && checks[i].status == .fail {
            if checks[i].id == "module-loaded" {
                checks[i].status = .skip
                checks[i].summary += " (the eBPF backend is used instead)"
                checks[i].remedy = nil
            } else {
                checks[i].status = .warn
                checks[i].summary += " (the module only: the eBPF backend needs none of it)"
            }
        }
    }
}
