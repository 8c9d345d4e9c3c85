/// One node of a parsed MIME tree (RFC 2045/2046): headers, the effective content type, and a body
/// that is a leaf, a list of parts, or an encapsulated message. Leaf bodies are slices of the input.
public struct MIMEEntity: Sendable {
    /// Body of an entity.
    public indirect enum Body: Sendable {
        /// Transfer-encoded bytes of a leaf.
        case leaf(ArraySlice<UInt8>)
        /// Child entities of a multipart, preamble and epilogue dropped.
        case multipart([MIMEEntity])
        /// A message/rfc822 (or message/global) part: the parsed message and its transfer-decoded raw bytes.
        case message(MIMEEntity, raw: ArraySlice<UInt8>)
    }

    public var headers: MIMEHeaders
    /// Effective content type (the default applies when the header is missing or broken).
    public var contentType: ContentType
    /// True when Content-Type was absent or unparseable and the default was used.
    public var contentTypeIsDefault: Bool
    public var transferEncoding: ContentTransferEncoding
    public var disposition: ContentDisposition?
    public var body: Body

    public init(headers: MIMEHeaders, contentType: ContentType, contentTypeIsDefault: Bool = false,
                transferEncoding: ContentTransferEncoding = .sevenBit, disposition: ContentDisposition? = nil, body: Body) {
        self.headers = headers
        self.contentType = contentType
        self.contentTypeIsDefault = contentTypeIsDefault
        self.transferEncoding = transferEncoding
        self.disposition = disposition
        self.body = body
    }

    /// Child entities when multipart, else empty.
    public var parts: [MIMEEntity] {
        if case .multipart(let parts) = body { return parts }
        return []
    }

    /// The encapsulated message when this is message/rfc822.
    public var message: MIMEEntity? {
        if case .message(let m, _) = body { return m }
        return nil
    }

    /// Body bytes with the transfer encoding removed (the raw message for message/rfc822, empty for multipart).
    public var decodedBody: [UInt8] {
        switch body {
        case .leaf(let raw): return transferEncoding.decode(raw)
        case .message(_, let raw): return Array(raw)
        case .multipart: return []
        }
    }

    /// Filename from Content-Disposition, else the obsolete Content-Type `name` parameter.
    public var filename: String? {
        if let f = disposition?.filename, !f.isEmpty { return f }
        if let n = contentType.parameters["name"], !n.isEmpty { return n }
        return nil
    }

    /// Content-ID without angle brackets.
    public var contentID: String? {
        guard let h = headers["content-id"] else { return nil }
        let ids = MessageIDList.parse(h.rawValue[...])
        return ids.first
    }

    /// The body as text: transfer-decoded, charset-decoded (its `charset` parameter, else `defaultCharset`,
    /// else UTF-8 with Windows-1252 fallback), line endings normalized to LF.
    public func text(defaultCharset: Charset? = nil) -> String {
        let bytes = decodedBody
        let charset: Charset
        if let label = contentType.charset, !label.isEmpty {
            charset = Charset(label: label)
        } else if let fallback = defaultCharset {
            charset = fallback
        } else {
            charset = Charset(kind: .unknown(""))
        }
        return LineEndings.normalize(charset.decode(bytes))
    }
}
