/// What `vtoa install` did with the service after installing the module.
public enum ServiceOutcome: Equatable, Sendable {
    /// Enabled and started; the start job's result.
    case started(result: String)
    /// Enabled only: the module was installed for a kernel that is not running.
    case enabledOnly(runningKernel: String)
    /// No systemd here: the user loads the module with `vtoa load`.
    case noSystemd(reason: String)
}

public struct InstallResult: Equatable, Sendable {
    public var release: String
    public var version: String
    public var module: ModuleFile
    public var service: ServiceOutcome
}

extension Machine {
    /// Whether a module's vermagic ("6.1.0-28-amd64 SMP preempt mod_unload")
    /// is for `release`.
    public static func vermagic(_ vermagic: String, isFor release: String) -> Bool {
        guard vermagic.hasPrefix(release) else { return false }
        let rest = vermagic.dropFirst(release.count)
        return rest.isEmpty || rest.first == " "
    }

    /// DKMS's make.log for a failed build (dkms 3.0: build/make.log; 3.1:
    /// KERNEL/ARCH/log/make.log), nil when there is none.
    func dkmsMakeLog(version: String, release: String) -> String? {
        let base = "/var/lib/dkms/\(moduleName)/\(version)"
        var candidates = [base + "/build/make.log"]
        for arch in facts.listDirectory(base + "/" + release) ?? [] {
            candidates.append(base + "/" + release + "/" + arch + "/log/make.log")
        }
        for c in candidates { if let text = facts.readFile(c), !text.isEmpty { return text } }
        return nil
    }

    /// `vtoa install`: DKMS add, build, install (each skipped when `dkms
    /// status` shows it done, unless `force`), a check with libkmod, then the
    /// service. On a failure every DKMS step this run did is undone.
    /// `progress` gets one line per step as it happens.
    public func install(kernel: String?, force: Bool, progress: (String) -> Void) throws(VTOAError) -> InstallResult {
        try requireRoot("install")
        let running = facts.kernelRelease()
        let release = kernel ?? running
        let v = try verdict(release: release)
        if v.support == .unsupported {
            guard force else { throw .kernelUnsupported(release: release, reason: v.reason) }
            progress("kernel \(release) is not supported (\(v.reason)); installing anyway because of --force")
        }
        try installPreflight(release: release)
        guard let source = DKMSSource.find(facts: facts, module: moduleName) else {
            throw .moduleSourceMissing(path: "/usr/src/\(moduleName)-\(vtoaModuleVersion)")
        }
        let version = source.version
        guard let entries = dkms.entries() else { throw .dkmsMissing }
        let before = DKMSEntry.state(of: version, kernel: release, in: entries)
        let wasAdded = before.rank >= DKMSState.added(version: version).rank
        let wasBuilt = before.rank >= DKMSState.built(version: version).rank
        let wasInstalled = before.isInstalled

        // Undo: what this run changed, so a failure leaves DKMS as it was
        // (a forced rebuild that fails leaves the version registered only).
        var addedNow = false
        var changedKernel = false
        func undo() {
            if addedNow {
                _ = try? dkms.run(.remove(version: version, kernel: nil))
            } else if changedKernel {
                _ = try? dkms.run(.remove(version: version, kernel: release))
                // dkms removes a version whose last kernel went; put the registration back.
                if wasAdded, let now = dkms.entries(), !now.contains(where: { $0.version == version }) {
                    _ = try? dkms.run(.add(version: version))
                }
            }
        }

        let file: ModuleFile
        do throws(VTOAError) {
            // Each step: the command, why it is skipped (nil: run it), and
            // what its "done" line adds.
            let steps: [(step: DKMSStep, skipped: String?, note: String)] = [
                (.add(version: version),
                 wasAdded ? "vtoa \(version) is already registered (\(source.directory))" : nil,
                 " (source \(source.directory))"),
                (.build(version: version, kernel: release, force: wasBuilt),
                 wasBuilt && !force ? "vtoa \(version) is already built for \(release)" : nil,
                 ""),
                (.install(version: version, kernel: release, force: wasInstalled),
                 wasInstalled && !force ? "vtoa \(version) is already installed for \(release)" : nil,
                 ""),
            ]
            for (step, skipped, note) in steps {
                if let skipped {
                    progress("dkms \(step.arguments()[0]): skipped, \(skipped)")
                    continue
                }
                // For undo(): an add counts once it has succeeded (a failed
                // add registered nothing); a build or install counts as soon
                // as it starts (a failed one can leave this kernel's tree).
                if case .add = step {
                    _ = try dkms.run(step)
                    addedNow = true
                } else {
                    changedKernel = true
                    _ = try dkms.run(step)
                }
                progress("\(step.commandLine): done\(note)")
            }
            let mc = try modulesForKernel(release).get()
            guard let found = try mc.moduleFile(moduleName) else {
                throw .installCheckFailed(kernel: release, reason: "libkmod finds no \(moduleName) module in /lib/modules/\(release) (modules.dep)")
            }
            guard let vm = found.vermagic, Machine.vermagic(vm, isFor: release) else {
                throw .installCheckFailed(kernel: release, reason: "\(found.path) has vermagic '\(found.vermagic ?? "none")', not \(release)")
            }
            file = found
            progress("libkmod: \(found.path), vermagic \(vm)")
        } catch {
            var failure = error
            // Keep DKMS's log before the undo removes its build directory.
            if case .dkmsFailed(let command, let output) = error {
                failure = .dkmsFailed(command: command, log: dkmsMakeLog(version: version, release: release) ?? output)
            }
            undo()
            throw failure
        }

        let service: ServiceOutcome
        do throws(VTOAError) {
            for c in try services.setEnabled(true, unit: unit) { progress("\(c.type) \(c.file) -> \(c.destination)") }
            progress("\(unit): enabled")
            if release == running {
                let result = try services.run(.start, unit: unit)
                progress("\(unit): start \(result)")
                service = .started(result: result)
            } else {
                service = .enabledOnly(runningKernel: running)
            }
        } catch .noSystemd(let reason) {
            service = .noSystemd(reason: reason)
        }
        return InstallResult(release: release, version: version, module: file, service: service)
    }

