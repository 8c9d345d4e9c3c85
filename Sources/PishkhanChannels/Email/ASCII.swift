/// Byte constants and classification helpers for parsing mail on raw bytes.
/// Mail syntax (RFC 5322, RFC 2045) is defined over ASCII octets, so all parsing here stays on `UInt8`.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let percent: UInt8 = 0x25
    static let apostrophe: UInt8 = 0x27
    static let openParen: UInt8 = 0x28
    static let closeParen: UInt8 = 0x29
    static let asterisk: UInt8 = 0x2A
    static let comma: UInt8 = 0x2C
    static let hyphen: UInt8 = 0x2D
    static let slash: UInt8 = 0x2F
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let lessThan: UInt8 = 0x3C
    static let equals: UInt8 = 0x3D
    static let greaterThan: UInt8 = 0x3E
    static let question: UInt8 = 0x3F
    static let at: UInt8 = 0x40
    static let backslash: UInt8 = 0x5C
    static let underscore: UInt8 = 0x5F

    /// Space or horizontal tab (RFC 5322 WSP).
    @inline(__always) static func isWSP(_ b: UInt8) -> Bool { b == space || b == tab }

    /// WSP, CR or LF.
    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { b == space || b == tab || b == cr || b == lf }

    /// ASCII letter or digit.
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// Value of a hexadecimal digit (either case), or nil.
    @inline(__always) static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b &- 0x30
        case 0x41...0x46: return b &- 0x41 &+ 10
        case 0x61...0x66: return b &- 0x61 &+ 10
        default: return nil
        }
    }

    /// ASCII lowercase of one byte; other bytes unchanged.
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    /// Uppercase hexadecimal digit for a nibble value 0...15.
    @inline(__always) static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 &+ v : 0x41 &+ v &- 10 }

    /// Case-insensitive comparison of a byte run with an ASCII lowercase literal.
    static func equalsIgnoringCase<C: Collection<UInt8>>(_ bytes: C, _ lowercaseLiteral: String) -> Bool {
        var it = bytes.makeIterator()
        for l in lowercaseLiteral.utf8 {
            guard let b = it.next(), lower(b) == l else { return false }
        }
        return it.next() == nil
    }

    /// Case-insensitive prefix test of a byte run against an ASCII lowercase literal.
    static func hasPrefixIgnoringCase<C: Collection<UInt8>>(_ bytes: C, _ lowercaseLiteral: String) -> Bool {
        var it = bytes.makeIterator()
        for l in lowercaseLiteral.utf8 {
            guard let b = it.next(), lower(b) == l else { return false }
        }
        return true
    }

    /// Slice with leading and trailing whitespace (SP, HT, CR, LF) removed.
    static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, isWhitespace(s[lo]) { lo += 1 }
        while hi > lo, isWhitespace(s[hi - 1]) { hi -= 1 }
        return s[lo..<hi]
    }

    /// True if every byte is below 0x80.
    static func isASCII<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        for b in bytes where b >= 0x80 { return false }
        return true
    }

    /// Lowercased String from ASCII-ish bytes (non-UTF-8 bytes become U+FFFD).
    static func lowercasedString<C: Collection<UInt8>>(_ bytes: C) -> String {
        String(decoding: bytes.map { lower($0) }, as: UTF8.self)
    }
}
