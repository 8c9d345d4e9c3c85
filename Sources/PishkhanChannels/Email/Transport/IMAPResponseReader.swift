/// Reassembles complete IMAP responses from raw socket bytes, including literals.
///
/// A line ending in `{n}` or `{n+}` is followed by exactly n bytes of literal data and then the rest of the
/// same response (RFC 3501 §4.3, RFC 7888), so a response ends at the first CRLF not inside a literal.
struct IMAPResponseReader {
    private var buffer: [UInt8] = []
    private var scanned = 0

    mutating func append(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete response without its final CRLF (literal bytes kept inline), or nil if more bytes are needed.
    mutating func nextResponse() -> [UInt8]? {
        var index = scanned
        while index + 1 < buffer.count {
            if buffer[index] == 0x0D, buffer[index + 1] == 0x0A {
                if let literal = literalLength(endingAt: index) {
                    let next = index + 2 + literal
                    guard next <= buffer.count else {
                        scanned = index
                        return nil
                    }
                    index = next
                    continue
                }
                let response = Array(buffer[..<index])
                buffer.removeFirst(index + 2)
                scanned = 0
                return response
            }
            index += 1
        }
        scanned = max(0, index)
        return nil
    }

    /// Byte count of a literal announced just before `lineEnd`, e.g. `... {123}` or `{123+}`.
    private func literalLength(endingAt lineEnd: Int) -> Int? {
        guard lineEnd > 0, buffer[lineEnd - 1] == UInt8(ascii: "}") else { return nil }
        var position = lineEnd - 2
        if position >= 0, buffer[position] == UInt8(ascii: "+") { position -= 1 }
        var digits: [UInt8] = []
        while position >= 0, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[position]) {
            digits.insert(buffer[position], at: 0)
            position -= 1
        }
        guard !digits.isEmpty, position >= 0, buffer[position] == UInt8(ascii: "{") else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }
}