    /// `vtoa uninstall`: stop and disable the service, unload the module,
    /// remove every vtoa version from DKMS. Each part that is already gone
    /// is reported and skipped.
    public func uninstall(progress: (String) -> Void) throws(VTOAError) {
        try requireRoot("uninstall")
        do throws(VTOAError) {
            let st = try services.state(of: unit)
            if !st.exists {
                progress("\(unit): not installed")
            } else {
                if st.isActive || st.activeState == "activating" {
                    progress("\(unit): stop \(try services.run(.stop, unit: unit))")
                } else {
                    progress("\(unit): not running")
                }
                if st.unitFileState.hasPrefix("enabled") {
                    for c in try services.setEnabled(false, unit: unit) { progress("\(c.type) \(c.file)") }
                    progress("\(unit): disabled")
                } else {
                    progress("\(unit): not enabled")
                }
            }
        } catch .noSystemd(let reason) {
            progress("systemd is not running here (\(reason)): no service to stop")
        } catch .noSuchUnit {
            progress("\(unit): not installed")
        }

        let mc = try moduleControl()
        var loaded: Bool
        do throws(VTOAError) {
            loaded = try mc.loadedModule(moduleName) != nil
        } catch .noModuleSupport(let reason) {
            guard !facts.exists(sysfsDirectory) else { throw .noModuleSupport(reason: reason) }
            loaded = false
        }
        if loaded {
            do throws(VTOAError) {
                try mc.remove(moduleName)
                progress("module \(moduleName): unloaded")
            } catch .moduleNotLoaded {
                progress("module \(moduleName): not loaded")
            }
        } else {
            progress("module \(moduleName): not loaded")
        }

        guard let entries = dkms.entries() else {
            progress("dkms is not installed: nothing is registered with it")
            return
        }
        var versions: [String] = []
        for e in entries where !versions.contains(e.version) { versions.append(e.version) }
        if versions.isEmpty { progress("DKMS: \(moduleName) is not registered") }
        for version in versions {
            let step = DKMSStep.remove(version: version, kernel: nil)
            _ = try dkms.run(step)
            progress("\(step.commandLine): done")
        }
        if let left = try? moduleControl().moduleFile(moduleName) {
            progress("warning: a \(moduleName) module DKMS does not own is still at \(left.path); remove it by hand and run depmod")
        }
    }
}
