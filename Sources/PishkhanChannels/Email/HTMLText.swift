/// Converts HTML mail bodies to readable plain text with a single-pass byte tokenizer: scripts, styles,
/// head and comments removed; block elements become line breaks, `<li>` bullets, blockquotes `> ` quotes,
/// links `text (url)` when the URL differs from the text; entities decoded; whitespace collapsed.
/// Non-ASCII text (Persian, Arabic, RTL marks) passes through untouched.
public enum HTMLText {
    /// Converts HTML to text.
    public static func text(fromHTML html: String) -> String {
        var copy = html
        return copy.withUTF8 { convert($0) }
    }

    private enum BlockKind { case none, line, paragraph }

    /// Marker for whitespace inside `<pre>` that the final cleanup must keep (turned back into a space).
    static let preservedSpace: UInt8 = 0x01

    private static func blockKind(_ name: String) -> BlockKind {
        switch name {
        case "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre", "dl", "figure", "address", "hr":
            return .paragraph
        case "div", "li", "tr", "section", "article", "header", "footer", "nav", "aside", "main", "dt", "dd", "form",
             "fieldset", "center", "caption", "tbody", "thead", "tfoot", "body", "html", "legend", "details", "summary":
            return .line
        default:
            return .none
        }
    }

    /// Elements whose content is never shown.
    private static let hiddenContent: Set<String> = ["script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe", "xml"]

    /// Output accumulator with deferred whitespace and line breaks.
    private struct Output {
        var bytes: [UInt8] = []
        var pendingSpace = false
        var pendingNewlines = 0
        var quoteDepth = 0

        mutating func breakLines(_ count: Int) {
            if bytes.isEmpty { return }
            pendingNewlines = max(pendingNewlines, count)
            pendingSpace = false
        }

        mutating func lineBreak() {
            if bytes.isEmpty { return }
            pendingNewlines = min(pendingNewlines + 1, 2)
            pendingSpace = false
        }

        mutating func flushPending() {
            if pendingNewlines > 0 {
                for _ in 0..<pendingNewlines {
                    bytes.append(ASCII.lf)
                }
                for _ in 0..<quoteDepth { bytes.append(ASCII.greaterThan); bytes.append(ASCII.space) }
                pendingNewlines = 0
                pendingSpace = false
            } else if pendingSpace {
                if let last = bytes.last, last != ASCII.lf, last != ASCII.space { bytes.append(ASCII.space) }
                pendingSpace = false
            }
        }

        mutating func text<C: Collection<UInt8>>(_ t: C) {
            if bytes.isEmpty && quoteDepth > 0 {
                for _ in 0..<quoteDepth { bytes.append(ASCII.greaterThan); bytes.append(ASCII.space) }
            }
            flushPending()
            bytes.append(contentsOf: t)
        }
    }

