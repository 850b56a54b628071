import Foundation
import Testing
@testable import VTOACore

/// A machine ready for `vtoa install` on 6.1.0-28-amd64: headers, the
/// module source in /usr/src, dkms with nothing registered, no systemd.
func installWorld(release: String = "6.1.0-28-amd64") -> World {
    let w = World()
    w.facts.release = release
    w.facts.directories.insert("/lib/modules/\(release)/build")
    w.facts.files["/usr/src/vtoa-0.1.0/dkms.conf"] = "PACKAGE_NAME=\"vtoa\"\nPACKAGE_VERSION=\"0.1.0\"\n"
    w.modules.files["vtoa"] = ModuleFile(path: "/lib/modules/\(release)/updates/dkms/vtoa.ko",
                                         vermagic: "\(release) SMP preempt mod_unload modversions", version: "0.1.0")
    return w
}

@Suite struct InstallLogic {
    @Test func freshInstallRunsAddBuildInstallAndChecks() throws {
        let w = installWorld()
        var lines: [String] = []
        let r = try w.machine.install(kernel: nil, force: false) { lines.append($0) }
        #expect(w.dkms.ran == [.add(version: "0.1.0"),
                               .build(version: "0.1.0", kernel: "6.1.0-28-amd64", force: false),
                               .install(version: "0.1.0", kernel: "6.1.0-28-amd64", force: false)])
        #expect(w.dkms.table == [DKMSEntry(version: "0.1.0", kernel: "6.1.0-28-amd64", state: .installed(version: "0.1.0"))])
        #expect(r.version == "0.1.0")
        #expect(r.module.path.hasSuffix("updates/dkms/vtoa.ko"))
        #expect(r.service == .noSystemd(reason: "no /run/systemd/system"))
        #expect(lines.contains("dkms add -m vtoa -v 0.1.0: done (source /usr/src/vtoa-0.1.0)"))
        #expect(lines.contains { $0.hasPrefix("libkmod: /lib/modules/6.1.0-28-amd64/updates/dkms/vtoa.ko, vermagic 6.1.0-28-amd64 ") })
    }

    @Test func secondRunSkipsEveryStep() throws {
        let w = installWorld()
        _ = try w.machine.install(kernel: nil, force: false) { _ in }
        w.dkms.ran = []
        var lines: [String] = []
        _ = try w.machine.install(kernel: nil, force: false) { lines.append($0) }
        #expect(w.dkms.ran.isEmpty)
        #expect(lines.filter { $0.contains("skipped") }.count == 3)
    }

    @Test func forceRebuildsAndReinstalls() throws {
        let w = installWorld()
        _ = try w.machine.install(kernel: nil, force: false) { _ in }
        w.dkms.ran = []
        _ = try w.machine.install(kernel: nil, force: true) { _ in }
        #expect(w.dkms.ran == [.build(version: "0.1.0", kernel: "6.1.0-28-amd64", force: true),
                               .install(version: "0.1.0", kernel: "6.1.0-28-amd64", force: true)])
        #expect(DKMSStep.build(version: "0.1.0", kernel: "k", force: true).commandLine == "dkms build -m vtoa -v 0.1.0 -k k --force")
    }

    @Test func unsupportedKernelIsRefusedUnlessForced() throws {
        let w = installWorld(release: "5.10.134-13.al8.x86_64")
        #expect(throws: VTOAError.self) { try w.machine.install(kernel: nil, force: false) { _ in } }
        #expect(w.dkms.ran.isEmpty)
        do throws(VTOAError) {
            _ = try w.machine.install(kernel: nil, force: false) { _ in }
        } catch {
            guard case .kernelUnsupported(let release, let reason) = error else { Issue.record("\(error)"); return }
            #expect(release == "5.10.134-13.al8.x86_64")
            #expect(!reason.isEmpty)
            #expect(error.exitCode == 11)
        }
        var lines: [String] = []
        _ = try w.machine.install(kernel: nil, force: true) { lines.append($0) }
        #expect(lines.first?.contains("installing anyway because of --force") == true)
    }

    @Test func missingHeadersNameBothPackages() throws {
        let w = installWorld()
        w.facts.directories.remove("/lib/modules/6.1.0-28-amd64/build")
        #expect(throws: VTOAError.headersMissing(release: "6.1.0-28-amd64")) {
            try w.machine.install(kernel: nil, force: false) { _ in }
        }
        let m = VTOAError.headersMissing(release: "5.10.134-17.2.al8.x86_64").message
        #expect(m.contains("linux-headers-5.10.134-17.2.al8.x86_64"))
        #expect(m.contains("kernel-devel-5.10.134-17.2.al8.x86_64"))
        #expect(w.dkms.ran.isEmpty)
    }

    @Test func anotherKernelByName() throws {
        let w = installWorld(release: "6.1.0-56-amd64")
        w.facts.release = "6.18.44-fc-v669"  // running something else
        w.services.result = FakeServices.unit("inactive", "dead", "disabled")
        let r = try w.machine.install(kernel: "6.1.0-56-amd64", force: false) { _ in }
        #expect(r.release == "6.1.0-56-amd64")
        #expect(r.service == .enabledOnly(runningKernel: "6.18.44-fc-v669"))
        #expect(w.services.enabled == [true])
        #expect(w.services.jobs.isEmpty)
        #expect(throws: VTOAError.unparsableRelease("linux")) { try w.machine.install(kernel: "linux", force: false) { _ in } }
    }

    @Test func systemdEnablesAndStarts() throws {
        let w = installWorld()
        w.services.result = FakeServices.unit("inactive", "dead", "disabled")
        let r = try w.machine.install(kernel: nil, force: false) { _ in }
        #expect(r.service == .started(result: "done"))
        #expect(w.services.enabled == [true])
        #expect(w.services.jobs.map(\.0) == [.start])
    }

    @Test func sourceAndDkmsMissing() throws {
        let w = installWorld()
        w.facts.files["/usr/src/vtoa-0.1.0/dkms.conf"] = nil
        #expect(throws: VTOAError.moduleSourceMissing(path: "/usr/src/vtoa-0.1.0")) {
            try w.machine.install(kernel: nil, force: false) { _ in }
        }
        let w2 = installWorld()
        w2.dkms.missing = true
        #expect(throws: VTOAError.dkmsMissing) { try w2.machine.install(kernel: nil, force: false) { _ in } }
    }

    @Test func notRoot() {
        let w = installWorld()
        w.facts.euid = 1000
        #expect(throws: VTOAError.notRoot(command: "install")) { try w.machine.install(kernel: nil, force: false) { _ in } }
        #expect(throws: VTOAError.notRoot(command: "uninstall")) { try w.machine.uninstall { _ in } }
    }

    @Test func buildFailureShowsMakeLogAndLeavesNothing() throws {
        let w = installWorld()
        let log = (1...30).map { "make line \($0)" }.joined(separator: "\n") + "\n"
        w.facts.files["/var/lib/dkms/vtoa/0.1.0/build/make.log"] = log
        w.dkms.failOn = { if case .build = $0 { return true } else { return false } }
        do throws(VTOAError) {
            _ = try w.machine.install(kernel: nil, force: false) { _ in }
            Issue.record("install succeeded")
        } catch {
            guard case .dkmsFailed(let command, _) = error else { Issue.record("\(error)"); return }
            #expect(command == "dkms build -m vtoa -v 0.1.0 -k 6.1.0-28-amd64 (exit 10)")
            #expect(error.details.count == 20)
            #expect(error.details.first == "make line 11")
            #expect(error.details.last == "make line 30")
            #expect(error.exitCode == 31)
            #expect(!error.message.contains("\n"))
        }
        #expect(w.dkms.table.isEmpty)
        #expect(w.dkms.ran.last == .remove(version: "0.1.0", kernel: nil))
    }

    @Test func newerDkmsLogLocationAndDkmsOutputFallback() throws {
        let w = installWorld()
        w.facts.files["/var/lib/dkms/vtoa/0.1.0/6.1.0-28-amd64/x86_64/log/make.log"] = "cc: error: boom\n"
        w.dkms.failOn = { if case .install = $0 { return true } else { return false } }
        #expect(throws: VTOAError.dkmsFailed(command: "dkms install -m vtoa -v 0.1.0 -k 6.1.0-28-amd64 (exit 10)", log: "cc: error: boom\n")) {
            try w.machine.install(kernel: nil, force: false) { _ in }
        }
        #expect(w.dkms.table.isEmpty)
        let w2 = installWorld()
        w2.dkms.failOn = { if case .add = $0 { return true } else { return false } }
        #expect(throws: VTOAError.dkmsFailed(command: "dkms add -m vtoa -v 0.1.0 (exit 10)", log: w2.dkms.failOutput)) {
            try w2.machine.install(kernel: nil, force: false) { _ in }
        }
        #expect(w2.dkms.table.isEmpty)
    }

    @Test func failureAfterAnEarlierAddKeepsTheRegistration() throws {
        let w = installWorld()
        w.dkms.table = [DKMSEntry(version: "0.1.0", kernel: nil, state: .added(version: "0.1.0"))]
        w.dkms.failOn = { if case .install = $0 { return true } else { return false } }
        #expect(throws: VTOAError.self) { try w.machine.install(kernel: nil, force: false) { _ in } }
        #expect(w.dkms.table == [DKMSEntry(version: "0.1.0", kernel: nil, state: .added(version: "0.1.0"))])
    }

    @Test func otherKernelsBuildIsNotTouchedOnFailure() throws {
        let w = installWorld()
        let other = DKMSEntry(version: "0.1.0", kernel: "6.1.0-27-amd64", state: .installed(version: "0.1.0"))
        w.dkms.table = [other]
        w.dkms.failOn = { if case .build = $0 { return true } else { return false } }
        #expect(throws: VTOAError.self) { try w.machine.install(kernel: nil, force: false) { _ in } }
        #expect(w.dkms.table == [other])
    }

    @Test func libkmodDisagreeingUndoesTheInstall() throws {
        let w = installWorld()
        w.modules.files["vtoa"]?.vermagic = "6.1.0-27-amd64 SMP mod_unload"
        do throws(VTOAError) {
            _ = try w.machine.install(kernel: nil, force: false) { _ in }
            Issue.record("install succeeded")
        } catch {
            guard case .installCheckFailed(_, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("vermagic '6.1.0-27-amd64 SMP mod_unload'"))
            #expect(error.exitCode == 34)
        }
        #expect(w.dkms.table.isEmpty)
        w.modules.files["vtoa"] = nil
        #expect(throws: VTOAError.self) { try w.machine.install(kernel: nil, force: false) { _ in } }
        #expect(w.dkms.table.isEmpty)
    }

    @Test func vermagicPrefix() {
        #expect(Machine.vermagic("6.1.0-28-amd64 SMP preempt mod_unload", isFor: "6.1.0-28-amd64"))
        #expect(Machine.vermagic("6.1.0-28-amd64", isFor: "6.1.0-28-amd64"))
        #expect(!Machine.vermagic("6.1.0-28-amd64-rt SMP", isFor: "6.1.0-28-amd64"))
        #expect(!Machine.vermagic("6.1.0-27-amd64 SMP", isFor: "6.1.0-28-amd64"))
    }
}

