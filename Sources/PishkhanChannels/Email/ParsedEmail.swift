import Foundation

/// Everything a channel adapter needs from one inbound message, decoded and normalized
/// (text uses LF line endings; ids have no angle brackets).
public struct ParsedEmail: Sendable {
    /// Message-ID without angle brackets.
    public var messageID: String?
    /// In-Reply-To ids, in order.
    public var inReplyTo: [String]
    /// References ids, oldest first as written.
    public var references: [String]
    /// First From mailbox (Sender when From is missing).
    public var from: EmailAddress?
    public var replyTo: [EmailAddress]
    public var to: [EmailAddress]
    public var cc: [EmailAddress]
    /// Decoded subject; empty when missing.
    public var subject: String
    /// Date header; nil when missing or unparseable.
    public var date: Date?
    /// The plain text of the best alternative; derived from the HTML when there is only HTML.
    public var textBody: String
    /// Decoded HTML (not sanitized), nil when the message has none.
    public var htmlBody: String?
    /// `textBody` without quoted history and signature.
    public var replyText: String
    public var attachments: [EmailAttachment]
    /// nil for a human-written message, else why it looks automated.
    public var automation: AutomationReason?
    /// For a bounce or other automated message: the Message-IDs of the original message it returns or
    /// answers, read from an enclosed message/rfc822 part or text/rfc822-headers part (RFC 3462/6522).
    /// Empty otherwise. This is how a DSN finds the reply it reports on.
    public var reportedMessageIDs: [String] = []
    /// Top-level header fields, for anything not surfaced above.
    public var headers: MIMEHeaders
    /// The full MIME tree.
    public var root: MIMEEntity
}
