/// Cursor over a structured header value (RFC 5322 §3.2: CFWS, quoted strings, comments) used
/// to read MIME parameters without allocating per character.
struct HeaderScanner {
    let bytes: ArraySlice<UInt8>
    var pos: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.pos = bytes.startIndex
    }

    var atEnd: Bool { pos >= bytes.endIndex }

    /// Skips whitespace and (nested) comments.
    mutating func skipCFWS() {
        while pos < bytes.endIndex {
            let b = bytes[pos]
            if ASCII.isWhitespace(b) { pos += 1 }
            else if b == ASCII.openParen { skipComment() }
            else { return }
        }
    }

    /// Skips a comment starting at `(`, honouring nesting and quoted-pairs; unterminated runs to the end.
    mutating func skipComment() {
        var depth = 0
        while pos < bytes.endIndex {
            let b = bytes[pos]
            pos += 1
            if b == ASCII.backslash { pos += 1; continue }
            if b == ASCII.openParen { depth += 1 }
            else if b == ASCII.closeParen { depth -= 1; if depth == 0 { return } }
        }
        pos = min(pos, bytes.endIndex)
    }

    /// Reads a quoted string starting at `"`, returning its unescaped content; unterminated runs to the end.
    mutating func readQuotedString() -> [UInt8] {
        var out = [UInt8]()
        pos += 1
        while pos < bytes.endIndex {
            let b = bytes[pos]
            if b == ASCII.backslash, pos + 1 < bytes.endIndex {
                out.append(bytes[pos + 1]); pos += 2; continue
            }
            pos += 1
            if b == ASCII.quote { return out }
            if b == ASCII.cr || b == ASCII.lf { continue }
            out.append(b)
        }
        return out
    }

    /// The value before the first `;`, lowercased, with comments and whitespace removed (`Text/Plain (x)` → `text/plain`).
    mutating func readMainValue() -> String {
        var out = [UInt8]()
        skipCFWS()
        while pos < bytes.endIndex {
            let b = bytes[pos]
            if b == ASCII.semicolon { break }
            if b == ASCII.openParen { skipComment(); continue }
            if b == ASCII.quote { out += readQuotedString().map(ASCII.lower); continue }
            if !ASCII.isWhitespace(b) { out.append(ASCII.lower(b)) }
            pos += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Moves past the next `;` (skipping quoted strings and comments); false at the end.
    mutating func skipToParameter() -> Bool {
        while pos < bytes.endIndex {
            let b = bytes[pos]
            if b == ASCII.semicolon {
                pos += 1
                skipCFWS()
                if pos < bytes.endIndex && bytes[pos] == ASCII.semicolon { continue }
                return pos < bytes.endIndex
            }
            if b == ASCII.quote { _ = readQuotedString(); continue }
            if b == ASCII.openParen { skipComment(); continue }
            pos += 1
        }
        return false
    }

    /// Reads `name = value` at the cursor. The value is a quoted string or everything up to the next `;`
    /// (lenient: unquoted values with spaces, as broken mailers send `filename=my file.pdf`).
    mutating func readParameter() -> (name: ArraySlice<UInt8>, value: [UInt8], quoted: Bool)? {
        skipCFWS()
        let nameStart = pos
        while pos < bytes.endIndex {
            let b = bytes[pos]
            if b == ASCII.equals || b == ASCII.semicolon || ASCII.isWhitespace(b) || b == ASCII.openParen { break }
            pos += 1
        }
        let name = bytes[nameStart..<pos]
        skipCFWS()
        guard pos < bytes.endIndex, bytes[pos] == ASCII.equals else { return nil }
        pos += 1
        skipCFWS()
        if pos < bytes.endIndex && bytes[pos] == ASCII.quote {
            return (name, readQuotedString(), true)
        }
        let valueStart = pos
        while pos < bytes.endIndex && bytes[pos] != ASCII.semicolon {
            if bytes[pos] == ASCII.quote { break }
            pos += 1
        }
        var value = ASCII.trimmed(bytes[valueStart..<pos])
        // Drop a trailing comment: `charset=us-ascii (Plain text)`.
        if value.last == ASCII.closeParen, let open = value.lastIndex(of: ASCII.openParen), open > value.startIndex,
           ASCII.isWSP(value[open - 1]) {
            value = ASCII.trimmed(value[value.startIndex..<open])
        }
        return (name, Array(value), false)
    }
}
