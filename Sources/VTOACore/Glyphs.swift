/// How text output shows its markers (✔ ✘ ● → ...): as they are on a
/// UTF-8 locale, coloured too on a terminal that wants colour, and as
/// ASCII elsewhere (LC_ALL=C, a POSIX locale, a log that is not UTF-8).
public struct Glyphs: Equatable, Sendable {
    public var unicode: Bool
    public var colour: Bool

    public init(unicode: Bool, colour: Bool) {
        self.unicode = unicode
        self.colour = colour && unicode
    }

    /// From the environment as setlocale(3) reads it: the first of LC_ALL,
    /// LC_CTYPE, LANG that is set and not empty names the character set
    /// (none: the POSIX locale, ASCII). Colour only when standard output is
    /// a terminal, TERM is not "dumb" and NO_COLOR is not set.
    public static func from(environment env: [String: String], stdoutIsTerminal: Bool) -> Glyphs {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"].lazy.compactMap { env[$0] }.first { !$0.isEmpty } ?? ""
        let l = locale.lowercased()
        let unicode = l.contains("utf-8") || l.contains("utf8")
        let colour = stdoutIsTerminal && env["NO_COLOR"] == nil && (env["TERM"].map { !$0.isEmpty && $0 != "dumb" } ?? false)
        return Glyphs(unicode: unicode, colour: colour)
    }

    static let ascii: [(String, String)] = [
        ("✔", "ok"), ("✘", "FAIL"), ("●", "*"), ("○", "o"), ("×", "x"), ("→", "->"), ("—", "--"), ("…", "..."),
    ]

    /// The text as this terminal should get it.
    public func render(_ text: String) -> String {
        if !unicode {
            var t = text
            for (u, a) in Self.ascii { t = t.replacing(u, with: a) }
            // whatever else is not ASCII (an address, a name) stays as it is
            return t
        }
        guard colour else { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let body = line.drop(while: { $0 == " " })
            let indent = String(line.prefix(line.count - body.count))
            for (mark, code) in [("✔", "32"), ("✘", "31"), ("!", "33"), ("●", "32"), ("×", "31")] where body.hasPrefix(mark + " ") {
                return indent + "\u{1B}[\(code)m" + mark + "\u{1B}[0m" + body.dropFirst(mark.count)
            }
            return String(line)
        }
        return lines.joined(separator: "\n")
    }
}
