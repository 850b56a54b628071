import Testing
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import VTOACore

/// The parameter table (kmod/include/uapi/vtoa_params.h) as the tool reads
/// it, and everything that must agree with it.
@Suite struct ParameterTable {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func text(_ path: String) throws -> String {
        try String(contentsOf: repo.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func tableAsTheModuleHasIt() throws {
        #expect(ParameterSpec.all.map(\.name) == ["getpeername", "getsockopt", "trusted_sources", "max_entries", "ipv6_kind254"])
        #expect(VTOAConfig.keys == ["getpeername", "trusted_sources", "max_entries", "ipv6_kind254", "backend"])
        let max = try #require(ParameterSpec.named("max_entries"))
        #expect(max.kind == .uint && max.min == 1 && max.max == 67_108_864 && max.defaultValue == 1_048_576)
        #expect(ParameterSpec.named("trusted_sources")?.max == 64)
        #expect(vtoaVersion.split(separator: ".").count == 3)
    }

    /// params.c registers each line of the table, in its order, with the
    /// ops of its type (the module also refuses to load otherwise).
    @Test func paramsCRegistersTheTable() throws {
        let c = try Self.text("kmod/params.c")
        var regs: [(String, String)] = []
        for line in c.split(separator: "\n") where line.hasPrefix("module_param_cb(") {
            let args = line.dropFirst("module_param_cb(".count).split(separator: ",").map { $0.trimmingSpaces() }
            regs.append((args[0], args.count > 1 ? args[1] : ""))
        }
        #expect(regs.map(\.0) == ParameterSpec.all.map(\.name))
        for (name, ops) in regs {
            let kind = try #require(ParameterSpec.named(name)).kind
            #expect(ops == "&vtoa_ops_\(kind.rawValue.uppercased())", "\(name) registered with \(ops)")
        }
    }

    @Test func maxEntriesRangeIsTheModules() throws {
        #expect(throws: VTOAError.self) { try VTOAConfig.parse("max_entries = 100000000", file: "f") }
        #expect(throws: VTOAError.self) { try VTOAConfig.parse("max_entries = 67108865", file: "f") }
        #expect(throws: VTOAError.self) { try VTOAConfig.parse("max_entries = 0", file: "f") }
        #expect(throws: VTOAError.self) { try VTOAConfig.parse("max_entries = 0x10", file: "f") }
        #expect(try VTOAConfig.parse("max_entries = 67108864", file: "f").maxEntries == 67_108_864)
        do {
            _ = try VTOAConfig.parse("max_entries = 100000000", file: "/etc/vtoa/vtoa.conf")
        } catch {
            #expect(error.message.contains("from 1 to 67108864"), "\(error.message)")
        }
    }

    @Test func cidrsAreNormalisedAsTheModuleDoes() throws {
        #expect(CIDR("10.0.0.1/8")?.description == "10.0.0.0/8")
        #expect(CIDR("192.0.2.7")?.description == "192.0.2.7/32")
        #expect(CIDR("192.0.2.255/25")?.description == "192.0.2.128/25")
        #expect(CIDR("2001:0db8:0000::1/32")?.description == "2001:db8::/32")
        #expect(CIDR("2001:db8:ffff:ffff::1/47")?.description == "2001:db8:fffe::/47")
        #expect(CIDR("0.0.0.0/0")?.description == "0.0.0.0/0")
        #expect(CIDR("10.0.0.1/8") == CIDR("10.255.0.0/8"))
        let cfg = try VTOAConfig.parse("trusted_sources = 10.0.0.1/8, 2001:0db8::7/32", file: "f")
        let p = try ModuleParameters.plan(verdict: KernelPolicy.verdict(forRelease: "6.1.0-28-amd64"), config: cfg, force: false)
        #expect(p.trustedSources == "10.0.0.0/8,2001:db8::/32")
        // what the module prints back is no change, so reload writes nothing
        #expect(ModuleParameters.same("trusted_sources", current: "10.0.0.0/8,2001:db8::/32\n", wanted: p.trustedSources))
        #expect(!ModuleParameters.same("trusted_sources", current: "2001:db8::/32,10.0.0.0/8", wanted: p.trustedSources))
        #expect(!ModuleParameters.same("trusted_sources", current: "10.0.0.0/9,2001:db8::/32", wanted: p.trustedSources))
    }

    @Test func reloadOfANormalisedListChangesNothing() throws {
        let w = World.healthy()
        w.facts.files["/etc/vtoa/vtoa.conf"] = "trusted_sources = 10.0.0.1/8\n"
        w.facts.files["/sys/module/vtoa/parameters/trusted_sources"] = "10.0.0.0/8\n"
        let (changes, _) = try w.machine.reload(force: false)
        #expect(!changes.contains { $0.name == "trusted_sources" }, "\(changes)")
    }

    @Test func cidrListLimit() throws {
        let list64 = (0..<64).map { "192.0.2.\($0)" }.joined(separator: ",")
        #expect(try VTOAConfig.parse("trusted_sources = \(list64)", file: "f").trustedSources.count == 64)
        #expect(throws: VTOAError.self) { try VTOAConfig.parse("trusted_sources = \(list64),198.51.100.1", file: "f") }
    }

    @Test func policyParameterIsNotAConfigKey() throws {
        do {
            _ = try VTOAConfig.parse("getsockopt = no", file: "f")
            Issue.record("getsockopt accepted in vtoa.conf")
        } catch {
            #expect(error.message.contains("kernel policy"), "\(error.message)")
        }
    }

    @Test func restoreWritesWhatTheModuleTakes() {
        let m = World.healthy().machine
        #expect(m.sysfsRestoreValue(ParameterChange(name: "getpeername", old: "Y", new: "0")) == "1")
        #expect(m.sysfsRestoreValue(ParameterChange(name: "ipv6_kind254", old: "N", new: "1")) == "0")
        #expect(m.sysfsRestoreValue(ParameterChange(name: "trusted_sources", old: "", new: "10.0.0.0/8")) == "\n")
        #expect(m.sysfsRestoreValue(ParameterChange(name: "trusted_sources", old: "10.0.0.0/8", new: "")) == "10.0.0.0/8")
        #expect(m.sysfsRestoreValue(ParameterChange(name: "max_entries", old: "1", new: "2")) == "1")
    }

    /// Every config key is documented with the table's default and range in
    /// the README, the shipped vtoa.conf and docs/vtoa-tool.md.
    @Test func docsAgreeWithTheTable() throws {
        let readme = try Self.text("README.md")
        let conf = try Self.text("systemd/vtoa.conf")
        let doc = try Self.text("docs/vtoa-tool.md")
        // the tool's own key
        #expect(readme.contains("| `backend` | auto |"), "README.md's config table: backend")
        #expect(conf.contains("\n#backend = auto\n"), "systemd/vtoa.conf: backend = auto")
        #expect(doc.contains("    backend = auto\n") && doc.contains("- `backend`: `auto` (the default), `module` or `ebpf`"), "docs/vtoa-tool.md: backend")
        for spec in ParameterSpec.all where spec.inConfig {
            let def: String
            switch spec.kind {
            case .bool: def = spec.defaultValue != 0 ? "yes" : "no"
            case .uint: def = String(spec.defaultValue)
            case .cidrs: def = "empty"
            }
            #expect(readme.contains("| `\(spec.name)` | \(def)"), "README.md's config table: \(spec.name) default \(def)")
            #expect(conf.contains("\n#\(spec.name) = ") || conf.contains("\n\(spec.name) = "), "systemd/vtoa.conf: \(spec.name)")
            #expect(doc.contains("`\(spec.name)`"), "docs/vtoa-tool.md: \(spec.name)")
            if spec.kind == .bool {
                #expect(conf.contains("#\(spec.name) = \(def)"), "systemd/vtoa.conf: \(spec.name) = \(def)")
            }
            if spec.kind == .uint {
                #expect(conf.contains("\(spec.min) to \(spec.max)"), "systemd/vtoa.conf: range of \(spec.name)")
                #expect(doc.contains("from \(spec.min) to \(spec.max)"), "docs/vtoa-tool.md: range of \(spec.name)")
                #expect(conf.contains("#\(spec.name) = \(def)"), "systemd/vtoa.conf: \(spec.name) = \(def)")
            }
            if spec.kind == .cidrs {
                #expect(conf.contains("at most \(spec.max)") && doc.contains("at most \(spec.max)"), "limit of \(spec.name)")
            }
        }
    }
}
