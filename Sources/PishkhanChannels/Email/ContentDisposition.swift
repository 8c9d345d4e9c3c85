/// A parsed Content-Disposition (RFC 2183) with its decoded parameters (filename per RFC 2231/2047).
public struct ContentDisposition: Sendable, Hashable {
    /// Lowercased disposition type: `inline`, `attachment`, or anything else seen.
    public var type: String
    public var parameters: MIMEParameters

    public init(type: String, parameters: MIMEParameters = MIMEParameters()) {
        self.type = type
        self.parameters = parameters
    }

    public init(headerValue: ArraySlice<UInt8>, fallback: Charset? = nil) {
        let (main, params) = MIMEParameters.parse(headerValue, fallback: fallback)
        self.init(type: main, parameters: params)
    }

    public var isAttachment: Bool { type == "attachment" }
    public var isInline: Bool { type == "inline" }
    public var filename: String? { parameters["filename"] }
}