    private static func convert(_ s: UnsafeBufferPointer<UInt8>) -> String {
        var out = Output()
        out.bytes.reserveCapacity(s.count / 2)
        let n = s.count
        var i = 0
        var preDepth = 0
        var links: [(href: [UInt8], start: Int)] = []
        var lists: [(ordered: Bool, counter: Int)] = []
        var headIsUnclosed = false  // avoids rescanning for a missing </head> (quadratic on hostile input)

        while i < n {
            let b = s[i]
            if b == ASCII.lessThan {
                // Comment, doctype, processing instruction.
                if i + 3 < n && s[i + 1] == 0x21 && s[i + 2] == ASCII.hyphen && s[i + 3] == ASCII.hyphen {
                    i = find(s, "-->", from: i + 4).map { $0 + 3 } ?? n
                    continue
                }
                if i + 1 < n && (s[i + 1] == 0x21 || s[i + 1] == ASCII.question) {
                    if i + 8 < n && startsWith(s, "<![cdata[", at: i) {
                        let end = find(s, "]]>", from: i + 9) ?? n
                        out.text(UnsafeBufferPointer(rebasing: s[(i + 9)..<end]))
                        i = min(n, end + 3)
                        continue
                    }
                    i = (indexOf(s, ASCII.greaterThan, from: i + 1) ?? (n - 1)) + 1
                    continue
                }
                guard let tag = parseTag(s, at: i) else {
                    out.text(CollectionOfOne(b))
                    i += 1
                    continue
                }
                i = tag.end
                let name = tag.name
                if !tag.closing && hiddenContent.contains(name) && !tag.selfClosing {
                    if name == "head" {
                        // Only skip a head that is closed or followed by a body; otherwise keep going.
                        if !headIsUnclosed {
                            if let close = findCaseInsensitive(s, "</head", from: i) ?? findCaseInsensitive(s, "<body", from: i) {
                                i = close
                            } else {
                                headIsUnclosed = true
                            }
                        }
                    } else {
                        let close = findCaseInsensitive(s, "</" + name, from: i) ?? n
                        i = close
                    }
                    continue
                }
                switch name {
                case "br":
                    out.lineBreak()
                case "li" where !tag.closing:
                    out.breakLines(1)
                    if var list = lists.last, list.ordered {
                        list.counter += 1
                        lists[lists.count - 1] = list
                        out.text(Array("\(list.counter). ".utf8))
                    } else {
                        out.text(Array("• ".utf8))
                    }
                    out.pendingSpace = false
                case "ul", "ol":
                    if tag.closing { if !lists.isEmpty { lists.removeLast() } }
                    else { lists.append((name == "ol", 0)) }
                    out.breakLines(lists.isEmpty ? 2 : 1)
                case "blockquote":
                    out.breakLines(2)
                    if tag.closing { out.quoteDepth = max(0, out.quoteDepth - 1) } else { out.quoteDepth += 1 }
                case "pre":
                    out.breakLines(2)
                    preDepth = max(0, preDepth + (tag.closing ? -1 : 1))
                case "td", "th":
                    if !out.bytes.isEmpty && out.pendingNewlines == 0 { out.pendingSpace = true }
                case "a":
                    if tag.closing {
                        if let link = links.popLast() { appendLinkTarget(link.href, textStart: link.start, &out) }
                    } else if !tag.selfClosing {
                        out.flushPending()
                        links.append((tag.href ?? [], out.bytes.count))
                    }
                case "img":
                    break
                default:
                    switch blockKind(name) {
                    case .paragraph: out.breakLines(2)
                    case .line: out.breakLines(1)
                    case .none: break
                    }
                }
                continue
            }
            if b == 0x26, let ref = HTMLEntities.decode(s, at: i) {
                // &nbsp; and friends decode to plain space and collapse like it.
                if ref.scalar == " " && preDepth == 0 {
                    out.pendingSpace = true
                } else {
                    out.text(Array(String(Character(ref.scalar)).utf8))
                }
                i = ref.end
                continue
            }
            if b < 0x09 || (b > 0x0D && b < 0x20) {
                i += 1  // control bytes are dropped (0x01 is used internally for preserved spaces)
                continue
            }
            if preDepth > 0 {
                if b == ASCII.cr { i += 1; continue }
                if b == ASCII.lf { out.text(CollectionOfOne(ASCII.lf)); i += 1; continue }
                // Spaces inside <pre> are marked so the final cleanup keeps them.
                out.text(CollectionOfOne(b == ASCII.space || b == ASCII.tab ? HTMLText.preservedSpace : b))
                i += 1
                continue
            }
            if ASCII.isWhitespace(b) || b == 0x0C {
                out.pendingSpace = true
                i += 1
                continue
            }
            // Run of ordinary text bytes.
            var j = i + 1
            while j < n {
                let c = s[j]
                if c == ASCII.lessThan || c == 0x26 || ASCII.isWhitespace(c) || c == 0x0C { break }
                j += 1
            }
            out.text(UnsafeBufferPointer(rebasing: s[i..<j]))
            i = j
        }
        return finish(out.bytes)
    }

    /// Appends ` (url)` after link text unless the text already shows the URL.
    private static func appendLinkTarget(_ hrefRaw: [UInt8], textStart: Int, _ out: inout Output) {
        let href = Array(ASCII.trimmed(decodeEntities(hrefRaw)[...]))
        guard !href.isEmpty, href.first != 0x23 else { return }  // empty or "#anchor"
        if ASCII.hasPrefixIgnoringCase(href, "javascript:") { return }
        // Copy the link text out first: holding a slice of `out.bytes` while appending would copy the buffer.
        let textString = textStart <= out.bytes.count ? String(decoding: ASCII.trimmed(out.bytes[textStart...]), as: UTF8.self) : ""
        if textString.isEmpty { out.text(href); return }
        if linkTextShowsTarget(textString, String(decoding: href, as: UTF8.self)) { return }
        out.text(Array(" (".utf8) + href + [ASCII.closeParen])
    }

    private static func linkTextShowsTarget(_ text: String, _ href: String) -> Bool {
        let lowerHref = href.lowercased()
        var variants: Set<String> = [lowerHref]
        for prefix in ["mailto:", "tel:", "http://", "https://"] where lowerHref.hasPrefix(prefix) {
            variants.insert(String(lowerHref.dropFirst(prefix.count)))
        }
        for v in Array(variants) where v.hasSuffix("/") { variants.insert(String(v.dropLast())) }
        let t = text.lowercased()
        return variants.contains(t) || variants.contains(t.hasSuffix("/") ? String(t.dropLast()) : t)
    }

    private static func decodeEntities(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(0x26) else { return bytes }
        return bytes.withUnsafeBufferPointer { s in
            var out = [UInt8]()
            var i = 0
            while i < s.count {
                if s[i] == 0x26, let ref = HTMLEntities.decode(s, at: i) {
                    out += Array(String(Character(ref.scalar)).utf8)
                    i = ref.end
                } else {
                    out.append(s[i]); i += 1
                }
            }
            return out
        }
    }

