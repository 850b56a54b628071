import Testing
@testable import VTOACore

@Suite struct ConfigParsing {
    let file = "/etc/vtoa/vtoa.conf"

    @Test func fullFile() throws {
        let c = try VTOAConfig.parse("""
        # vtoa configuration
        trusted_sources = 100.64.0.0/10, 2001:db8::/32 ,203.0.113.7
          getpeername=no   # comment after a value
        max_entries = 4096
        ipv6_kind254 = yes

        """, file: file)
        #expect(c.trustedSources.map(\.description) == ["100.64.0.0/10", "2001:db8::/32", "203.0.113.7/32"])
        #expect(c.getpeername == false)
        #expect(c.maxEntries == 4096)
        #expect(c.ipv6Kind254 == true)
    }

    @Test func emptyFileIsDefaults() throws {
        let c = try VTOAConfig.parse("\n# nothing\n   \n", file: file)
        #expect(c == VTOAConfig())
        #expect(c.getpeername == nil)
    }

    @Test func emptyTrustedSources() throws {
        #expect(try VTOAConfig.parse("trusted_sources =\n", file: file).trustedSources.isEmpty)
    }

    @Test(arguments: ["yes", "YES", "true", "1", "on"]) func truthy(_ v: String) throws {
        #expect(try VTOAConfig.parse("getpeername = \(v)", file: file).getpeername == true)
    }

    @Test(arguments: ["no", "False", "0", "off"]) func falsy(_ v: String) throws {
        #expect(try VTOAConfig.parse("ipv6_kind254 = \(v)", file: file).ipv6Kind254 == false)
    }

    @Test func crlfLines() throws {
        #expect(try VTOAConfig.parse("max_entries = 10\r\n", file: file).maxEntries == 10)
    }

    func error(_ text: String) -> VTOAError? {
        do throws(VTOAError) {
            _ = try VTOAConfig.parse(text, file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("getpeername = maybe", 1, "getpeername"),
        ("# ok\nmax_entries = 0", 2, "max_entries"),
        ("max_entries = -5", 1, "max_entries"),
        ("max_entries = 12abc", 1, "max_entries"),
        ("max_entries = 99999999999", 1, "max_entries"),
        ("\n\ntrusted_sources = 10.0.0.0/33", 3, "trusted_sources"),
        ("trusted_sources = 10.0.0.0/8,,10.1.0.0/16", 1, "trusted_sources"),
        ("trusted_sources = 300.1.1.1", 1, "trusted_sources"),
        ("trusted_sources = 2001:db8::/129", 1, "trusted_sources"),
        ("trusted_sources = 10.0.0.0/", 1, "trusted_sources"),
        ("trusted_sources = example.com", 1, "trusted_sources"),
        ("colour = blue", 1, "colour"),
        ("ipv6_kind254 = 2", 1, "ipv6_kind254"),
        ("getpeername = yes\ngetpeername = no", 2, "getpeername"),
    ])
    func badLineNamesFileLineAndKey(_ text: String, _ line: Int, _ key: String) throws {
        let e = try #require(error(text))
        guard case .badConfig(let f, let l, let k, _) = e else {
            Issue.record("unexpected \(e)")
            return
        }
        #expect(f == file)
        #expect(l == line)
        #expect(k == key)
        #expect(e.message.hasPrefix("\(file):\(line) (key '\(key)'):"))
        #expect(!e.message.contains("\n"))
    }

    @Test func lineWithoutEquals() throws {
        let e = try #require(error("trusted_sources 10.0.0.0/8"))
        #expect(e == .badConfig(file: file, line: 1, key: nil, message: "expected 'key = value', got 'trusted_sources 10.0.0.0/8'"))
        #expect(e.exitCode == 12)
    }

    @Test func missingFileIsDefaults() throws {
        let facts = FakeFacts()
        #expect(try VTOAConfig.load(path: file, facts: facts) == VTOAConfig())
    }

    @Test func unreadableFile() {
        let facts = FakeFacts()
        facts.directories.insert(file)  // exists, cannot be read as text
        #expect(throws: VTOAError.configUnreadable(file: file, reason: "permission denied or not a file")) {
            try VTOAConfig.load(path: file, facts: facts)
        }
    }

    @Test func cidr() {
        #expect(CIDR("::/0")?.family == .v6)
        #expect(CIDR("0.0.0.0/0")?.prefix == 0)
        #expect(CIDR("::ffff:1.2.3.4/128") != nil)
        #expect(CIDR("1.2.3.4/+1") == nil)
        #expect(CIDR("1.2.3.4/1/2") == nil)
        #expect(CIDR("1.2.3") == nil)
    }
}
