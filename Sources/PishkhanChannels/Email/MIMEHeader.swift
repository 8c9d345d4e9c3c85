/// One header field as it appeared: name, and the unfolded raw value bytes (RFC 5322 §2.2.3:
/// unfolding removes the CRLF before folding whitespace). Decoding is left to the caller.
public struct MIMEHeader: Sendable, Hashable {
    /// Field name as written (`Subject`).
    public let name: String
    /// Lowercased field name used for case-insensitive lookup.
    public let lowercasedName: String
    /// Unfolded value bytes with surrounding whitespace trimmed; may contain 8-bit bytes (RFC 6532).
    public let rawValue: [UInt8]

    public init(name: String, rawValue: [UInt8]) {
        self.name = name
        self.lowercasedName = name.lowercased()
        self.rawValue = rawValue
    }

    /// The value as text with RFC 2047 encoded words decoded; raw 8-bit bytes are taken as UTF-8,
    /// else `fallback`, else Windows-1252.
    public func decodedValue(fallback: Charset? = nil) -> String {
        EncodedWords.decode(rawValue[...], fallback: fallback)
    }
}
