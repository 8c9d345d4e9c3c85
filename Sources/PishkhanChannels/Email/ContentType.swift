/// A parsed Content-Type (RFC 2045 §5.1) with lowercased type/subtype and decoded parameters.
public struct ContentType: Sendable, Hashable {
    public var type: String
    public var subtype: String
    public var parameters: MIMEParameters

    public init(type: String, subtype: String, parameters: MIMEParameters = MIMEParameters()) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    /// RFC 2045 §5.2: the default for a missing or unparseable Content-Type.
    public static let textPlain = ContentType(type: "text", subtype: "plain")
    /// RFC 2046 §5.1.5: the default inside multipart/digest.
    public static let messageRFC822 = ContentType(type: "message", subtype: "rfc822")

    /// `type/subtype`.
    public var mimeType: String { type + "/" + subtype }
    public var isMultipart: Bool { type == "multipart" }
    public var charset: String? { parameters["charset"] }
    public var boundary: String? { parameters["boundary"] }
    /// True for message/rfc822 and message/global (RFC 6532), the types parsed as nested messages.
    public var isEncapsulatedMessage: Bool { type == "message" && (subtype == "rfc822" || subtype == "global") }

    /// Parses a header value; nil when it has no usable `type/subtype` (callers then use the default).
    public init?(headerValue: ArraySlice<UInt8>, fallback: Charset? = nil) {
        let (main, params) = MIMEParameters.parse(headerValue, fallback: fallback)
        guard let slash = main.firstIndex(of: "/") else {
            // Bare "text" is seen in the wild; treat as text/plain.
            if main == "text" { self.init(type: "text", subtype: "plain", parameters: params); return }
            return nil
        }
        let type = String(main[..<slash])
        let subtype = String(main[main.index(after: slash)...])
        guard !type.isEmpty, !subtype.isEmpty, !subtype.contains("/") else { return nil }
        self.init(type: type, subtype: subtype, parameters: params)
    }
}
