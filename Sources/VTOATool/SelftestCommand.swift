import ArgumentParser
import VTOACore

struct SelftestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Prove vtoa works on this machine: a crafted handshake with a TOA option over a TUN device in a private network namespace (exit 0 pass, 1 fail).",
        discussion: "Uses only documentation addresses (192.0.2.0/24, 198.51.100.0/24), only inside its own network namespace; the host's network is not touched. Needs root and the module loaded.")

    @Flag(help: ArgumentHelp("Check the crafted handshake against a kernel without vtoa (getpeername the proxy, getsockopt ENOPROTOOPT).",
                             visibility: .hidden))
    var withoutModule = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let report = try common.host().selftest(withoutModule: withoutModule)
        outText(report.text)
        if !report.passed { throw ExitCode(1) }
    }
}
