import Foundation
@testable import PishkhanChannels

/// Helpers shared by the tests: build messages with CRLF from readable literals, hex byte tables.
enum TestSupport {
    /// Converts LF line endings of a literal to CRLF, as messages travel on the wire.
    static func crlf(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for b in text.utf8 {
            if b == 0x0A { out.append(0x0D) }
            out.append(b)
        }
        return out
    }

    /// LF-only bytes (mail as stored by many Unix tools).
    static func lf(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Bytes from a hex string ("D3E1 C7E3").
    static func hex(_ s: String) -> [UInt8] {
        let digits = s.filter { $0.isHexDigit }
        var out: [UInt8] = []
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            out.append(UInt8(digits[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static func decode(_ text: String) throws -> ParsedEmail {
        try EmailDecoder.decode(crlf(text))
    }

    static func base64(_ text: String) -> String {
        String(decoding: Base64.encode(Array(text.utf8)), as: UTF8.self)
    }
}
