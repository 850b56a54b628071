import ArgumentParser
import VTOACore

struct KernelCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel-check",
        abstract: "Tell whether a kernel release supports vtoa (exit 0 supported, 1 not, 2 unparsable).")

    @Argument(help: "A kernel release as 'uname -r' prints it (default: the running kernel, whose version string counts too: Debian's 5.10.0-32-amd64 is 5.10.223).")
    var release: String?

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let machine = common.host()
        let text = release ?? machine.facts.kernelRelease()
        guard KernelRelease(text) != nil else {
            let e = VTOAError.unparsableRelease(text)
            if json {
                out(JSON.object([("release", .string(text)), ("verdict", .string("unparsable")),
                                 ("reason", .string(e.message))]).versioned().render() + "\n")
            } else {
                note(e.message)
            }
            throw ExitCode(2)
        }
        let v = try machine.verdict(release: text)
        if json {
            out(v.json.versioned().render() + "\n")
        } else {
            out("\(v.release.raw): \(v.support.rawValue): \(v.reason)\n")
        }
        if !v.isSupported { throw ExitCode(1) }
    }
}
