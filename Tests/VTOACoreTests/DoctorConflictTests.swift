import Testing
@testable import VTOACore

/// `vtoa doctor` on what fights the module: another TOA module, the
/// kernel's own vtoa, cgroup getpeername eBPF programs; and the IPv6
/// kind-254 hint from the counters.
@Suite struct DoctorConflicts {
    func check(_ r: DoctorReport, _ id: String) throws -> Check {
        try #require(r.checks.first { $0.id == id }, "no check \(id)")
    }

    // MARK: another TOA module

    @Test(arguments: ["toa", "tcp_toa", "TOA_ng"])
    func otherToaModuleConflicts(name: String) throws {
        let w = World.healthy()
        w.modules.loaded[name] = ModuleState(name: name)
        let r = w.machine.doctor()
        let c = try check(r, "conflict")
        #expect(c.status == .fail)
        #expect(c.summary == "another TOA module is loaded: \(name)")
        let remedy = try #require(c.remedy)
        #expect(remedy.contains("modprobe -r \(name)"))
        #expect(remedy.contains("blacklist \(name)"))
        #expect(remedy.contains("getpeername"))
        #expect(!remedy.contains("\n"))
        #expect(r.exitCode == 1)
    }

    @Test func vtoaItselfAndUnrelatedModulesAreNoConflict() throws {
        let w = World.healthy()
        w.modules.loaded["nf_nat"] = ModuleState(name: "nf_nat")
        let c = try check(w.machine.doctor(), "conflict")
        #expect(c.status == .ok)
        #expect(c.summary == "no other TOA module loaded")
    }

    @Test func severalToaModulesAreAllNamed() throws {
        let w = World.healthy()
        w.modules.loaded["toa"] = ModuleState(name: "toa")
        w.modules.loaded["tcp_toa"] = ModuleState(name: "tcp_toa")
        let c = try check(w.machine.doctor(), "conflict")
        #expect(c.summary == "another TOA module is loaded: tcp_toa, toa")
    }

    // MARK: the kernel's own vtoa (Alibaba Cloud Linux 3)

    static let alinux = "5.10.134-17.2.al8.x86_64"
    static let theirs = "/lib/modules/\(alinux)/kernel/net/vtoa/vtoa.ko.xz"
    static let ours = "/lib/modules/\(alinux)/extra/vtoa.ko.xz"

    /// Alibaba Cloud Linux 3 with its own vtoa in kernel/net/vtoa and this
    /// package's installed by DKMS; nothing loaded yet.
    func alinuxWorld() -> World {
        let w = World.healthy()
        let r = Self.alinux
        w.facts.release = r
        w.facts.files["/boot/config-\(r)"] = "CONFIG_KPROBES=y\nCONFIG_KRETPROBES=y\nCONFIG_DYNAMIC_FTRACE=y\nCONFIG_SECURITY_NETWORK=y\n"
        w.facts.directories.insert("/lib/modules/\(r)/build")
        w.facts.files[Self.theirs] = ""
        w.modules.infos[Self.theirs] = ModuleFile(path: Self.theirs, vermagic: "\(r) SMP mod_unload modversions",
                                                  srcversion: "KERNELSKERNELSKERNELS00")
        w.modules.files["vtoa"] = ModuleFile(path: Self.ours, vermagic: "\(r) SMP mod_unload modversions",
                                             version: "0.1.0", srcversion: "OURSOURSOURSOURSOURS000")
        w.modules.loaded["vtoa"] = nil
        for p in ["srcversion", "version", "parameters/getpeername", "parameters/getsockopt", "parameters/trusted_sources",
                  "parameters/max_entries", "parameters/ipv6_kind254"] {
            w.facts.files["/sys/module/vtoa/" + p] = nil
        }
        w.facts.directories.remove("/sys/module/vtoa")
        w.facts.directories.remove("/sys/module/vtoa/parameters")
        return w
    }

    @Test func noKernelVtoa() throws {
        let c = try check(World.healthy().machine.doctor(), "kernel-vtoa")
        #expect(c.status == .ok)
        #expect(c.summary == "the kernel ships no vtoa module of its own")
    }

    @Test func kernelShipsVtoaNothingLoaded() throws {
        let c = try check(alinuxWorld().machine.doctor(), "kernel-vtoa")
        #expect(c.status == .ok)
        #expect(c.summary.contains(Self.theirs))
        #expect(c.summary.contains("'vtoa load' loads this package's (\(Self.ours))"))
    }

    @Test func kernelShipsVtoaOursLoadedBySrcversion() throws {
        let w = alinuxWorld()
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        w.facts.loadModule(version: "0.1.0")
        w.facts.files["/sys/module/vtoa/srcversion"] = "OURSOURSOURSOURSOURS000\n"
        let c = try check(w.machine.doctor(), "kernel-vtoa")
        #expect(c.status == .ok)
        #expect(c.summary.contains("the loaded one is this package's"))
    }

