// Small text helpers, so that the tool needs FoundationEssentials only (no ICU,
// no libstdc++): trimming and padding as Foundation's StringProtocol methods do
// for the cases vtoa has.

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Foundation's `.whitespaces`:
    /// whitespace that is not a line break).
    public func trimmingSpaces() -> String {
        trimming { $0.isWhitespace && !$0.isNewline }
    }

    /// Without leading and trailing whitespace and line breaks, "\r" among them
    /// (Foundation's `.whitespacesAndNewlines`).
    public func trimmingWhitespace() -> String {
        trimming { $0.isWhitespace }
    }

    private func trimming(_ drop: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !drop($0) }) else { return "" }
        let last = lastIndex(where: { !drop($0) })!  // exists: `first` does
        return String(self[first...last])
    }

    /// Padded with spaces on the right to `width` characters (never cut).
    public func padded(to width: Int) -> String {
        count >= width ? String(self) : String(self) + String(repeating: " ", count: width - count)
    }
}
