import Testing
@testable import VTOACore

@Suite struct GlyphsForTheTerminal {
    let text = "first fix: run it (x)\n✔ fine\n✘ broken\n    → do this\n! careful\n● vtoa.service: active\n  ✘ getpeername() got x\n"

    @Test func localeDecidesSymbols() {
        #expect(Glyphs.from(environment: [:], stdoutIsTerminal: true).unicode == false)
        #expect(Glyphs.from(environment: ["LANG": "C.UTF-8"], stdoutIsTerminal: false).unicode)
        #expect(Glyphs.from(environment: ["LANG": "en_US.utf8"], stdoutIsTerminal: false).unicode)
        #expect(Glyphs.from(environment: ["LANG": "en_US.UTF-8", "LC_ALL": "C"], stdoutIsTerminal: false).unicode == false)
        #expect(Glyphs.from(environment: ["LC_ALL": "", "LC_CTYPE": "C.UTF-8"], stdoutIsTerminal: false).unicode)
    }

    @Test func colourOnlyOnAWillingTerminal() {
        let utf = ["LANG": "C.UTF-8", "TERM": "xterm-256color"]
        #expect(Glyphs.from(environment: utf, stdoutIsTerminal: true).colour)
        #expect(!Glyphs.from(environment: utf, stdoutIsTerminal: false).colour)
        var noColour = utf
        noColour["NO_COLOR"] = "1"
        var dumb = utf
        dumb["TERM"] = "dumb"
        #expect(!Glyphs.from(environment: noColour, stdoutIsTerminal: true).colour)
        #expect(!Glyphs.from(environment: dumb, stdoutIsTerminal: true).colour)
        #expect(!Glyphs.from(environment: ["TERM": "xterm"], stdoutIsTerminal: true).colour, "no colour without UTF-8")
    }

    @Test func asciiRendering() {
        let t = Glyphs(unicode: false, colour: false).render(text)
        #expect(t == "first fix: run it (x)\nok fine\nFAIL broken\n    -> do this\n! careful\n* vtoa.service: active\n  FAIL getpeername() got x\n")
        let allASCII = t.unicodeScalars.allSatisfy { $0.isASCII }
        #expect(allASCII)
    }

    @Test func unicodeAndColour() {
        #expect(Glyphs(unicode: true, colour: false).render(text) == text)
        let c = Glyphs(unicode: true, colour: true).render(text)
        #expect(c.contains("\u{1B}[32m✔\u{1B}[0m fine"))
        #expect(c.contains("  \u{1B}[31m✘\u{1B}[0m getpeername()"))
        #expect(c.contains("\u{1B}[33m!\u{1B}[0m careful"))
        #expect(c.contains("first fix: run it (x)\n"))
    }
}