    @Test func kernelsOwnVtoaLoadedBySrcversion() throws {
        let w = alinuxWorld()
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        w.facts.loadModule(parameters: ["getpeername": "Y"], version: "1.0")
        w.facts.files["/sys/module/vtoa/srcversion"] = "KERNELSKERNELSKERNELS00\n"
        let r = w.machine.doctor()
        let c = try check(r, "kernel-vtoa")
        #expect(c.status == .fail)
        #expect(c.summary.contains("kernel's own (\(Self.theirs))"))
        #expect(c.remedy?.contains("'vtoa unload' then 'vtoa load'") == true)
        #expect(c.remedy?.contains("/etc/modules-load.d") == true)
        #expect(r.exitCode == 1)
    }

    @Test func sameSourceAsTheKernelsIsOurs() throws {
        // Both files built from the same source: the loaded one counts as ours.
        let w = alinuxWorld()
        w.modules.infos[Self.theirs]?.srcversion = "OURSOURSOURSOURSOURS000"
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        w.facts.loadModule(parameters: ["getpeername": "Y"], version: "0.1.0")
        w.facts.files["/sys/module/vtoa/srcversion"] = "OURSOURSOURSOURSOURS000\n"
        #expect(try check(w.machine.doctor(), "kernel-vtoa").status == .ok)
    }

    @Test func kernelsOwnVtoaLoadedWithoutSrcversion() throws {
        // No srcversion in sysfs: the missing trusted_sources parameter tells.
        let w = alinuxWorld()
        w.modules.loaded["vtoa"] = ModuleState(name: "vtoa")
        w.facts.loadModule(parameters: ["getpeername": "Y"], version: "1.0")
        #expect(try check(w.machine.doctor(), "kernel-vtoa").status == .fail)
        // ... and with it, the module is ours.
        w.facts.files["/sys/module/vtoa/parameters/trusted_sources"] = "\n"
        #expect(try check(w.machine.doctor(), "kernel-vtoa").status == .ok)
    }

    @Test func kernelShipsVtoaAndOursIsNotInstalled() throws {
        // modules.dep resolves vtoa to the kernel's: 'vtoa load' would load it.
        let w = alinuxWorld()
        w.modules.files["vtoa"] = w.modules.infos[Self.theirs]
        let c = try check(w.machine.doctor(), "kernel-vtoa")
        #expect(c.status == .fail)
        #expect(c.summary.contains("resolves 'vtoa' to it (\(Self.theirs))"))
        #expect(c.remedy?.contains("vtoa install") == true)
    }

    @Test func someOtherVtoaLoaded() throws {
        // Not the kernel's (there is none) and not ours either.
        let w = World.healthy()
        w.facts.files["/sys/module/vtoa/parameters/trusted_sources"] = nil
        w.facts.files["/sys/module/vtoa/version"] = "2.5\n"
        let c = try check(w.machine.doctor(), "kernel-vtoa")
        #expect(c.status == .fail)
        #expect(c.summary.contains("not this package's (no trusted_sources parameter, version 2.5"))
    }

    // MARK: cgroup getpeername eBPF programs

    @Test func noProgramsOnTheCgroupRoot() throws {
        let w = World.healthy()
        let c = try check(w.machine.doctor(), "bpf-getpeername")
        #expect(c.status == .ok)
        #expect(w.bpf.queried.map(\.0) == ["/sys/fs/cgroup", "/sys/fs/cgroup"])
        #expect(w.bpf.queried.map(\.1) == [.getpeername4, .getpeername6])
    }

    @Test func ciliumStylePrograms() throws {
        let w = World.healthy()
        w.bpf.programs["/sys/fs/cgroup"] = [
            .getpeername4: [AttachedProgram(id: 412, name: "cil_sock4_getpeername")],
            .getpeername6: [AttachedProgram(id: 415, name: "cil_sock6_getpeername"), AttachedProgram(id: 16)],
        ]
        let r = w.machine.doctor()
        let c = try check(r, "bpf-getpeername")
        #expect(c.status == .warn)
        #expect(c.summary.hasPrefix("3 cgroup eBPF programs on /sys/fs/cgroup also rewrite getpeername()"))
        #expect(c.summary.contains("getpeername4 id 412 (cil_sock4_getpeername); getpeername6 ids 415 (cil_sock6_getpeername), 16"))
        #expect(c.remedy?.contains("1348") == true)
        #expect(c.remedy?.contains("wins") == true)
        #expect(r.exitCode == 0)
    }

    @Test func oneProgramIsSingular() throws {
        let w = World.healthy()
        w.bpf.programs["/sys/fs/cgroup"] = [.getpeername4: [AttachedProgram(id: 7)]]
        let c = try check(w.machine.doctor(), "bpf-getpeername")
        #expect(c.summary.hasPrefix("1 cgroup eBPF program on /sys/fs/cgroup also rewrites getpeername()"))
        #expect(c.summary.hasSuffix("getpeername4 id 7"))
    }

