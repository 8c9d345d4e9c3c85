/// Message identifiers (RFC 5322 §3.6.4) from Message-ID, In-Reply-To, References and Content-ID,
/// returned without angle brackets. Tolerates comments, missing brackets and junk between ids.
public enum MessageIDList {
    /// Parses identifiers from a header value; with no `<...>` at all, whitespace/comma separated tokens are used.
    public static func parse(_ value: ArraySlice<UInt8>) -> [String] {
        var ids: [String] = []
        var scanner = HeaderScanner(value)
        var sawBracket = false
        var looseTokens: [ArraySlice<UInt8>] = []
        var tokenStart: Int?
        func endToken(_ at: Int) {
            if let s = tokenStart, s < at { looseTokens.append(value[s..<at]) }
            tokenStart = nil
        }
        while scanner.pos < value.endIndex {
            let b = value[scanner.pos]
            if b == ASCII.lessThan {
                endToken(scanner.pos)
                sawBracket = true
                let start = scanner.pos + 1
                var i = start
                while i < value.endIndex && value[i] != ASCII.greaterThan && value[i] != ASCII.lessThan { i += 1 }
                let id = clean(value[start..<i])
                if !id.isEmpty { ids.append(id) }
                scanner.pos = (i < value.endIndex && value[i] == ASCII.greaterThan) ? i + 1 : i
            } else if b == ASCII.openParen {
                endToken(scanner.pos)
                scanner.skipComment()
            } else if ASCII.isWhitespace(b) || b == ASCII.comma {
                endToken(scanner.pos)
                scanner.pos += 1
            } else {
                if tokenStart == nil { tokenStart = scanner.pos }
                scanner.pos += 1
            }
        }
        endToken(value.endIndex)
        if !sawBracket {
            // Broken mailers omit brackets; keep tokens that look like ids (contain '@').
            for token in looseTokens where token.contains(ASCII.at) {
                let id = clean(token)
                if !id.isEmpty { ids.append(id) }
            }
        }
        return ids
    }

    /// Parses identifiers from a String.
    public static func parse(_ value: String) -> [String] {
        parse(Array(value.utf8)[...])
    }

    /// Removes whitespace inside an id (ids folded across lines).
    private static func clean(_ s: ArraySlice<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(s.count)
        for b in s where !ASCII.isWhitespace(b) { out.append(b) }
        return String(decoding: out, as: UTF8.self)
    }
}
