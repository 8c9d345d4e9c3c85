/// The UID and `BODY[]` of one untagged FETCH response (RFC 3501 §7.4.2), e.g.
/// `* 12 FETCH (UID 40 BODY[] {2345}CRLF<2345 bytes>)`. Items may come in any order; others
/// (FLAGS, RFC822.SIZE, …) are skipped.
struct IMAPFetchResponse: Equatable {
    var uid: UInt32?
    var body: [UInt8]?

    /// Nil when `response` (literals inline, final CRLF removed) is not a FETCH response.
    init?(_ response: [UInt8]) {
        var cursor = Cursor(bytes: response)
        guard cursor.skip("* "), cursor.number() != nil, cursor.skip(" "), cursor.skipWord("FETCH"), cursor.skip(" (") else { return nil }
        while !cursor.atEnd, !cursor.skip(")") {
            _ = cursor.skip(" ")
            let name = cursor.atom().uppercased()
            guard !name.isEmpty, cursor.skip(" ") else { return nil }
            switch name {
            case "UID":
                guard let value = cursor.number() else { return nil }
                uid = value
            case "BODY[]", "RFC822":
                guard let value = cursor.nstring() else { return nil }
                body = value
            default:
                guard cursor.skipValue() else { return nil }
            }
        }
    }

    /// Reads RFC 3501 §9 values from a response's bytes.
    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }

        mutating func skip(_ text: String) -> Bool {
            let token = Array(text.utf8)
            guard bytes.count - index >= token.count, bytes[index..<index + token.count].elementsEqual(token) else { return false }
            index += token.count
            return true
        }

        mutating func skipWord(_ word: String) -> Bool {
            let start = index
            if atom().uppercased() == word { return true }
            index = start
            return false
        }

        mutating func number() -> UInt32? {
            var value: UInt64 = 0
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]), value <= UInt64(UInt32.max) {
                value = value * 10 + UInt64(bytes[index] - 0x30)
                index += 1
            }
            guard index > start, value <= UInt64(UInt32.max) else { return nil }
            return UInt32(value)
        }

        /// An item name up to the next space or parenthesis; `BODY[...]` sections may contain spaces.
        mutating func atom() -> String {
            let start = index
            var depth = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "[") { depth += 1 }
                if byte == UInt8(ascii: "]") { depth -= 1 }
                if depth <= 0, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")") { break }
                index += 1
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// A literal `{n}CRLF<n bytes>` (or `{n+}`, RFC 7888), a quoted string, or NIL.
        mutating func nstring() -> [UInt8]? {
            if skip("{") {
                guard let count = number() else { return nil }
                _ = skip("+")
                guard skip("}\r\n"), bytes.count - index >= Int(count) else { return nil }
                defer { index += Int(count) }
                return Array(bytes[index..<index + Int(count)])
            }
            if skip("\"") {
                var value: [UInt8] = []
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    if index < bytes.count { value.append(bytes[index]) }
                    index += 1
                }
                return skip("\"") ? value : nil
            }
            return skipWord("NIL") ? [] : nil
        }

        /// Skips any value: a parenthesized list (nested, with strings and literals), a string, or an atom.
        mutating func skipValue() -> Bool {
            if index < bytes.count, bytes[index] == UInt8(ascii: "(") {
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: ")") {
                    if bytes[index] == UInt8(ascii: " ") { index += 1; continue }
                    guard skipValue() else { return false }
                }
                return skip(")")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "\"") {
                return nstring() != nil
            }
            return !atom().isEmpty
        }
    }
}
