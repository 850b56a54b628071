import Testing
@testable import VTOACore

@Suite struct KernelReleaseParsing {
    @Test func alibabaCloudLinux() throws {
        let r = try #require(KernelRelease("5.10.134-17.2.al8.x86_64"))
        #expect(r.upstream == [5, 10, 134])
        #expect(r.build == [17, 2])
        #expect(r.upstreamString == "5.10.134")
    }

    @Test func debian() throws {
        let r = try #require(KernelRelease("6.1.0-28-amd64"))
        #expect(r.upstream == [6, 1, 0])
        #expect(r.build == [28])
    }

    @Test func tagsWithDigitsDoNotCount() throws {
        #expect(try #require(KernelRelease("5.10.134-15.al8.x86_64")).build == [15])
        #expect(try #require(KernelRelease("4.18.0-513.el8_9.x86_64")).build == [513])
        #expect(try #require(KernelRelease("6.18.44-fc-v669")).build == [])
        #expect(try #require(KernelRelease("5.15.0-91-generic")).build == [91])
    }

    @Test func noBuildPart() throws {
        let r = try #require(KernelRelease("6.8.0"))
        #expect(r.build == [])
        #expect(try #require(KernelRelease("6.8")).upstream == [6, 8, 0])
        #expect(try #require(KernelRelease("6.8-rc3")).build == [])
        #expect(try #require(KernelRelease("2.6.32.71")).upstream == [2, 6, 32])
    }

    @Test(arguments: ["", "foo", "5", "5.", "5..10", ".5.10", "5.10x", "5.10.134x-1", "abc-5.10.134", "99999999.1.1", "5.10.134.1.2"])
    func unparsable(_ text: String) {
        #expect(KernelRelease(text) == nil)
    }

    @Test func ordering() throws {
        func r(_ s: String) throws -> KernelRelease { try #require(KernelRelease(s)) }
        #expect(try r("5.10.134-16") < r("5.10.134-17"))
        #expect(try r("5.10.134-17") < r("5.10.134-17.1"))
        #expect(try r("5.10.134-17") == r("5.10.134-17.0.al8.x86_64"))
        #expect(try r("5.10.134-9") < r("5.10.134-15"))   // numeric, not text
        #expect(try r("5.10.134-100") > r("5.10.134-99"))
        #expect(try r("5.10.134-999") < r("5.10.135"))
        #expect(try r("5.9.200") < r("5.10.0"))
        #expect(try r("5.10.134-17.2.al8.x86_64") == r("5.10.134-17.2.an8.aarch64"))
    }
}

@Suite struct KernelPolicyVerdicts {
    @Test(arguments: [
        ("5.10.134-17.2.al8.x86_64", KernelSupport.full),
        ("5.10.134-17.al8.x86_64", .full),
        ("5.10.134-18.al8.x86_64", .full),
        ("5.10.134-16.3.al8.x86_64", .getpeernameOnly),
        ("5.10.134-15.al8.x86_64", .getpeernameOnly),
        ("5.10.134-15", .getpeernameOnly),
        ("5.10.134-14.1.al8.x86_64", .unsupported),
        ("5.10.134-9.al8.x86_64", .unsupported),
        ("5.10.134", .unsupported),
        ("5.10.133-99.al8.x86_64", .unsupported),
        ("5.10.135", .full),
        ("5.10.135-1", .full),
        ("5.11.0", .full),
        ("6.1.0-28-amd64", .full),
        ("6.18.44-fc-v669", .full),
        ("4.19.91-27.al7.x86_64", .unsupported),
        ("3.10.0-1160.el7.x86_64", .unsupported),
    ])
    func verdict(_ release: String, _ expected: KernelSupport) throws {
        let v = try KernelPolicy.verdict(forRelease: release)
        #expect(v.support == expected, "\(release): \(v.reason)")
        #expect(v.getpeername == (expected != .unsupported))
        #expect(v.getsockopt == (expected == .full))
        #expect(!v.reason.isEmpty)
    }