@Suite struct UninstallLogic {
    @Test func removesEverythingThenIsIdempotent() throws {
        let w = installWorld()
        w.services.result = FakeServices.unit("active", "exited", "enabled")
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        w.dkms.table = [DKMSEntry(version: "0.1.0", kernel: "6.1.0-28-amd64", state: .installed(version: "0.1.0")),
                        DKMSEntry(version: "0.0.9", kernel: nil, state: .added(version: "0.0.9"))]
        w.modules.files["vtoa"] = nil  // dkms remove takes the file away
        var lines: [String] = []
        try w.machine.uninstall { lines.append($0) }
        #expect(w.services.jobs.map(\.0) == [.stop])
        #expect(w.services.enabled == [false])
        #expect(w.modules.removed == ["vtoa"])
        #expect(w.dkms.ran == [.remove(version: "0.1.0", kernel: nil), .remove(version: "0.0.9", kernel: nil)])
        #expect(w.dkms.table.isEmpty)
        #expect(lines.contains("dkms remove -m vtoa -v 0.1.0 --all: done"))

        w.services.result = FakeServices.unit("inactive", "dead", "disabled")
        w.dkms.ran = []
        lines = []
        try w.machine.uninstall { lines.append($0) }
        #expect(w.dkms.ran.isEmpty)
        #expect(lines == ["vtoa.service: not running", "vtoa.service: not enabled", "module vtoa: not loaded",
                          "DKMS: vtoa is not registered"])
    }

    @Test func thisHostNoSystemdNoDkmsNoProcModules() throws {
        let w = installWorld()
        w.dkms.missing = true
        w.modules.listError = .noModuleSupport(reason: "cannot read /proc/modules")
        w.modules.files["vtoa"] = nil
        var lines: [String] = []
        try w.machine.uninstall { lines.append($0) }
        #expect(lines == ["systemd is not running here (no /run/systemd/system): no service to stop",
                          "module vtoa: not loaded", "dkms is not installed: nothing is registered with it"])
    }

    @Test func noSuchUnitAndAStrayModuleFile() throws {
        let w = installWorld()
        w.services.result = FakeServices.unit("inactive", "dead", "", load: "not-found")
        var lines: [String] = []
        try w.machine.uninstall { lines.append($0) }
        #expect(lines.first == "vtoa.service: not installed")
        #expect(lines.last?.hasPrefix("warning: a vtoa module DKMS does not own is still at /lib/modules/") == true)
    }
}

