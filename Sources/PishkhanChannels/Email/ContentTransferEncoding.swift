/// Content-Transfer-Encoding (RFC 2045 §6) of a leaf body. Unknown tokens decode as identity.
public enum ContentTransferEncoding: Sendable, Hashable {
    case sevenBit
    case eightBit
    case binary
    case base64
    case quotedPrintable
    /// An unrecognised token (x-uuencode, garbage); the body is passed through unchanged.
    case other(String)

    /// Parses a header value such as ` Base64 ` or `quoted-printable (comment)`.
    public init(headerValue: ArraySlice<UInt8>) {
        var token = ASCII.trimmed(headerValue)
        if let paren = token.firstIndex(of: ASCII.openParen) { token = ASCII.trimmed(token[..<paren]) }
        if let semi = token.firstIndex(of: ASCII.semicolon) { token = ASCII.trimmed(token[..<semi]) }
        if token.first == ASCII.quote { token = token.dropFirst() }
        if token.last == ASCII.quote { token = token.dropLast() }
        if ASCII.equalsIgnoringCase(token, "base64") { self = .base64 }
        else if ASCII.equalsIgnoringCase(token, "quoted-printable") { self = .quotedPrintable }
        else if ASCII.equalsIgnoringCase(token, "7bit") || token.isEmpty { self = .sevenBit }
        else if ASCII.equalsIgnoringCase(token, "8bit") { self = .eightBit }
        else if ASCII.equalsIgnoringCase(token, "binary") { self = .binary }
        else { self = .other(ASCII.lowercasedString(token)) }
    }

    /// True for encodings that leave the bytes as they are.
    public var isIdentity: Bool {
        switch self {
        case .base64, .quotedPrintable: return false
        default: return true
        }
    }

    /// Decodes a body in this transfer encoding (identity for 7bit/8bit/binary/unknown).
    public func decode(_ body: ArraySlice<UInt8>) -> [UInt8] {
        switch self {
        case .base64: return Base64.decode(body)
        case .quotedPrintable: return QuotedPrintable.decode(body)
        default: return Array(body)
        }
    }
}
