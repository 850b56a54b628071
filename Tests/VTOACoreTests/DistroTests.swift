import Testing
@testable import VTOACore

@Suite struct Distro {
    @Test func familiesFromOsRelease() {
        // Alibaba Cloud Linux 3's /etc/os-release
        #expect(DistroFamily(osRelease: "NAME=\"Alibaba Cloud Linux\"\nVERSION=\"3 (OpenAnolis Edition)\"\nID=\"alinux\"\nID_LIKE=\"rhel fedora centos anolis\"\nVERSION_ID=\"3\"\n") == .redHat)
        #expect(DistroFamily(osRelease: "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n") == .redHat)
        #expect(DistroFamily(osRelease: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n") == .debian)
        #expect(DistroFamily(osRelease: "ID=ubuntu\nID_LIKE=debian\n") == .debian)
        #expect(DistroFamily(osRelease: "ID=arch\n") == .unknown)
        #expect(DistroFamily(osRelease: nil) == .unknown)
        // a key that only ends in ID= is not ID=
        #expect(DistroFamily(osRelease: "VARIANT_ID=fedora\nID=arch\n") == .unknown)
    }

    @Test func headersRemedyAndDkmsDirectoryPerFamily() {
        let r = "5.10.134-17.2.al8.x86_64"
        #expect(DistroFamily.redHat.headersInstall(release: r) == "yum install kernel-devel-\(r)")
        #expect(DistroFamily.debian.headersInstall(release: r) == "apt install linux-headers-\(r)")
        #expect(DistroFamily.unknown.headersInstall(release: r).contains("linux-headers-\(r)"))
        #expect(DistroFamily.unknown.headersInstall(release: r).contains("kernel-devel-\(r)"))
        #expect(DistroFamily.redHat.dkmsDirectory == "extra/")
        #expect(DistroFamily.debian.dkmsDirectory == "updates/")
    }

    @Test func doctorNamesKernelDevelOnAlibabaCloudLinux() throws {
        let w = World()
        w.facts.release = "5.10.134-17.2.al8.x86_64"
        w.facts.files["/etc/os-release"] = "ID=\"alinux\"\nID_LIKE=\"rhel fedora centos anolis\"\n"
        let headers = try #require(w.machine.doctor().checks.first { $0.id == "headers" })
        #expect(headers.status == .fail)
        #expect(headers.remedy == "install the headers: yum install kernel-devel-5.10.134-17.2.al8.x86_64")
    }
}

@Suite struct TextHelpers {
    @Test func trimmingAsFoundationDid() {
        #expect(" \t a b \t".trimmingSpaces() == "a b")
        #expect("\n a \n".trimmingSpaces() == "\n a \n")   // line breaks are not spaces
        #expect(" a\r\n".trimmingWhitespace() == "a")
        #expect("\r\n\t a\nb \n".trimmingWhitespace() == "a\nb")
        #expect("   ".trimmingWhitespace() == "")
        #expect("".trimmingSpaces() == "")
        #expect(Substring(" x ").trimmingSpaces() == "x")
    }

    @Test func paddedNeverCuts() {
        #expect("ab".padded(to: 4) == "ab  ")
        #expect("abcdef".padded(to: 4) == "abcdef")
        #expect("ü".padded(to: 2) == "ü ")
    }
}
