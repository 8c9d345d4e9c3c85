/// Writes header fields for the composer: RFC 2047 encoding of non-ASCII text and display names,
/// folding at whitespace so lines stay within 78 characters (RFC 5322 §2.1.1), CRLF line endings.
/// CR and LF in caller-supplied values are replaced by spaces (no header injection).
enum HeaderWriter {
    static let maxLineLength = 78

    /// One unbreakable piece of a header value, preceded by the whitespace where a fold may go.
    struct Token {
        var separator: String
        var text: String
    }

    /// Folds tokens after `Name: ` so that lines stay within 78 characters where possible.
    static func fold(name: String, tokens: [Token]) -> [UInt8] {
        var out = Array(name.utf8)
        out += [ASCII.colon]
        var lineLength = out.count
        for (index, token) in tokens.enumerated() {
            var separator = token.separator
            if index == 0 && separator.isEmpty { separator = " " }
            let width = separator.utf8.count + token.text.utf8.count
            if lineLength + width > maxLineLength && lineLength > name.utf8.count + 1 && !separator.isEmpty {
                out += [ASCII.cr, ASCII.lf]
                lineLength = 0
            }
            out += Array(separator.utf8)
            out += Array(token.text.utf8)
            lineLength += width
        }
        out += [ASCII.cr, ASCII.lf]
        return out
    }

    /// Unstructured text (Subject, extra headers): ASCII words stay as they are, runs of words that need
    /// encoding become UTF-8 encoded words (RFC 2047 §5(1)) sized so the first one fits the first line.
    static func unstructured(name: String, value: String) -> [UInt8] {
        fold(name: name, tokens: unstructuredTokens(value: sanitize(value), firstLinePrefix: name.utf8.count + 2))
    }

    static func unstructuredTokens(value: String, firstLinePrefix: Int) -> [Token] {
        // Split into (whitespace, word) pairs, keeping the exact whitespace.
        var words: [(space: String, word: String)] = []
        var space = ""
        var word = ""
        for ch in value {
            if ch == " " || ch == "\t" {
                if !word.isEmpty { words.append((space, word)); space = ""; word = "" }
                space.append(ch)
            } else {
                word.append(ch)
            }
        }
        if !word.isEmpty || !space.isEmpty { words.append((space, word)) }

        var tokens: [Token] = []
        var i = 0
        while i < words.count {
            if !needsEncoding(words[i].word) {
                tokens.append(Token(separator: words[i].space, text: words[i].word))
                i += 1
                continue
            }
            // A run of words needing encoding, whitespace between them encoded too (it would otherwise be dropped).
            var run = words[i].word
            let leading = words[i].space
            var j = i + 1
            while j < words.count && needsEncoding(words[j].word) {
                run += words[j].space + words[j].word
                j += 1
            }
            let firstLimit = tokens.isEmpty ? maxLineLength - firstLinePrefix : EncodedWords.maxWordLength
            let encoded = EncodedWords.encode(run, phrase: false, firstLimit: min(EncodedWords.maxWordLength, firstLimit))
            for (k, w) in encoded.enumerated() {
                tokens.append(Token(separator: k == 0 ? (leading.isEmpty && !tokens.isEmpty ? " " : leading) : " ", text: w))
            }
            i = j
        }
        return tokens
    }

    /// Address list header (From, To, Cc, Reply-To): `Name <addr>, ...`, names quoted or encoded as needed.
    static func addresses(name: String, _ list: [EmailAddress]) -> [UInt8] {
        var tokens: [Token] = []
        for (index, mailbox) in list.enumerated() {
            var mailboxTokens: [Token] = []
            if let display = mailbox.displayName.map(sanitize), !display.isEmpty {
                if !ASCII.isASCII(display.utf8) || display.contains("=?") {
                    let firstLimit = tokens.isEmpty ? maxLineLength - (name.utf8.count + 2) : EncodedWords.maxWordLength
                    for w in EncodedWords.encode(display, phrase: true, firstLimit: min(EncodedWords.maxWordLength, firstLimit)) {
                        mailboxTokens.append(Token(separator: " ", text: w))
                    }
                } else if display.utf8.allSatisfy(isAtextOrSpace) {
                    for part in display.split(separator: " ") { mailboxTokens.append(Token(separator: " ", text: String(part))) }
                } else {
                    mailboxTokens.append(Token(separator: " ", text: quoted(display)))
                }
            }
            mailboxTokens.append(Token(separator: " ", text: "<" + sanitizeAddress(mailbox.address) + ">"))
            if index < list.count - 1 { mailboxTokens[mailboxTokens.count - 1].text += "," }
            tokens += mailboxTokens
        }
        return fold(name: name, tokens: tokens)
    }

    /// Message identifier list (Message-ID, In-Reply-To, References): `<id> <id>`.
    static func identifiers(name: String, _ ids: [String]) -> [UInt8] {
        fold(name: name, tokens: ids.map { Token(separator: " ", text: bracketed($0)) })
    }

    /// `<id>` from an id given with or without brackets; whitespace, CR and LF removed.
    static func bracketed(_ id: String) -> String {
        var core = id.filter { !$0.isWhitespace && $0 != "<" && $0 != ">" }
        if core.isEmpty { core = "invalid@localhost" }
        return "<" + core + ">"
    }

    /// True for a valid RFC 5322 field name (printable ASCII except colon).
    static func isValidFieldName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E && $0 != ASCII.colon }
    }

    private static func needsEncoding(_ word: String) -> Bool {
        if word.contains("=?") { return true }
        for b in word.utf8 where b >= 0x7F || b < 0x20 { return true }
        return false
    }

    /// RFC 5322 atext plus space: such a display name needs no quoting.
    private static func isAtextOrSpace(_ b: UInt8) -> Bool {
        if ASCII.isAlnum(b) || b == ASCII.space { return true }
        return "!#$%&'*+-/=?^_`{|}~".utf8.contains(b)
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for ch in s {
            if ch == "\"" || ch == "\\" { out.append("\\") }
            out.append(ch)
        }
        return out + "\""
    }

    /// Replaces CR, LF and other controls by spaces so caller text cannot start a new header line.
    static func sanitize(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F ? " " : $0 }))
    }

    private static func sanitizeAddress(_ s: String) -> String {
        s.filter { !$0.isWhitespace && $0 != "<" && $0 != ">" && $0 != "," }
    }
}
