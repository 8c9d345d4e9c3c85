import Foundation
import Mustache
import PishkhanCore

/// A canned response's body compiled as a Mustache template.
///
/// Templates are plain text (the same reply may go out by email, SMS, chat or Telegram), so they are
/// rendered without escaping; the email's HTML part is made from the rendered text afterwards, with
/// everything escaped, so a customer's name like `<script>` reaches the mail as text. Values that are
/// missing or empty are left out of scope, so `{{#customer.name}}…{{/customer.name}}` shows its text
/// only when there is a name (Mustache itself treats an empty string as present).
public struct ReplyTemplate: Sendable {
    private let template: MustacheTemplate

    public init(_ body: String) throws(ValidationError) {
        do {
            template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + body)
        } catch {
            throw ValidationError(field: "body", reason: "is not a valid Mustache template (\(error))")
        }
    }

    public func render(_ scope: ReplyScope) -> String {
        template.render(scope.mustacheObject).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// What a canned response may refer to: `customer`, `ticket`, `agent` and `article`, each a set of
/// string fields (see KnowledgeBase/canned/README.md for the names).
public struct ReplyScope: Sendable, Equatable {
    public var customer: [String: String]
    public var ticket: [String: String]
    public var agent: [String: String]
    public var article: [String: String]

    public init(customer: [String: String] = [:], ticket: [String: String] = [:], agent: [String: String] = [:],
                article: [String: String] = [:]) {
        self.customer = customer
        self.ticket = ticket
        self.agent = agent
        self.article = article
    }

    var mustacheObject: [String: Any] {
        func present(_ fields: [String: String]) -> [String: Any]? {
            let kept = fields.filter { !$0.value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            return kept.isEmpty ? nil : kept
        }
        var object: [String: Any] = [:]
        object["customer"] = present(customer)
        object["ticket"] = present(ticket)
        object["agent"] = present(agent)
        object["article"] = present(article)
        return object
    }
}

/// The HTML part of an email made from a rendered plain-text reply (and the public help pages made from
/// articles): every character escaped, blank lines separating paragraphs, single line breaks kept, runs
/// of `- ` / `* ` lines as a list, `#` headings, and http(s) links made clickable. The direction follows the text (`dir="auto"`), so Persian replies read right
/// to left in mail clients.
public enum ReplyHTML {
    public static func make(fromText text: String) -> String {
        var blocks: [String] = []
        for paragraph in paragraphs(text) {
            let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.count == 1, let heading = headingText(lines[0]) {
                blocks.append("<h3>\(inline(heading))</h3>")
            } else if lines.allSatisfy({ isListItem($0) }) {
                let items = lines.map { "<li>\(inline(String($0.trimmingCharacters(in: .whitespaces).dropFirst(2))))</li>" }
                blocks.append("<ul>\(items.joined())</ul>")
            } else {
                blocks.append("<p>\(lines.map(inline).joined(separator: "<br>\n"))</p>")
            }
        }
        return "<div dir=\"auto\">\n\(blocks.joined(separator: "\n"))\n</div>"
    }

    static func paragraphs(_ text: String) -> [String] {
        var result: [String] = []
        var current: [Substring] = []
        for line in text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if !current.isEmpty { result.append(current.joined(separator: "\n")) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { result.append(current.joined(separator: "\n")) }
        return result
    }

    /// `# Title` … `###### Title` (Markdown headings in articles).
    static func headingText(_ line: String) -> String? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return line.dropFirst(hashes + 1).trimmingCharacters(in: .whitespaces)
    }

    static func isListItem(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ")
    }

    /// Escapes a line and links its URLs.
    static func inline(_ line: String) -> String {
        var out = ""
        var rest = Substring(line)
        while let range = rest.range(of: "https?://[^\\s<>\"]+", options: [.regularExpression, .caseInsensitive]) {
            out += escape(rest[..<range.lowerBound])
            var url = rest[range]
            // Sentence punctuation after a link is not part of it.
            while let last = url.last, ".,;:!?)»،؛".contains(last) { url = url.dropLast() }
            let escaped = escape(url)
            out += "<a href=\"\(escaped)\">\(escaped)</a>"
            rest = rest[url.endIndex...]
        }
        return out + escape(rest)
    }

    public static func escape(_ text: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars { appendEscaped(scalar, to: &out) }
        return out
    }

    /// One character of text in HTML: `& < > " '` as entities, everything else as is. Snippets use it too.
    @inline(__always)
    static func appendEscaped(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(scalar)
        }
    }
}
