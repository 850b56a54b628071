#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import VTOACore

@Suite struct DoctorLogic {
    func check(_ r: DoctorReport, _ id: String) throws -> Check {
        try #require(r.checks.first { $0.id == id }, "no check \(id)")
    }

    @Test func healthyMachinePasses() throws {
        let r = World.healthy().machine.doctor()
        #expect(r.exitCode == 0)
        #expect(r.checks.allSatisfy { $0.status == .ok }, "\(r.text)")
        #expect(r.text.hasSuffix("no problems found\n"))
        #expect(r.checks.map(\.id) == ["kernel", "backend", "module-support", "signing", "kernel-config", "kprobes-enabled", "ftrace-enabled",
                                        "headers", "dkms", "module-file", "module-loaded", "kernel-vtoa", "conflict", "bpf-getpeername",
                                        "service", "trusted-sources", "counters", "lost"])
        #expect(r.rootCause == nil)
        #expect(!r.text.contains("first fix"))
    }

    @Test func everyNonOkCheckHasARemedy() throws {
        let w = World()  // empty machine: almost everything wrong
        w.facts.release = "4.19.91-27.al7.x86_64"
        let r = w.machine.doctor()
        #expect(r.exitCode == 1)
        for c in r.checks where c.status == .fail || c.status == .warn {
            #expect(c.remedy?.isEmpty == false, "\(c.id)")
            #expect(!(c.remedy ?? "").contains("\n"))
        }
        #expect(try check(r, "kernel").status == .fail)
    }

    @Test func containerWithoutModulesOrSystemd() throws {
        // What this very host looks like: no /proc/modules, no systemd.
        var w = World()
        w.facts.release = "6.18.44-fc-v669"
        w.facts.files["/proc/config.gz#gunzipped"] = "# CONFIG_KPROBES is not set\nCONFIG_HAVE_KPROBES=y\n"
        w.facts.directories.insert("/proc/config.gz")
        w.modulesResult = .success(w.modules)
        w.modules.listError = .noModuleSupport(reason: "cannot read /proc/modules: No such file or directory")
        w.dkms.state = .dkmsMissing
        let r = w.machine.doctor()
        #expect(r.exitCode == 1)
        #expect(try check(r, "kernel").status == .ok)
        // the root cause first, with its remedy on top; what follows from it is skipped
        let support = try check(r, "module-support")
        #expect(support.status == .fail)
        #expect(support.remedy?.contains("/proc/modules") == true)
        #expect(r.rootCause?.id == "module-support")
        #expect(r.text.hasPrefix("first fix: "), "\(r.text)")
        #expect(r.text.split(separator: "\n").first?.contains("/proc/modules") == true)
        let loaded = try check(r, "module-loaded")
        #expect(loaded.status == .skip && loaded.cause == "module-support" && loaded.remedy == nil)
        #expect(loaded.summary.contains("follows from 'module-support'"))
        for id in ["headers", "module-file", "dkms", "conflict"] {
            #expect(try check(r, id).status == .skip, "\(id)")
        }
        #expect(try check(r, "kernel-config").status == .fail)
        #expect(try check(r, "kernel-config").summary.contains("/proc/config.gz"))
        #expect(r.checks.filter { $0.status == .fail }.map(\.id) == ["module-support", "kernel-config"])
        #expect(try check(r, "conflict").status == .skip)
        let svc = try check(r, "service")
        #expect(svc.status == .warn)
        #expect(svc.remedy == "use 'vtoa load' to load the module directly")
        #expect(try check(r, "trusted-sources").status == .warn)
        #expect(try check(r, "counters").status == .skip)
        #expect(try check(r, "headers").status == .skip)
    }

    /// Without the headers (and so without a module file), headers is the
    /// root cause; DKMS, the file, the loaded module and the service follow.
    @Test func headersAreTheRootCauseOfAMissingModule() throws {
        let w = World.healthy()
        w.facts.directories.remove("/lib/modules/6.1.0-28-amd64/build")
        w.facts.files["/lib/modules/6.1.0-28-amd64/build"] = nil
        w.modules.files["vtoa"] = nil
        w.modules.loaded = [:]
        w.facts.directories.remove("/sys/module/vtoa")
        w.facts.directories.remove("/sys/module/vtoa/parameters")
        w.dkms.state = .notAdded
        w.services.result = FakeServices.unit("failed", "failed", "enabled")
        w.facts.files["/etc/os-release"] = "ID=debian\n"
        let r = w.machine.doctor()
        #expect(r.exitCode == 1)
        #expect(r.rootCause?.id == "headers", "\(r.text)")
        #expect(r.text.hasPrefix("first fix: install the headers: apt install linux-headers-6.1.0-28-amd64 (headers)"), "\(r.text)")
        for id in ["dkms", "module-file", "module-loaded", "service"] {
            let c = try check(r, id)
            #expect(c.status == .skip && c.cause == "headers", "\(id): \(c)")
        }
        #expect(r.checks.filter { $0.status == .fail }.count == 1)
    }

    @Test func emptyTrustedSourcesIsOnlyAWarning() throws {
        let w = World.healthy()
        w.facts.files["/etc/vtoa/vtoa.conf"] = nil
        let r = w.machine.doctor()
        #expect(try check(r, "trusted-sources").status == .warn)
        #expect(r.exitCode == 0)
        #expect(r.text.contains("no problems found, 1 warning"))
    }

    @Test func badConfigFails() throws {
        let w = World.healthy()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "trusted_sources = nope\n"
        let c = try check(w.machine.doctor(), "config")
        #expect(c.status == .fail)
        #expect(c.remedy?.contains("/etc/vtoa/vtoa.conf:1") == true)
    }

    @Test func countersShowingTrouble() throws {
        let w = World.healthy()
        w.facts.files["/proc/net/vtoa_stats"] = "toa_malformed 4\ntoa_untrusted 0\n"
        let c = try check(w.machine.doctor(), "counters")
        #expect(c.status == .warn)
        #expect(c.summary.contains("toa_malformed=4"))
    }

    @Test func nothingLost() throws {
        let c = try check(World.healthy().machine.doctor(), "lost")
        #expect(c.status == .ok)
        #expect(c.summary == "no TOA lost (toa_over_cap, toa_alloc_fail, toa_syn_cookie and probe_missed are 0)")
    }

    @Test func overCapNamesMaxEntriesAndTheConfig() throws {
        let w = World.healthy()
        w.facts.files["/proc/net/vtoa_stats"] = "toa_over_cap 7\ntoa_alloc_fail 0\nprobe_missed 0\n"
        let r = w.machine.doctor()
        let c = try check(r, "lost")
        #expect(c.status == .warn)
        #expect(c.summary == "connections with a TOA got the proxy's address: toa_over_cap=7 (max_entries = 1048576 open TOA connections reached)")
        #expect(c.remedy == "raise max_entries in /etc/vtoa/vtoa.conf, then 'vtoa reload'")
        #expect(r.exitCode == 0)
    }

    @Test func synCookieLossNamesTheProxyAndTheBacklog() throws {
        let w = World.healthy()
        w.facts.files["/proc/net/vtoa_stats"] = "toa_over_cap 0\ntoa_alloc_fail 0\ntoa_syn_cookie 3\nprobe_missed 0\n"
        let c = try check(w.machine.doctor(), "lost")
        #expect(c.status == .warn)
        #expect(c.summary == "connections with a TOA got the proxy's address: toa_syn_cookie=3 (a TOA on a SYN answered with a SYN cookie, which keeps no state)")
        #expect(c.remedy?.contains("tcp_max_syn_backlog") == true)
    }

    @Test func everyLossHasItsRemedy() throws {
        let w = World.healthy()
        w.facts.files["/proc/net/vtoa_stats"] = "toa_over_cap 0\ntoa_alloc_fail 2\nprobe_missed 5\n"
        let c = try check(w.machine.doctor(), "lost")
        #expect(c.status == .warn)
        #expect(c.summary.contains("toa_alloc_fail=2"))
        #expect(c.summary.contains("probe_missed=5"))
        #expect(!c.summary.contains("toa_over_cap"))
        #expect(c.remedy?.contains("vm.min_free_kbytes") == true)
        #expect(c.remedy?.contains("kprobe users") == true)
        #expect(c.remedy?.contains("\n") == false)
    }

    /// A handshake whose answers are what `e` expects (getpeername() wrong when broken).
    func handshake(_ e: SelftestExpectation, broken: Bool = false) -> (SelftestSetup) throws(VTOAError) -> HandshakeRecord {
        { s throws(VTOAError) in
            .answered(s, addr: e.getsockoptAddr, toa: e.getsockoptTOA, peer: broken ? .error(ENOTCONN) : e.getpeername)
        }
    }

    @Test func endToEndPasses() throws {
        let w = World.healthy()
        let r = w.machine.doctor(endToEnd: handshake(try w.machine.selftestExpectation()))
        #expect(r.exitCode == 0)
        #expect(r.checks.last?.id == "end-to-end")
        #expect(try check(r, "end-to-end").status == .ok)
    }

    @Test func endToEndFailureNamesTheWrongAnswer() throws {
        let w = World.healthy()
        let r = w.machine.doctor(endToEnd: handshake(try w.machine.selftestExpectation(), broken: true))
        let c = try check(r, "end-to-end")
        #expect(r.exitCode == 1)
        #expect(c.status == .fail)
        #expect(c.summary.contains("✘ getpeername()"), "\(c.summary)")
        #expect(c.summary.contains("expected \(try w.machine.selftestExpectation().getpeername)"), "\(c.summary)")
        #expect(c.remedy?.contains("vtoa selftest") == true)
    }

    @Test func endToEndNeedsRootAndTheModule() throws {
        let w = World.healthy()
        w.facts.euid = 1000
        var ran = false
        let probe: (SelftestSetup) throws(VTOAError) -> HandshakeRecord = { _ throws(VTOAError) in ran = true; return HandshakeRecord() }
        #expect(try check(w.machine.doctor(endToEnd: probe), "end-to-end").status == .skip)
        let empty = World()
        #expect(try check(empty.machine.doctor(endToEnd: probe), "end-to-end").summary.contains("not loaded"))
        #expect(!ran)
        #expect(!World.healthy().machine.doctor().checks.contains { $0.id == "end-to-end" })
    }

    @Test func vermagicMismatch() throws {
        let w = World.healthy()
        w.modules.files["vtoa"]?.vermagic = "6.1.0-27-amd64 SMP mod_unload"
        #expect(try check(w.machine.doctor(), "module-file").status == .fail)
    }

    @Test func serviceStates() throws {
        let w = World.healthy()
        w.services.result = FakeServices.unit("inactive", "dead", "disabled")
        var c = try check(w.machine.doctor(), "service")
        #expect(c.status == .fail)
        #expect(c.remedy == "run 'vtoa enable --now'")
        w.services.result = FakeServices.unit("active", "exited", "disabled")
        c = try check(w.machine.doctor(), "service")
        #expect(c.status == .warn)
        w.services.result = FakeServices.unit("inactive", "dead", "", load: "not-found")
        #expect(try check(w.machine.doctor(), "service").status == .fail)
        w.services.result = .failure(.busRefused(reason: "Access denied"))
        c = try check(w.machine.doctor(), "service")
        #expect(c.status == .fail)
        #expect(c.remedy?.contains("Access denied") == true)
    }

    @Test func lockdownAndSignatures() throws {
        let w = World.healthy()
        w.modules.loaded["vtoa"] = nil
        w.facts.files["/sys/kernel/security/lockdown"] = "none [integrity] confidentiality\n"
        w.facts.files["/sys/module/module/parameters/sig_enforce"] = "Y\n"
        // the healthy world's module file is unsigned: refused, the first fix
        let r = w.machine.doctor()
        var c = try check(r, "signing")
        #expect(c.status == .fail)
        #expect(c.summary.contains("lockdown=integrity, module.sig_enforce=1"))
        #expect(c.summary.contains("is not signed"))
        #expect(c.remedy?.contains("mokutil --import /var/lib/dkms/mok.pub") == true)
        #expect(r.rootCause?.id == "signing")
        #expect(try check(r, "module-loaded").cause == "signing")
        // signed, /proc/keys unreadable: it loads if the key is enrolled
        w.modules.files["vtoa"]?.signer = "DKMS module signing key"
        c = try check(w.machine.doctor(), "signing")
        #expect(c.status == .warn)
        #expect(c.summary.contains("signed by 'DKMS module signing key'"))
        #expect(c.remedy?.contains("mokutil --test-key") == true)
        // /proc/keys shows the kernel's keys, not DKMS's: refused, the first fix
        let debianKey = "1e1f62d5 I------     1 perm 1f0b0000     0     0 asymmetri Debian Secure Boot CA: 6ccece7e4c6c0d1f6149f3dd27dfcc5cbb419ea1: X509.RSA 00bb8c3b []\n"
        w.facts.files["/proc/keys"] = "0a4b7c0e I------     1 perm 1f030000     0     0 keyring   .builtin_trusted_keys: 1\n" + debianKey
        let r2 = w.machine.doctor()
        c = try check(r2, "signing")
        #expect(c.status == .fail)
        #expect(c.summary.contains("a key the kernel does not hold"))
        #expect(r2.rootCause?.id == "signing")
        // the key enrolled (a MOK in .platform): fine
        w.facts.files["/proc/keys"] = debianKey + "2b3c4d5e I------     1 perm 1f010000     0     0 asymmetri DKMS module signing key: 0123456789abcdef0123456789abcdef01234567: X509.RSA 1a2b3c4d []\n"
        #expect(try check(w.machine.doctor(), "signing").status == .ok)
        // only a keyring, no asymmetric key visible: nothing can be said
        w.facts.files["/proc/keys"] = "0a4b7c0e I------     1 perm 1f030000     0     0 keyring   .builtin_trusted_keys: 1\n"
        #expect(try check(w.machine.doctor(), "signing").status == .warn)
        // loaded: the kernel accepted it
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        w.facts.loadModule()
        #expect(try check(w.machine.doctor(), "signing").status == .ok)
    }

    @Test func noEnforcementIsFine() throws {
        let w = World.healthy()
        let c = try check(w.machine.doctor(), "signing")
        #expect(c.status == .ok)
        #expect(c.summary.contains("not enforced"))
    }

    @Test func getpeernameOnlyKernelWarns() throws {
        let w = World.healthy()
        w.facts.release = "5.10.134-16.al8.x86_64"
        w.facts.files["/boot/config-5.10.134-16.al8.x86_64"] = "CONFIG_KPROBES=y\nCONFIG_KRETPROBES=y\nCONFIG_DYNAMIC_FTRACE=y\nCONFIG_SECURITY_NETWORK=y\n"
        w.facts.directories.insert("/lib/modules/5.10.134-16.al8.x86_64/build")
        w.modules.files["vtoa"]?.vermagic = "5.10.134-16.al8.x86_64 SMP"
        let r = w.machine.doctor()
        #expect(try check(r, "kernel").status == .warn)
        #expect(r.exitCode == 0)
    }

    @Test func kprobesSwitchedOff() throws {
        let w = World.healthy()
        w.facts.files["/sys/kernel/debug/kprobes/enabled"] = "0\n"
        let r = w.machine.doctor()
        let c = try check(r, "kprobes-enabled")
        #expect(c.status == .fail)
        #expect(c.summary == "kprobes are switched off (/sys/kernel/debug/kprobes/enabled is 0): vtoa is loaded but sees no TOA")
        #expect(c.remedy == "echo 1 > /sys/kernel/debug/kprobes/enabled")
        #expect(r.exitCode == 1)
    }

    @Test func kprobesSwitchedOffMatterOnlyToTheKretprobeFallback() throws {
        let w = World.healthy()
        w.facts.files["/sys/kernel/debug/kprobes/enabled"] = "0\n"
        w.facts.files["/sys/kernel/debug/kprobes/list"] = "ffffffff8a1b2c30  k  tcp_v4_rcv+0x0    [FTRACE]\n"
        var r = w.machine.doctor()
        var c = try check(r, "kprobes-enabled")
        #expect(c.status == .ok)
        #expect(c.summary == "kprobes are switched off (/sys/kernel/debug/kprobes/enabled is 0): vtoa does not use them here (getname by ftrace redirect)")
        w.facts.files["/sys/kernel/debug/kprobes/list"] = "ffffffff8a1b2c30  r  inet_getname+0x0    [DISABLED][FTRACE]\n"
        r = w.machine.doctor()
        c = try check(r, "kprobes-enabled")
        #expect(c.status == .fail)
        #expect(r.exitCode == 1)
    }

    @Test func kprobesListParsing() {
        #expect(Machine.listsGetnameKretprobe("ffffffff81a  r  inet6_getname+0x0    [FTRACE]\n"))
        #expect(!Machine.listsGetnameKretprobe("ffffffff81a  k  inet_getname+0x0    [FTRACE]\n"))
        #expect(!Machine.listsGetnameKretprobe(""))
    }

    @Test func kprobesSwitchedOn() throws {
        let c = try check(World.healthy().machine.doctor(), "kprobes-enabled")
        #expect(c.status == .ok)
        #expect(c.summary == "kprobes are switched on (/sys/kernel/debug/kprobes/enabled is 1)")
    }

    @Test func kprobesSwitchUnreadableIsSkipped() throws {
        let w = World.healthy()
        w.facts.files["/sys/kernel/debug/kprobes/enabled"] = nil
        var r = w.machine.doctor()
        var c = try check(r, "kprobes-enabled")
        #expect(c.status == .skip)
        #expect(c.summary.contains("debugfs is not mounted"))
        #expect(r.exitCode == 0)
        w.facts.euid = 1000
        r = w.machine.doctor()
        c = try check(r, "kprobes-enabled")
        #expect(c.status == .skip)
        #expect(c.summary.contains("not root"))
    }

    @Test func ftraceSwitchedOff() throws {
        let w = World.healthy()
        w.facts.files["/proc/sys/kernel/ftrace_enabled"] = "0\n"
        let r = w.machine.doctor()
        let c = try check(r, "ftrace-enabled")
        #expect(c.status == .fail)
        #expect(c.summary == "ftrace is switched off (kernel.ftrace_enabled=0): the module cannot load")
        #expect(c.remedy == "sysctl -w kernel.ftrace_enabled=1")
        #expect(r.exitCode == 1)
    }

    @Test func ftraceSwitchedOn() throws {
        let c = try check(World.healthy().machine.doctor(), "ftrace-enabled")
        #expect(c.status == .ok)
        #expect(c.summary == "ftrace is switched on (kernel.ftrace_enabled=1)")
    }

    @Test func ftraceSwitchMissingIsSkipped() throws {
        let w = World.healthy()
        w.facts.files["/proc/sys/kernel/ftrace_enabled"] = nil
        let r = w.machine.doctor()
        let c = try check(r, "ftrace-enabled")
        #expect(c.status == .skip)
        #expect(c.summary.contains("/proc/sys/kernel/ftrace_enabled is missing"))
        #expect(r.exitCode == 0)
    }

    @Test func jsonShape() {
        let j = World.healthy().machine.doctor().json.render()
        #expect(j.contains("\"id\": \"kernel\""))
        #expect(j.contains("\"exit_code\": 0"))
    }
}
