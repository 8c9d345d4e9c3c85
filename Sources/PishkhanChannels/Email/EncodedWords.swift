/// RFC 2047 encoded words: decoding of header text (`=?charset?B|Q?...?=`) and encoding for the composer.
public enum EncodedWords {
    /// A decoded piece of header text before charset conversion.
    private enum Segment {
        case raw(ArraySlice<UInt8>)
        case encoded(charset: String, bytes: [UInt8])
    }

    /// Longest encoded word accepted when decoding; RFC 2047 §2 says 75, real mail exceeds it.
    private static let maxDecodedWordLength = 2048

    // MARK: Decoding

    /// Decodes header text: encoded words (B and Q, any charset, several per header) are decoded;
    /// adjacent words with the same charset are joined at the byte level first (RFC 2047 §6.2 forbids
    /// splitting characters, but real mailers do); whitespace between adjacent encoded words is dropped
    /// (RFC 2047 §6.2); malformed words stay as written; raw 8-bit text is read as UTF-8 (RFC 6532),
    /// else as `fallback`, else Windows-1252.
    public static func decode(_ text: ArraySlice<UInt8>, fallback: Charset? = nil) -> String {
        // Fast path: nothing that could start an encoded word.
        if !containsEncodedWordStart(text) {
            return decodeRaw(text, fallback: fallback)
        }
        var segments: [Segment] = []
        var rawStart = text.startIndex
        var i = text.startIndex
        let end = text.endIndex
        while i + 1 < end {
            if text[i] == ASCII.equals && text[i + 1] == ASCII.question,
               let word = parseWord(text, at: i) {
                if rawStart < i { segments.append(.raw(text[rawStart..<i])) }
                // RFC 2047 §6.2: linear whitespace between adjacent encoded words is ignored.
                if segments.count >= 2, case .raw(let ws) = segments[segments.count - 1], isAllWhitespace(ws),
                   case .encoded = segments[segments.count - 2] {
                    segments.removeLast()
                }
                // Join with the previous word when it has the same charset, so split multibyte characters survive.
                if case .encoded(let cs, let bytes) = segments.last, sameCharset(cs, word.charset) {
                    segments[segments.count - 1] = .encoded(charset: cs, bytes: bytes + word.bytes)
                } else {
                    segments.append(.encoded(charset: word.charset, bytes: word.bytes))
                }
                i = word.end
                rawStart = i
            } else {
                i += 1
            }
        }
        if rawStart < end { segments.append(.raw(text[rawStart..<end])) }

        var result = ""
        for segment in segments {
            switch segment {
            case .raw(let bytes): result += decodeRaw(bytes, fallback: fallback)
            case .encoded(let cs, let bytes): result += Charset(label: cs).decode(bytes)
            }
        }
        return result
    }

    /// Decodes a String that may contain encoded words (convenience for already-extracted text).
    public static func decode(_ text: String, fallback: Charset? = nil) -> String {
        decode(Array(text.utf8)[...], fallback: fallback)
    }

    /// Raw (not encoded-word) header bytes: UTF-8 if valid, else the fallback charset, else Windows-1252.
    static func decodeRaw(_ bytes: ArraySlice<UInt8>, fallback: Charset?) -> String {
        bytes.withUnsafeBufferPointer { buf in
            if let s = String(validating: buf, as: UTF8.self) { return s }
            if let fb = fallback, !fb.isUnicodeOrASCII { return fb.decode(buffer: buf) }
            return Charset.decodeWindows1252(buf)
        }
    }

    private static func containsEncodedWordStart(_ text: ArraySlice<UInt8>) -> Bool {
        var i = text.startIndex
        while i + 1 < text.endIndex {
            if text[i] == ASCII.equals && text[i + 1] == ASCII.question { return true }
            i += 1
        }
        return false
    }

    private static func isAllWhitespace(_ s: ArraySlice<UInt8>) -> Bool {
        s.allSatisfy { ASCII.isWhitespace($0) }
    }

    private static func sameCharset(_ a: String, _ b: String) -> Bool {
        a == b || Charset(label: a) == Charset(label: b)
    }

    /// Parses `=?charset?enc?text?=` starting at `start`; nil when malformed (the text is then kept as is).
    private static func parseWord(_ text: ArraySlice<UInt8>, at start: Int) -> (charset: String, bytes: [UInt8], end: Int)? {
        let end = min(text.endIndex, start + maxDecodedWordLength)
        var i = start + 2
        let charsetStart = i
        while i < end, text[i] != ASCII.question {
            let b = text[i]
            if ASCII.isWhitespace(b) || b == ASCII.equals || b < 0x21 || b > 0x7E { return nil }
            i += 1
        }
        guard i < end, i > charsetStart else { return nil }
        let charset = String(decoding: text[charsetStart..<i], as: UTF8.self)
        i += 1
        guard i + 1 < end else { return nil }
        let enc = ASCII.lower(text[i])
        guard (enc == 0x62 || enc == 0x71), text[i + 1] == ASCII.question else { return nil }  // 'b' or 'q'
        i += 2
        let payloadStart = i
        // Payload runs to the first "?=". Q words may (wrongly) contain spaces; B words may not.
        while i + 1 < end {
            let b = text[i]
            if b == ASCII.question && text[i + 1] == ASCII.equals { break }
            if b == ASCII.cr || b == ASCII.lf { return nil }
            if enc == 0x62 && ASCII.isWSP(b) { return nil }
            i += 1
        }
        guard i + 1 < end, text[i] == ASCII.question, text[i + 1] == ASCII.equals else { return nil }
        let payload = text[payloadStart..<i]
        let bytes: [UInt8]
        if enc == 0x62 {
            // Reject B words that are not base64 at all (keeps "=?x?b?hello world?=" readable).
            for b in payload where !(ASCII.isAlnum(b) || b == 0x2B || b == ASCII.slash || b == ASCII.equals) { return nil }
            bytes = Base64.decode(payload)
        } else {
            bytes = decodeQ(payload)
        }
        return (charset, bytes, i + 2)
    }

