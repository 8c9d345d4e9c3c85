/// A non-body part of a message: a file, an inline image, a forwarded message, a delivery report.
public struct EmailAttachment: Sendable, Hashable {
    /// Decoded filename (RFC 2231 / RFC 2047 / raw UTF-8), nil when the part has none.
    public var filename: String?
    /// Lowercased `type/subtype`.
    public var contentType: String
    /// Transfer-decoded bytes (for message/rfc822: the encapsulated message).
    public var data: [UInt8]
    /// Content-ID without angle brackets (referenced as `cid:` from HTML).
    public var contentID: String?
    /// Disposition `inline`, or no disposition but a Content-ID (an embedded image).
    public var isInline: Bool

    public init(filename: String?, contentType: String, data: [UInt8], contentID: String?, isInline: Bool) {
        self.filename = filename
        self.contentType = contentType
        self.data = data
        self.contentID = contentID
        self.isInline = isInline
    }

    public var size: Int { data.count }
}