@Suite struct DKMSStatusAndSteps {
    @Test func entriesBothFormats() {
        let out = """
        vtoa/0.1.0, 6.1.0-28-amd64, x86_64: installed
        vtoa/0.1.0, 6.1.0-27-amd64, x86_64: built
        vtoa/0.0.9: added
        other/1.0, 6.1.0-28-amd64, x86_64: installed
        vtoa, 0.0.8, 5.10.134-17.2.al8.x86_64, x86_64: installed (WARNING! Diff between built and installed module!)
        """
        let e = DKMSEntry.parse(out)
        #expect(e.count == 4)
        #expect(e[0] == DKMSEntry(version: "0.1.0", kernel: "6.1.0-28-amd64", state: .installed(version: "0.1.0")))
        #expect(e[2] == DKMSEntry(version: "0.0.9", kernel: nil, state: .added(version: "0.0.9")))
        #expect(e[3].kernel == "5.10.134-17.2.al8.x86_64")
        #expect(DKMSEntry.state(of: "0.1.0", kernel: "6.1.0-28-amd64", in: e) == .installed(version: "0.1.0"))
        #expect(DKMSEntry.state(of: "0.1.0", kernel: "6.1.0-27-amd64", in: e) == .built(version: "0.1.0"))
        // Built for another kernel only: registered, not built for this one.
        #expect(DKMSEntry.state(of: "0.1.0", kernel: "6.1.0-99-amd64", in: e) == .added(version: "0.1.0"))
        #expect(DKMSEntry.state(of: "0.0.9", kernel: "6.1.0-28-amd64", in: e) == .added(version: "0.0.9"))
        #expect(DKMSEntry.state(of: "0.2.0", kernel: "6.1.0-28-amd64", in: e) == .notAdded)
        #expect(DKMSState.parse(out) == .installed(version: "0.1.0"))
    }

