import ArgumentParser
import VTOACore

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check everything vtoa needs, each with a one-line remedy (exit 0 when nothing is wrong).",
        discussion: """
        Checks the kernel policy, the loaded module, its file and DKMS, headers, kprobes, lockdown, \
        then what fights the module: another TOA module loaded (toa, tcp_toa, ...), a kernel that ships \
        its own vtoa (kernel/net/vtoa) and which one is loaded, cgroup eBPF programs on getpeername4/6 \
        (BPF_PROG_QUERY on the cgroup v2 root, as Cilium's socket load balancer attaches); then the \
        service, trusted_sources and the counters (TOAs ignored; TOAs lost to a full table, memory or a \
        missed probe; kind 254 length 20 IPv6 TOAs while ipv6_kind254 is off); last, as root with the \
        module loaded, the end-to-end test of 'vtoa selftest' (a crafted TOA connection in a private \
        network namespace).
        Each line is ✔ ok, ✘ problem (exit 1), ! warning or - skipped with the reason (ok, FAIL, !, - when the locale is not UTF-8).
        """)

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var common: ConfigFileOptions

    func run() throws {
        let report = common.host().doctor(endToEnd: runHandshakeInPrivateNamespace)
        if json { out(report.json.render() + "\n") } else { outText(report.text) }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