    /// Final cleanup: trailing spaces per line, at most one blank line in a row, trimmed ends.
    private static func finish(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var newlines = 0
        var lineStart = true
        var pendingSpaces: [UInt8] = []
        for b in bytes {
            if b == ASCII.lf {
                pendingSpaces.removeAll(keepingCapacity: true)
                newlines += 1
                lineStart = true
                continue
            }
            if b == ASCII.space || b == ASCII.tab {
                if !lineStart || newlines == 0 { pendingSpaces.append(b) }
                continue
            }
            if newlines > 0 {
                if !out.isEmpty { out.append(contentsOf: repeatElement(ASCII.lf, count: min(newlines, 2))) }
                newlines = 0
                pendingSpaces.removeAll(keepingCapacity: true)
            } else if !pendingSpaces.isEmpty && !out.isEmpty {
                out += pendingSpaces
            }
            pendingSpaces.removeAll(keepingCapacity: true)
            lineStart = false
            out.append(b == preservedSpace ? ASCII.space : b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Tag parsing

    private struct Tag {
        var name: String
        var closing: Bool
        var selfClosing: Bool
        var href: [UInt8]?
        var end: Int
    }

    /// Parses `<name attr=...>` / `</name>` at `start`; nil if this `<` does not open a tag (literal text).
    private static func parseTag(_ s: UnsafeBufferPointer<UInt8>, at start: Int) -> Tag? {
        let n = s.count
        var i = start + 1
        var closing = false
        if i < n && s[i] == ASCII.slash { closing = true; i += 1 }
        let nameStart = i
        while i < n && (ASCII.isAlnum(s[i]) || s[i] == ASCII.hyphen || s[i] == ASCII.colon || s[i] == ASCII.underscore) { i += 1 }
        guard i > nameStart, ASCII.isAlnum(s[nameStart]) else { return nil }
        let name = ASCII.lowercasedString(UnsafeBufferPointer(rebasing: s[nameStart..<i]))
        var href: [UInt8]?
        var selfClosing = false
        // Attributes, honouring quotes so `>` inside values does not end the tag.
        while i < n {
            let c = s[i]
            if c == ASCII.greaterThan { i += 1; break }
            if c == ASCII.slash { selfClosing = true; i += 1; continue }
            if ASCII.isWhitespace(c) { i += 1; continue }
            let attrStart = i
            while i < n {
                let d = s[i]
                if d == ASCII.equals || d == ASCII.greaterThan || ASCII.isWhitespace(d) || d == ASCII.slash { break }
                i += 1
            }
            let attrName = UnsafeBufferPointer(rebasing: s[attrStart..<i])
            if i == attrStart { i += 1; continue }
            while i < n && ASCII.isWhitespace(s[i]) { i += 1 }
            var value: UnsafeBufferPointer<UInt8>?
            if i < n && s[i] == ASCII.equals {
                i += 1
                while i < n && ASCII.isWhitespace(s[i]) { i += 1 }
                if i < n && (s[i] == ASCII.quote || s[i] == ASCII.apostrophe) {
                    let q = s[i]
                    let vStart = i + 1
                    let vEnd = indexOf(s, q, from: vStart) ?? n
                    value = UnsafeBufferPointer(rebasing: s[vStart..<vEnd])
                    i = min(n, vEnd + 1)
                } else {
                    let vStart = i
                    while i < n && !ASCII.isWhitespace(s[i]) && s[i] != ASCII.greaterThan { i += 1 }
                    value = UnsafeBufferPointer(rebasing: s[vStart..<i])
                }
            }
            if name == "a", let v = value, ASCII.equalsIgnoringCase(attrName, "href") { href = Array(v) }
            selfClosing = false
        }
        return Tag(name: name, closing: closing, selfClosing: selfClosing, href: href, end: i)
    }

    private static func indexOf(_ s: UnsafeBufferPointer<UInt8>, _ byte: UInt8, from: Int) -> Int? {
        var i = from
        while i < s.count { if s[i] == byte { return i }; i += 1 }
        return nil
    }

    private static func startsWith(_ s: UnsafeBufferPointer<UInt8>, _ lowercaseLiteral: String, at: Int) -> Bool {
        let lit = Array(lowercaseLiteral.utf8)
        guard at + lit.count <= s.count else { return false }
        for k in 0..<lit.count where ASCII.lower(s[at + k]) != lit[k] { return false }
        return true
    }

    private static func find(_ s: UnsafeBufferPointer<UInt8>, _ literal: String, from: Int) -> Int? {
        findCaseInsensitive(s, literal, from: from)
    }

    /// Linear search for an ASCII literal, case-insensitive.
    private static func findCaseInsensitive(_ s: UnsafeBufferPointer<UInt8>, _ lowercaseLiteral: String, from: Int) -> Int? {
        let lit = Array(lowercaseLiteral.utf8)
        guard let first = lit.first, from < s.count else { return nil }
        var i = from
        let last = s.count - lit.count
        while i <= last {
            if ASCII.lower(s[i]) == first {
                var k = 1
                while k < lit.count && ASCII.lower(s[i + k]) == lit[k] { k += 1 }
                if k == lit.count { return i }
            }
            i += 1
        }
        return nil
    }
}