    @Test func unparsableThrows() {
        #expect(throws: VTOAError.unparsableRelease("garbage")) {
            try KernelPolicy.verdict(forRelease: "garbage")
        }
        #expect(VTOAError.unparsableRelease("x").exitCode != 0)
    }

    @Test func json() throws {
        let v = try KernelPolicy.verdict(forRelease: "5.10.134-16.al8.x86_64")
        let text = v.json.render()
        #expect(text.contains("\"verdict\": \"getpeername-only\""))
        #expect(text.contains("\"getsockopt\": false"))
        #expect(text.contains("\"build\": [\n    16\n  ]"))
    }
}

/// Debian's and Ubuntu's releases hide the sublevel; the running kernel's
/// version string tells it.
@Suite struct DistributionVersions {
    let debian11 = "#1 SMP Debian 5.10.223-1 (2024-08-10)\n"

    @Test func debianSublevelFromVersion() throws {
        let r = try #require(KernelRelease("5.10.0-32-amd64"))
        #expect(KernelPolicy.verdict(for: r).support == .unsupported)   // by name alone: 5.10.0
        let v = KernelPolicy.verdict(for: r, kernelVersion: debian11, versionSignature: nil)
        #expect(v.support == .full)
        #expect(v.release.raw == "5.10.0-32-amd64")
        #expect(v.reason.contains("upstream 5.10.223 (Debian 5.10.223-1)"))
    }

    @Test func ubuntuSignature() throws {
        let r = try #require(KernelRelease("5.4.0-42-generic"))
        let v = KernelPolicy.verdict(for: r, kernelVersion: "#46-Ubuntu SMP Fri Jul 10 00:24:02 UTC 2020",
                                     versionSignature: "Ubuntu 5.4.0-42.46-generic 5.4.44\n")
        #expect(v.support == .unsupported)
        #expect(v.reason.contains("upstream 5.4.44"))
        let oem = try #require(KernelRelease("5.10.0-1057-oem"))
        #expect(KernelPolicy.verdict(for: oem, kernelVersion: nil,
                                     versionSignature: "Ubuntu 5.10.0-1057.61-oem 5.10.150").support == .full)
    }

    @Test func versionOfAnotherSeriesIsIgnored() throws {
        let r = try #require(KernelRelease("6.1.0-28-amd64"))
        let v = KernelPolicy.verdict(for: r, kernelVersion: debian11, versionSignature: nil)
        #expect(v.reason == KernelPolicy.verdict(for: r).reason)
    }

    @Test func alibabaReleaseKeepsItsBuildRule() throws {
        // A release with a real sublevel is never rewritten, whatever the text says.
        let r = try #require(KernelRelease("5.10.134-14.al8.x86_64"))
        #expect(KernelPolicy.verdict(for: r, kernelVersion: "#1 SMP Debian 5.10.223-1", versionSignature: nil).support == .unsupported)
    }

    @Test(arguments: ["", "#1 SMP Debian", "#1 SMP Debian 5.10", "#1 SMP Debian junk", "#1 SMP Debian 5.10.0-1", "Debian 5.10.223-1"])
    func unusableVersionText(_ text: String) throws {
        let r = try #require(KernelRelease("5.10.0-32-amd64"))
        let v = KernelPolicy.verdict(for: r, kernelVersion: text, versionSignature: "Ubuntu x")
        if text == "Debian 5.10.223-1" {
            #expect(v.support == .full)   // the word may start the text
        } else {
            #expect(v.support == .unsupported)
        }
    }

    @Test func machineUsesVersionForRunningKernelOnly() throws {
        let w = World()
        w.facts.release = "5.10.0-32-amd64"
        w.facts.files["/proc/sys/kernel/version"] = debian11
        let m = w.machine
        #expect(try m.verdict().support == .full)
        #expect(try m.verdict(release: "5.10.0-32-amd64").support == .full)
        #expect(try m.verdict(release: "5.10.0-30-amd64").support == .unsupported)
        #expect(m.doctor().checks.first?.status == .ok)
    }
}
