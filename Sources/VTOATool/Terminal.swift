#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import VTOACore

/// The glyphs for this process's standard output (Glyphs.from: the
/// locale's character set, colour only on a terminal).
let terminalGlyphs: Glyphs = {
    var env: [String: String] = [:]
    for key in ["LC_ALL", "LC_CTYPE", "LANG", "NO_COLOR", "TERM"] {
        if let v = getenv(key) { env[key] = String(cString: v) }
    }
    return Glyphs.from(environment: env, stdoutIsTerminal: isatty(1) == 1)
}()

/// Text output for people (doctor, status, selftest): out() after the
/// glyphs are fitted to the terminal. JSON goes through out() unchanged.
func outText(_ text: String) {
    out(terminalGlyphs.render(text))
}
