import ArgumentParser
import VTOACore

struct KernelCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel-check",
        abstract: "Tell whether a kernel release supports vtoa (exit 0 supported, 1 not, 2 unparsable).")

    @Argument(help: "A kernel release as 'uname -r' prints it (default: the running kernel).")
    var release: String?

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let text = release ?? common.host().facts.kernelRelease()
        guard let r = KernelRelease(text) else {
            let e = VTOAError.unparsableRelease(text)
            if json {
                out(JSON.object([("release", .string(text)), ("verdict", .string("unparsable")),
                                 ("reason", .string(e.message))]).render() + "\n")
            } else {
                note(e.message)
            }
            throw ExitCode(2)
        }
        let v = KernelPolicy.verdict(for: r)
        if json {
            out(v.json.render() + "\n")
        } else {
            out("\(r.raw): \(v.support.rawValue): \(v.reason)\n")
        }
        if !v.isSupported { throw ExitCode(1) }
    }
}
