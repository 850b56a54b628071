import ArgumentParser
import Foundation
import Testing
@testable import VTOATool

@Suite struct ManPageAndCompletions {
    let allVerbs = ["install", "uninstall", "selftest", "status", "doctor", "kernel-check", "stats", "load", "unload",
                    "reload", "start", "stop", "restart", "enable", "disable"]

    @Test func manPageListsEveryVerb() throws {
        let dir = NSTemporaryDirectory() + "vtoa-man-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try ManPage.write(to: dir + "/man8")
        #expect(path == dir + "/man8/vtoa.8")
        let page = try String(contentsOfFile: path, encoding: .utf8)
        #expect(page.hasPrefix(".TH VTOA 8 "))
        for verb in allVerbs {
            #expect(page.contains(".SS \"vtoa \(verb)\"\n"), "\(verb) missing from vtoa.8")
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
