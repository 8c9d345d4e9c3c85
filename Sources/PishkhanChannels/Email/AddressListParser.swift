/// Parses address headers (RFC 5322 §3.4: mailbox-list, address-list with groups) on bytes.
/// Lenient: unquoted commas inside encoded words, missing brackets, comments as display names,
/// unterminated quotes and brackets are all tolerated.
public enum AddressListParser {
    private enum Token {
        case atom(ArraySlice<UInt8>)
        case quoted([UInt8])
        case comment(ArraySlice<UInt8>)
        case special(UInt8)
    }

    private struct Item {
        var token: Token
        var spaceBefore: Bool
    }

    /// Upper bound on addresses read from one header, against hostile input.
    static let maxAddresses = 2000

    /// Parses all mailboxes of an address header value (group names are dropped, members kept).
    public static func parse(_ value: ArraySlice<UInt8>, fallback: Charset? = nil) -> [EmailAddress] {
        let items = tokenize(value)
        var result: [EmailAddress] = []
        var phrase: [Item] = []
        var angle: [UInt8] = []
        var inAngle = false
        var haveAngle = false

        func finish() {
            defer { phrase.removeAll(); angle.removeAll(); inAngle = false; haveAngle = false }
            guard result.count < maxAddresses else { return }
            if haveAngle || inAngle {
                let address = String(decoding: angle, as: UTF8.self)
                guard !address.isEmpty else { return }
                result.append(EmailAddress(address: address, displayName: displayName(phrase, fallback: fallback)))
                return
            }
            // Bare addr-spec, possibly with a comment holding the name: `john@x.org (John Doe)`.
            var spec: [UInt8] = []
            var comment: ArraySlice<UInt8>?
            var words = 0
            for item in phrase {
                switch item.token {
                case .atom(let a):
                    if item.spaceBefore && !spec.isEmpty && spec.last != ASCII.at && a.first != ASCII.at && a.first != 0x2E && spec.last != 0x2E { words += 1 }
                    spec += a
                case .quoted(let q): spec.append(ASCII.quote); spec += q; spec.append(ASCII.quote)
                case .comment(let c): if comment == nil { comment = c }
                case .special: break
                }
            }
            guard !spec.isEmpty else { return }
            // Several words without '@' is a name without an address: drop it.
            if words > 0 && !spec.contains(ASCII.at) { return }
            let name = comment.flatMap { c -> String? in
                let s = clean(EncodedWords.decode(c, fallback: fallback))
                return s.isEmpty ? nil : s
            }
            result.append(EmailAddress(address: String(decoding: spec, as: UTF8.self), displayName: name))
        }

        for item in items {
            if inAngle {
                switch item.token {
                case .special(ASCII.greaterThan): inAngle = false; haveAngle = true
                case .atom(let a): angle += a
                case .quoted(let q): angle.append(ASCII.quote); angle += q; angle.append(ASCII.quote)
                case .special(ASCII.lessThan): angle.removeAll()  // `<<a@b>>`
                case .special(let s) where s == ASCII.comma && angle.contains(ASCII.at):
                    // Unterminated bracket followed by the next address.
                    finish()
                default: break
                }
                continue
            }
            switch item.token {
            case .special(ASCII.lessThan):
                inAngle = true
                angle.removeAll()
            case .special(ASCII.comma):
                finish()
            case .special(ASCII.colon):
                // Group: `name: a@b, c@d;` — the group name is not a mailbox.
                if !haveAngle { phrase.removeAll() }
            case .special(ASCII.semicolon):
                finish()
            case .special(ASCII.greaterThan):
                break
            default:
                if haveAngle {
                    // Text after `<addr>` is ignored, except a comment already handled as name fallback.
                    continue
                }
                phrase.append(item)
            }
        }
        finish()
        return result
    }

    /// Parses a String address header value.
    public static func parse(_ value: String, fallback: Charset? = nil) -> [EmailAddress] {
        parse(Array(value.utf8)[...], fallback: fallback)
    }