    @Test func stepArguments() {
        #expect(DKMSStep.add(version: "0.1.0").arguments() == ["add", "-m", "vtoa", "-v", "0.1.0"])
        #expect(DKMSStep.install(version: "0.1.0", kernel: "k", force: false).arguments() == ["install", "-m", "vtoa", "-v", "0.1.0", "-k", "k"])
        #expect(DKMSStep.remove(version: "0.1.0", kernel: nil).commandLine == "dkms remove -m vtoa -v 0.1.0 --all")
        #expect(DKMSStep.remove(version: "0.1.0", kernel: "k").commandLine == "dkms remove -m vtoa -v 0.1.0 -k k")
    }

    @Test func sourceDirectory() {
        let f = FakeFacts()
        #expect(DKMSSource.find(facts: f) == nil)
        f.files["/usr/src/vtoa-0.0.9/dkms.conf"] = "PACKAGE_NAME=vtoa\nPACKAGE_VERSION=0.0.9\n"
        #expect(DKMSSource.find(facts: f) == DKMSSource(version: "0.0.9", directory: "/usr/src/vtoa-0.0.9"))
        f.files["/usr/src/vtoa-0.1.0/dkms.conf"] = "PACKAGE_NAME='vtoa'\nPACKAGE_VERSION=\"0.1.0\"\n"
        f.files["/usr/src/vtoa-9/dkms.conf"] = "PACKAGE_NAME=vtoa\nPACKAGE_VERSION=8\n"  // dir and version disagree
        #expect(DKMSSource.find(facts: f) == DKMSSource(version: "0.1.0", directory: "/usr/src/vtoa-0.1.0"))
    }

