import Foundation

/// `/shortcut` in the reply editor: a line that is only a slash and a canned response's shortcut is
/// replaced by that response, rendered for the ticket's channel by the server.
public enum Shortcut {
    public struct Use: Sendable, Equatable {
        public var shortcut: String
        /// The line it was typed on (0-based).
        public var line: Int
    }

    /// Every line of `text` that is a `/shortcut` (lower-case letters, digits and `-`), in order.
    public static func uses(in text: String) -> [Use] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("/"), trimmed.count > 1 else { return nil }
            let name = trimmed.dropFirst()
            guard name.count <= 64, name.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }) else { return nil }
            return Use(shortcut: String(name), line: index)
        }
    }

    /// `text` with each use's line replaced by its expansion (uses without one stay as typed).
    public static func expand(_ text: String, with expansions: [String: String]) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for use in uses(in: text) {
            if let expansion = expansions[use.shortcut] { lines[use.line] = expansion }
        }
        return lines.joined(separator: "\n")
    }
}