    /// Builds the display name from phrase words: quoted strings unescaped, words joined as written,
    /// then RFC 2047 words decoded (also inside quotes, as real mail requires).
    private static func displayName(_ phrase: [Item], fallback: Charset?) -> String? {
        var bytes: [UInt8] = []
        var comment: ArraySlice<UInt8>?
        for item in phrase {
            switch item.token {
            case .atom(let a):
                if item.spaceBefore && !bytes.isEmpty { bytes.append(ASCII.space) }
                bytes += a
            case .quoted(let q):
                if item.spaceBefore && !bytes.isEmpty { bytes.append(ASCII.space) }
                bytes += q
            case .comment(let c):
                if comment == nil { comment = c }
            case .special(let s):
                bytes.append(s)
            }
        }
        var name = clean(EncodedWords.decode(bytes[...], fallback: fallback))
        if name.isEmpty, let c = comment { name = clean(EncodedWords.decode(c, fallback: fallback)) }
        return name.isEmpty ? nil : name
    }

    /// Trims whitespace and stray surrounding quotes (`'John Doe'`, `"John"` left by broken quoting).
    private static func clean(_ s: String) -> String {
        var t = Substring(s)
        while let f = t.first, f.isWhitespace { t = t.dropFirst() }
        while let l = t.last, l.isWhitespace { t = t.dropLast() }
        while t.count >= 2, let f = t.first, let l = t.last, (f == "'" && l == "'") || (f == "\"" && l == "\"") {
            t = t.dropFirst().dropLast()
        }
        return String(t)
    }

    private static func tokenize(_ value: ArraySlice<UInt8>) -> [Item] {
        var items: [Item] = []
        var scanner = HeaderScanner(value)
        var space = false
        while scanner.pos < value.endIndex {
            let b = value[scanner.pos]
            if ASCII.isWhitespace(b) {
                space = true
                scanner.pos += 1
                continue
            }
            switch b {
            case ASCII.quote:
                items.append(Item(token: .quoted(scanner.readQuotedString()), spaceBefore: space))
            case ASCII.openParen:
                let start = scanner.pos
                scanner.skipComment()
                var inner = value[(start + 1)..<scanner.pos]
                if inner.last == ASCII.closeParen { inner = inner.dropLast() }
                items.append(Item(token: .comment(inner), spaceBefore: space))
            case ASCII.lessThan, ASCII.greaterThan, ASCII.comma, ASCII.colon, ASCII.semicolon:
                items.append(Item(token: .special(b), spaceBefore: space))
                scanner.pos += 1
            default:
                let start = scanner.pos
                // An encoded word may legally contain no specials, but broken ones carry commas or colons; keep them whole.
                if b == ASCII.equals, scanner.pos + 1 < value.endIndex, value[scanner.pos + 1] == ASCII.question,
                   let end = encodedWordEnd(value, from: scanner.pos) {
                    scanner.pos = end
                } else {
                    while scanner.pos < value.endIndex {
                        let c = value[scanner.pos]
                        if ASCII.isWhitespace(c) || c == ASCII.quote || c == ASCII.openParen || c == ASCII.lessThan
                            || c == ASCII.greaterThan || c == ASCII.comma || c == ASCII.colon || c == ASCII.semicolon { break }
                        scanner.pos += 1
                    }
                }
                items.append(Item(token: .atom(value[start..<scanner.pos]), spaceBefore: space))
            }
            space = false
        }
        return items
    }

    /// End of an encoded word `=?cs?X?text?=` starting at `from` (within 256 bytes, no whitespace), or nil.
    private static func encodedWordEnd(_ value: ArraySlice<UInt8>, from: Int) -> Int? {
        var questionMarks = 0
        var i = from + 2
        let limit = min(value.endIndex, from + 256)
        while i < limit {
            let c = value[i]
            if ASCII.isWhitespace(c) { return nil }
            if c == ASCII.question {
                questionMarks += 1
                if questionMarks >= 3 && i + 1 < value.endIndex && value[i + 1] == ASCII.equals { return i + 2 }
            }
            i += 1
        }
        return nil
    }
}