    @Test(arguments: [
        (CgroupBPFError.notPermitted("bpf(BPF_PROG_QUERY): Operation not permitted"), "Operation not permitted (needs root)"),
        (CgroupBPFError.notSupported("no bpf() system call in this kernel (Function not implemented)"), "no bpf() system call"),
        (CgroupBPFError.failed("/sys/fs/cgroup: Bad file descriptor"), "Bad file descriptor"),
    ])
    func bpfUnavailableIsSkipped(error: CgroupBPFError, reason: String) throws {
        let w = World.healthy()
        w.bpf.error = error
        let r = w.machine.doctor()
        let c = try check(r, "bpf-getpeername")
        #expect(c.status == .skip)
        #expect(c.summary.contains(reason))
        #expect(r.exitCode == 0)
    }

    @Test func noCgroup2IsSkipped() throws {
        let w = World.healthy()
        w.facts.files["/proc/self/mounts"] = "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"
        let c = try check(w.machine.doctor(), "bpf-getpeername")
        #expect(c.status == .skip)
        #expect(c.summary.contains("no cgroup v2 file system is mounted"))
        #expect(w.bpf.queried.isEmpty)
        w.facts.files["/proc/self/mounts"] = nil
        #expect(try check(w.machine.doctor(), "bpf-getpeername").status == .skip)
    }

    @Test func hybridHierarchyUsesTheUnifiedMount() throws {
        let w = World.healthy()
        w.facts.files["/proc/self/mounts"] = "tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n"
        _ = w.machine.doctor()
        #expect(w.bpf.queried.first?.0 == "/sys/fs/cgroup/unified")
    }

    @Test func cgroup2MountsParsing() {
        let m = """
        cgroup2 /run/cilium/cgroupv2 cgroup2 rw 0 0
        cgroup2 /sys/fs/cgroup cgroup2 rw 0 0
        cgroup2 /mnt/with\\040space cgroup2 rw 0 0
        cgroup2 /sys/fs/cgroup cgroup2 rw 0 0
        proc /proc proc rw 0 0
        """
        #expect(cgroup2Mounts(m) == ["/sys/fs/cgroup", "/run/cilium/cgroupv2", "/mnt/with space"])
        #expect(cgroup2Mounts("") == [])
        #expect(unescapeMountField("a\\134b\\011") == "a\\b\t")
        #expect(unescapeMountField("trailing\\04") == "trailing\\04")
    }

    @Test func hookAttachTypesMatchTheKernel() {
        #expect(GetpeernameHook.getpeername4.attachType == 29)
        #expect(GetpeernameHook.getpeername6.attachType == 30)
        #expect(AttachedProgram(id: 3, name: "").description == "3")
    }

    // MARK: IPv6 TOA in kind 254

    @Test func kind254HintWhenOff() throws {
        let w = World.healthy()
        w.facts.files["/proc/net/vtoa_stats"] = "toa_malformed 5\ntoa_untrusted 0\ntoa_kind254_len20 5\n"
        let r = w.machine.doctor()
        let c = try check(r, "ipv6-kind254")
        #expect(c.status == .warn)
        #expect(c.summary.hasPrefix("5 TOA options of kind 254 length 20"))
        #expect(c.remedy == "set 'ipv6_kind254 = yes' in /etc/vtoa/vtoa.conf, then 'vtoa reload'")
        #expect(r.exitCode == 0)
        #expect(r.checks.last?.id == "ipv6-kind254")
    }

    @Test func kind254ConfiguredButNotApplied() throws {
        let w = World.healthy()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "trusted_sources = 100.64.0.0/10\nipv6_kind254 = yes\n"
        w.facts.files["/proc/net/vtoa_stats"] = "toa_kind254_len20 1\n"
        let c = try check(w.machine.doctor(), "ipv6-kind254")
        #expect(c.status == .warn)
        #expect(c.summary.hasPrefix("1 TOA option of kind 254"))
        #expect(c.remedy?.contains("run 'vtoa reload'") == true)
    }

    @Test func kind254On() throws {
        let w = World.healthy()
        w.facts.files["/sys/module/vtoa/parameters/ipv6_kind254"] = "Y\n"
        w.facts.files["/proc/net/vtoa_stats"] = "toa_kind254_len20 9\n"
        #expect(try check(w.machine.doctor(), "ipv6-kind254").status == .ok)
    }

    @Test(arguments: ["toa_kind254_len20 0\n", "toa_malformed 0\n"])
    func kind254NoCheckWithoutSuchOptions(stats: String) {
        let w = World.healthy()
        w.facts.files["/proc/net/vtoa_stats"] = stats
        #expect(!w.machine.doctor().checks.contains { $0.id == "ipv6-kind254" })
    }
}
