/// One transfer on a `CurlEasy` handle: a URL path plus the options that vary per request.
public struct CurlRequest: Sendable {
    /// Path after `scheme://host:port`, already percent-encoded, e.g. `/INBOX/;UID=7` (RFC 5092).
    public var path: String
    /// CURLOPT_CUSTOMREQUEST: an IMAP command whose untagged replies come back as the body.
    public var customCommand: String?
    /// Bytes to upload (IMAP APPEND, SMTP DATA); `nil` for a download.
    public var upload: [UInt8]?
    /// SMTP envelope sender (RFC 5321 §4.1.1.2), without angle brackets.
    public var mailFrom: String?
    /// SMTP envelope recipients (RFC 5321 §4.1.1.3), without angle brackets.
    public var mailRecipients: [String]

    public init(
        path: String,
        customCommand: String? = nil,
        upload: [UInt8]? = nil,
        mailFrom: String? = nil,
        mailRecipients: [String] = []
    ) {
        self.path = path
        self.customCommand = customCommand
        self.upload = upload
        self.mailFrom = mailFrom
        self.mailRecipients = mailRecipients
    }
}
