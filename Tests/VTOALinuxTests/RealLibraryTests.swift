import Foundation
import Testing
@testable import VTOACore
@testable import VTOALinux

/// The real implementations over system libraries: libkmod and sd-bus.

/// A temporary directory laid out like /, removed afterwards.
final class LinuxFakeRoot {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "vtoa-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ rel: String, _ text: String) throws {
        let full = path + rel
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: false, encoding: .utf8)
    }
    func mkdir(_ rel: String) throws {
        try FileManager.default.createDirectory(atPath: path + rel, withIntermediateDirectories: true)
    }
}

@Suite struct RealLibkmod {
    @Test func contextOnThisHost() throws {
        let ctx = try KmodContext()
        #expect(ctx.directory.hasPrefix("/lib/modules/"))
    }

    @Test func contextOnAnEmptyDirectory() throws {
        let root = try LinuxFakeRoot()
        let mc = try KmodModuleControl(directory: root.path)
        #expect(mc.context.directory == root.path)
        // No modules.dep there: the module is simply not found.
        #expect(throws: VTOAError.moduleNotFound(name: "vtoa", kernel: root.path)) {
            try mc.insert("vtoa", options: "")
        }
        #expect((try? mc.moduleFile("vtoa")) ?? nil == nil)
    }

    @Test func loadedModulesOrAClearError() throws {
        let mc = try KmodModuleControl()
        do throws(VTOAError) {
            let names = try mc.loadedModuleNames()
            // A host with /proc/modules: vtoa is not loaded in the test run.
            #expect(!names.contains("vtoa") || FileManager.default.fileExists(atPath: "/sys/module/vtoa"))
        } catch {
            // This container's kernel has no /proc/modules.
            guard case .noModuleSupport(let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(reason.contains("/proc/modules"))
            #expect(error.exitCode == 13)
        }
    }

    @Test func notLoadedModuleIsNil() throws {
        let mc = try KmodModuleControl()
        #expect(try mc.loadedModule("vtoa_surely_not_loaded_\(getpid())") == nil)
    }

    @Test func removeNotLoaded() throws {
        let mc = try KmodModuleControl()
        #expect(throws: VTOAError.self) { try mc.remove("vtoa_surely_not_loaded_\(getpid())") }
    }

    @Test func moduleInfoOfAMissingFile() throws {
        let mc = try KmodModuleControl()
        #expect(try mc.moduleInfo(path: "/nonexistent/vtoa.ko") == nil)
    }

    /// The VM bench's dummy "toa" module (built by tests/vm).
    static let dummyToaModule = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tests/vm/bin/toa.ko").path

    @Test(.enabled(if: FileManager.default.fileExists(atPath: dummyToaModule),
                   "tests/vm/bin/toa.ko is not built (the VM bench builds it)"))
    func moduleInfoOfTheDummyToaModule() throws {
        let mc = try KmodModuleControl()
        let info = try #require(try mc.moduleInfo(path: Self.dummyToaModule))
        #expect(info.path == Self.dummyToaModule)
        #expect(info.vermagic?.contains("mod_unload") == true)
        #expect(info.signer == nil, "an out-of-tree build without the kernel's key is unsigned")
    }

    /// The kernel's own sign-file (from the headers), a throw-away key:
    /// libkmod's modinfo names the signer, which load and doctor rely on.
    static let signFile = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/src"))?
        .filter { $0.hasPrefix("linux-headers-") && $0.hasSuffix("-amd64") }.sorted().last
        .map { "/usr/src/\($0)/scripts/sign-file" }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: dummyToaModule)
                   && signFile.map { FileManager.default.isExecutableFile(atPath: $0) } == true
                   && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"),
                   "needs tests/vm/bin/toa.ko, openssl and the headers' scripts/sign-file"))
    func signerOfASignedModule() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtoa-sign-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ko = dir + "/toa.ko"
        try FileManager.default.copyItem(atPath: Self.dummyToaModule, toPath: ko)
        func run(_ argv: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: argv[0])
            p.arguments = Array(argv.dropFirst())
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(argv.joined(separator: " ")) exited \(p.terminationStatus)")
        }
        try run(["/usr/bin/openssl", "req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                 "-subj", "/CN=vtoa test signing key", "-keyout", dir + "/k.pem", "-outform", "DER", "-out", dir + "/k.der"])
        try run([try #require(Self.signFile), "sha256", dir + "/k.pem", dir + "/k.der", ko])
        let info = try #require(try KmodModuleControl().moduleInfo(path: ko))
        #expect(info.signer == "vtoa test signing key")
    }

    @Test func explanations() {
        #expect(KmodModuleControl.explain(-ENOEXEC).contains("vtoa install --force"))
        #expect(KmodModuleControl.explain(-EKEYREJECTED).contains("signed"))
    }
}

@Suite struct RealSdBus {
    @Test func noSystemdIsOneClearLine() throws {
        let root = try LinuxFakeRoot()
        let sc = SystemdServiceControl(facts: HostFacts(root: root.path))
        #expect(throws: VTOAError.noSystemd(reason: "no /run/systemd/system")) { try sc.state(of: vtoaUnit) }
        #expect(throws: VTOAError.noSystemd(reason: "no /run/systemd/system")) { try sc.run(.start, unit: vtoaUnit) }
        #expect(throws: VTOAError.noSystemd(reason: "no /run/systemd/system")) { try sc.setEnabled(true, unit: vtoaUnit) }
        let msg = VTOAError.noSystemd(reason: "no /run/systemd/system").message
        #expect(msg == "systemd is not running here (no /run/systemd/system); use 'vtoa load' to load the module directly")
    }

    @Test func busConnectFailureIsAClearMessage() throws {
        let root = try LinuxFakeRoot()
        try root.mkdir("/run/systemd/system")
        let sc = SystemdServiceControl(facts: HostFacts(root: root.path), address: "unix:path=\(root.path)/no-such-bus-socket")
        do throws(VTOAError) {
            _ = try sc.state(of: vtoaUnit)
            Issue.record("connected to a socket that does not exist")
        } catch {
            guard case .busUnavailable(let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(reason == "No such file or directory")
            #expect(error.message.hasPrefix("cannot connect to the system D-Bus (No such file or directory)"))
            #expect(error.exitCode == 21)
        }
    }

    /// The system bus socket sd_bus_open_system() connects to, unless
    /// DBUS_SYSTEM_BUS_ADDRESS names another.
    static let systemBusPresent = getenv("DBUS_SYSTEM_BUS_ADDRESS") != nil
        || access("/run/dbus/system_bus_socket", F_OK) == 0

    @Test(.enabled(if: !systemBusPresent, "this machine has a system bus (/run/dbus/system_bus_socket)"))
    func noSystemBusIsBusUnavailable() {
        // This host: no system bus.
        #expect(throws: VTOAError.busUnavailable(reason: "No such file or directory")) { _ = try SystemBus() }
    }

    @Test(.enabled(if: systemBusPresent, "no system bus on this machine (no /run/dbus/system_bus_socket)"))
    func systemBusConnects() {
        #expect(throws: Never.self) { _ = try SystemBus() }
    }
}