    /// RFC 2047 §4.2: Q encoding; `_` is space, `=XX` a byte (either case), a broken `=` stays literal.
    static func decodeQ(_ payload: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(payload.count)
        var i = payload.startIndex
        while i < payload.endIndex {
            let b = payload[i]
            if b == ASCII.underscore {
                out.append(ASCII.space); i += 1
            } else if b == ASCII.equals, i + 2 < payload.endIndex,
                      let h = ASCII.hexValue(payload[i + 1]), let l = ASCII.hexValue(payload[i + 2]) {
                out.append(h << 4 | l); i += 3
            } else {
                out.append(b); i += 1
            }
        }
        return out
    }

    // MARK: Encoding

    /// RFC 2047 §2: an encoded word is at most 75 characters.
    public static let maxWordLength = 75

    /// Encodes text as UTF-8 encoded words, choosing B or Q by which is shorter. Each word is at most
    /// `limit` characters (the first at most `firstLimit`), and words split only between characters,
    /// never inside a UTF-8 sequence. `phrase` restricts Q to the characters allowed in a phrase (RFC 2047 §5(3)).
    public static func encode(_ text: String, phrase: Bool = false, firstLimit: Int = maxWordLength, limit: Int = maxWordLength) -> [String] {
        let bytes = Array(text.utf8)
        let qLength = bytes.reduce(0) { $0 + (isQSafe($1, phrase: phrase) || $1 == ASCII.space ? 1 : 3) }
        let bLength = (bytes.count + 2) / 3 * 4
        let useQ = qLength <= bLength
        let prefix = useQ ? "=?UTF-8?Q?" : "=?UTF-8?B?"
        let overhead = prefix.utf8.count + 2

        var words: [String] = []
        var current: [UInt8] = []
        var currentLength = 0  // encoded payload length of `current`

        func payloadLength(_ chunk: [UInt8], appendedTo existing: [UInt8], existingLength: Int) -> Int {
            if useQ {
                return existingLength + chunk.reduce(0) { $0 + (isQSafe($1, phrase: phrase) || $1 == ASCII.space ? 1 : 3) }
            }
            return (existing.count + chunk.count + 2) / 3 * 4
        }
        func flush() {
            guard !current.isEmpty else { return }
            words.append(prefix + String(decoding: useQ ? encodeQ(current, phrase: phrase) : Base64.encode(current), as: UTF8.self) + "?=")
            current.removeAll(keepingCapacity: true)
            currentLength = 0
        }
        func add(_ chunk: [UInt8], force: Bool = false) -> Bool {
            let budget = (words.isEmpty ? min(firstLimit, limit) : limit) - overhead
            let newLength = payloadLength(chunk, appendedTo: current, existingLength: currentLength)
            if newLength <= budget || (force && current.isEmpty) {
                current += chunk
                currentLength = newLength
                return true
            }
            return false
        }

        for character in text {
            let chunk = Array(String(character).utf8)
            if add(chunk) { continue }
            flush()
            if add(chunk) { continue }
            // A single grapheme too long for one word: split it between unicode scalars instead.
            for scalar in character.unicodeScalars {
                let piece = Array(String(scalar).utf8)
                if !add(piece) { flush(); _ = add(piece, force: true) }
            }
        }
        flush()
        return words
    }

    /// Q-encodes bytes (RFC 2047 §4.2): space as `_`, unsafe bytes as `=XX`.
    static func encodeQ(_ bytes: [UInt8], phrase: Bool) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 3)
        for b in bytes {
            if b == ASCII.space { out.append(ASCII.underscore) }
            else if isQSafe(b, phrase: phrase) { out.append(b) }
            else { out.append(ASCII.equals); out.append(ASCII.hexDigit(b >> 4)); out.append(ASCII.hexDigit(b & 0x0F)) }
        }
        return out
    }

    /// Bytes that may appear literally in a Q word: RFC 2047 §5(3) for phrases, printable ASCII except `=?_` and specials otherwise.
    private static func isQSafe(_ b: UInt8, phrase: Bool) -> Bool {
        if ASCII.isAlnum(b) { return true }
        if phrase { return b == 0x21 || b == 0x2A || b == 0x2B || b == 0x2D || b == 0x2F }
        return b > 0x20 && b < 0x7F && b != ASCII.equals && b != ASCII.question && b != ASCII.underscore
            && b != ASCII.openParen && b != ASCII.closeParen && b != ASCII.quote
    }
}
