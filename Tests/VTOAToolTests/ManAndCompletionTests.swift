import ArgumentParser
import Foundation
import Testing
@testable import VTOATool
import VTOACore

@Suite struct ManPageAndCompletions {
    let allVerbs = ["install", "uninstall", "selftest", "status", "doctor", "kernel-check", "stats", "load", "unload",
                    "reload", "start", "stop", "restart", "enable", "disable", "config"]

    @Test func manPageListsEveryVerb() throws {
        let dir = NSTemporaryDirectory() + "vtoa-man-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try ManPage.write(to: dir + "/man8")
        #expect(path == dir + "/man8/vtoa.8")
        let page = try String(contentsOfFile: path, encoding: .utf8)
        #expect(page.hasPrefix(".TH VTOA 8 "))
        for verb in allVerbs where verb != "config" {
            #expect(page.contains(".SS \"vtoa \(verb)\"\n"), "\(verb) missing from vtoa.8")
        }
        for sub in ["config check", "config show"] {
            #expect(page.contains(".SS \"vtoa \(sub)\"\n"), "\(sub) missing from vtoa.8")
        }
        #expect(ManPage.verbs.count == allVerbs.count)
        #expect(!page.contains("generate-man"))
        // No line may start a roff request by accident.
        for line in page.split(separator: "\n") where line.hasPrefix(".") {
            #expect(line.range(of: #"^\.(TH|SH|SS|B|I|RI|BR|PP|TP|nf|fi)( |$)"#, options: .regularExpression) != nil, "\(line)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/man"), "man is not installed (/usr/bin/man)"))
    func manRendersThePage() throws {
        let dir = NSTemporaryDirectory() + "vtoa-man-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try ManPage.write(to: dir + "/man8")
        let r = try runProcess("/usr/bin/man", ["-l", "-P", "cat", path])
        #expect(r.status == 0)
        #expect(r.output.contains("vtoa selftest"))
    }

    @Test func everyVerbIsInHelp() {
        let help = VTOACommand.helpMessage(columns: 200)
        for verb in allVerbs { #expect(help.contains("  \(verb) "), "\(verb) missing from --help") }
        #expect(!help.contains("generate-man"))
    }

    @Test func completionScripts() {
        for shell in [CompletionShell.bash, .zsh, .fish] {
            let script = VTOACommand.completionScript(for: shell)
            for verb in ["install", "uninstall", "selftest", "kernel-check"] {
                #expect(script.contains(verb), "\(shell) completion lacks \(verb)")
            }
        }
    }

    func runProcess(_ exe: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.environment = ["MANWIDTH": "80", "PATH": "/usr/bin:/bin"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

@Suite struct ConfManPageAndExitTable {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func confPageFromTheParameterTable() throws {
        let page = ConfManPage.render()
        #expect(page.hasPrefix(".TH VTOA.CONF 5 "))
        for spec in ParameterSpec.all where spec.inConfig {
            #expect(page.contains(".TP\n.B \(spec.name)\n"), "\(spec.name) missing from vtoa.conf.5")
            #expect(page.contains("Default: \(spec.defaultText)."), "\(spec.name) default")
        }
        #expect(!page.contains(".B getsockopt\n"), "getsockopt is the policy's, not a key")
        #expect(page.contains("from 1 to 67108864"))
        #expect(Set(ParameterSpec.documentation.keys) == Set(ParameterSpec.all.map(\.name)))
        for line in page.split(separator: "\n") where line.hasPrefix(".") {
            #expect(line.range(of: #"^\.(TH|SH|SS|B|I|RI|BR|RB|PP|TP|nf|fi)( |$)"#, options: .regularExpression) != nil, "\(line)")
        }
        let dir = NSTemporaryDirectory() + "vtoa-man5-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try ConfManPage.write(to: dir) == dir + "/vtoa.conf.5")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/man"), "man is not installed"))
    func manRendersBothPages() throws {
        let dir = NSTemporaryDirectory() + "vtoa-man-r-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let conf = try ConfManPage.write(to: dir)
        let r = try #require(runCapturing("/usr/bin/man", ["-l", "-P", "cat", conf]))
        #expect(r.status == 0)
        #expect(r.output.contains("trusted_sources"))
    }

    /// vtoa(8)'s EXIT STATUS lists every code; the docs' table lists the same.
    @Test func exitStatusTableIsComplete() throws {
        let codes = Set(ExitStatus.table.map(\.code))
        let samples: [VTOAError] = [
            .notRoot(command: "x"), .unparsableRelease("x"), .kernelUnsupported(release: "x", reason: "y"),
            .badConfig(file: "f", line: 1, key: nil, message: "m"), .configUnreadable(file: "f", reason: "r"),
            .noModuleSupport(reason: "r"), .kernelConfigMissing(options: ["A"], source: "s"),
            .moduleNotFound(name: "n", kernel: "k"), .moduleNotLoaded(name: "n"), .moduleAlreadyLoaded(name: "n"),
            .moduleOperationFailed(operation: "o", name: "n", reason: "r"), .parameterWriteFailed(path: "p", reason: "r"),
            .statsUnavailable(path: "p", reason: "r"), .noSystemd(reason: "r"), .busUnavailable(reason: "r"),
            .busRefused(reason: "r"), .noSuchUnit("u"), .jobFailed(unit: "u", operation: "o", result: "r"),
            .dkmsFailed(command: "c", log: ""), .dkmsMissing, .headersMissing(release: "r"),
            .moduleSourceMissing(path: "p"), .installCheckFailed(kernel: "k", reason: "r"),
            .selftestCannotRun(step: "s", reason: "r"), .outputFailed(errno: 28, reason: "r"),
            .moduleSignatureRequired(name: "n", enforcement: "e", detail: "d"),
        ]
        for e in samples { #expect(codes.contains(e.exitCode), "\(e) exits \(e.exitCode), not in ExitStatus.table") }
        let page = ManPage.render()
        for (code, _) in ExitStatus.table { #expect(page.contains(".TP\n.B \(code)\n"), "vtoa.8 EXIT STATUS: \(code)") }
        let doc = try String(contentsOf: Self.repo.appendingPathComponent("docs/vtoa-tool.md"), encoding: .utf8)
        let exitSection = doc.components(separatedBy: "## Exit codes")[1].components(separatedBy: "\n## ")[0]
        var documented: Set<Int32> = []
        for line in exitSection.split(separator: "\n") where line.hasPrefix("| ") {
            if let n = Int32(line.dropFirst(2).prefix(while: { $0.isNumber })) { documented.insert(n) }
        }
        #expect(documented == codes, "docs/vtoa-tool.md exit codes \(documented.sorted()) vs \(codes.sorted())")
    }
}

@Suite struct ConfigOptionOnlyWhereRead {
    @Test func verbsThatReadTheFileTakeConfig() throws {
        for argv in [["load", "--config", "/x"], ["reload", "--config", "/x"], ["doctor", "--config", "/x"],
                     ["config", "check", "--config", "/x"], ["config", "show", "--config", "/x"]] {
            #expect(throws: Never.self, "\(argv)") { _ = try VTOACommand.parseAsRoot(argv) }
        }
    }

    @Test func othersRefuseIt() {
        for verb in ["start", "stop", "restart", "enable", "disable", "status", "stats", "install", "uninstall",
                     "unload", "selftest", "kernel-check"] {
            #expect(throws: (any Error).self, "\(verb) accepted --config") { _ = try VTOACommand.parseAsRoot([verb, "--config", "/x"]) }
        }
    }
}