    @Test func versionConstantMatchesKmodDkmsConf() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let conf = try String(contentsOf: repo.appendingPathComponent("kmod/dkms.conf"), encoding: .utf8)
        let fields = DKMSSource.packageFields(conf)
        #expect(fields.name == "vtoa")
        #expect(fields.version == vtoaModuleVersion)
    }
}

/// `vtoa install` runs doctor's first checks before DKMS: nothing is
/// registered or built on a kernel the module cannot serve.
@Suite struct InstallPreflight {
    @Test func kernelWithoutModulesStopsFirst() throws {
        let w = installWorld()
        w.facts.files["/boot/config-6.1.0-28-amd64"] = "CONFIG_KPROBES=y\n# CONFIG_MODULES is not set\n"
        #expect(throws: VTOAError.self) { try w.machine.install(kernel: nil, force: false) { _ in } }
        do { _ = try w.machine.install(kernel: nil, force: false) { _ in } } catch {
            #expect(error.exitCode == 13)
            #expect(error.message.contains("CONFIG_MODULES is not set"), "\(error.message)")
        }
        #expect(w.dkms.ran.isEmpty)
        // doctor says the same, as its root cause
        let r = w.machine.doctor()
        #expect(r.rootCause?.id == "module-support")
        #expect(r.checks.first { $0.id == "dkms" }?.status != .fail)
    }

    @Test func missingKernelOptionsStopBeforeDKMS() throws {
        let w = installWorld()
        w.facts.files["/boot/config-6.1.0-28-amd64"] = "CONFIG_MODULES=y\nCONFIG_KPROBES=y\nCONFIG_KRETPROBES=y\n"
        do {
            _ = try w.machine.install(kernel: nil, force: false) { _ in }
            Issue.record("install went ahead without CONFIG_DYNAMIC_FTRACE")
        } catch {
            #expect(error == .kernelConfigMissing(options: ["CONFIG_DYNAMIC_FTRACE", "CONFIG_SECURITY_NETWORK"],
                                                  source: "/boot/config-6.1.0-28-amd64"))
            #expect(error.exitCode == 19)
        }
        #expect(w.dkms.ran.isEmpty)
    }

    @Test func anotherKernelIsNotJudgedByTheRunningOnesConfig() throws {
        let w = installWorld()
        w.facts.directories.insert("/lib/modules/6.12.0-1-amd64/build")
        // /proc/config.gz is the running kernel's: no use for 6.12
        w.facts.files["/proc/config.gz#gunzipped"] = "# CONFIG_MODULES is not set\n"
        w.facts.directories.insert("/proc/config.gz")
        _ = try? w.machine.install(kernel: "6.12.0-1-amd64", force: false) { _ in }
        #expect(w.dkms.ran.first == .add(version: "0.1.0"))
    }
}

@Suite struct StatusUnknown {
    @Test func cannotListModulesWithoutSystemdIsExit4() throws {
        let w = World()
        w.modules.listError = .noModuleSupport(reason: "cannot read /proc/modules: No such file or directory")
        let s = w.machine.status()
        #expect(s.exitCode == 4, "\(s.text)")
        let plain = World()
        #expect(plain.machine.status().exitCode == 3)
    }
}
