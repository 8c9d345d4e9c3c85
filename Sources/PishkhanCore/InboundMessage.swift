import Foundation

/// A message from a customer, normalized by a channel adapter. `(channel, externalID)` is the
/// idempotency key: ingesting the same pair twice changes nothing.
public struct InboundMessage: Codable, Sendable, Equatable {
    public var channel: String
    public var channelKind: ChannelKind
    /// IMAP UIDVALIDITY+UID or Message-ID, SMS provider id, chat client message id.
    public var externalID: String
    public var sender: Sender
    /// More ways to reach the sender that they gave themselves (the email or phone a chat visitor typed).
    /// Intake normalizes them and files them under the sender's customer; an identity already known finds
    /// that customer, so one person writing by SMS and by chat is one customer.
    public var contacts: [Contact]
    public var threadHints: ThreadHints
    public var subject: String?
    public var text: String
    /// Already sanitized by the adapter.
    public var html: String?
    public var attachments: [Attachment]
    /// Files the provider keeps and links to (MMS pictures), stored as links, not downloaded.
    public var media: [MediaLink]
    public var sentAt: Date?
    public var receivedAt: Date?
    /// Sent by a machine (auto-reply, bounce, list mail): joins a ticket it threads into without
    /// reopening it or starting a response clock, and never opens a new ticket, so two robots cannot loop.
    public var automated: Bool

    public struct Sender: Codable, Sendable, Equatable {
        /// Defaults to the channel kind's identity kind.
        public var kind: IdentityKind?
        public var address: String
        public var displayName: String?

        public init(kind: IdentityKind? = nil, address: String, displayName: String? = nil) {
            self.kind = kind
            self.address = address
            self.displayName = displayName
        }
    }

    /// An identity the sender gave besides the one they write from.
    public struct Contact: Codable, Sendable, Equatable {
        public var kind: IdentityKind
        public var address: String
        /// Whether the sender's platform vouches for it (a Telegram contact card, a partner that checked
        /// it). An unverified one (typed into the chat widget by anyone) is kept with the sender's own
        /// customer when nobody else has it, and never finds an existing customer.
        public var verified: Bool

        public init(kind: IdentityKind, address: String, verified: Bool = true) {
            self.kind = kind
            self.address = address
            self.verified = verified
        }

        enum CodingKeys: String, CodingKey { case kind, address, verified }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = try c.decode(IdentityKind.self, forKey: .kind)
            address = try c.decode(String.self, forKey: .address)
            verified = try c.decodeIfPresent(Bool.self, forKey: .verified) ?? true
        }
    }

    public struct ThreadHints: Codable, Sendable, Equatable {
        /// This message's own Message-ID, so later replies can find it.
        public var messageID: String?
        public var inReplyTo: [String]
        public var references: [String]
        /// Chat or platform conversation id.
        public var conversationID: String?

        public init(messageID: String? = nil, inReplyTo: [String] = [], references: [String] = [], conversationID: String? = nil) {
            self.messageID = messageID
            self.inReplyTo = inReplyTo
            self.references = references
            self.conversationID = conversationID
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            messageID = try c.decodeIfPresent(String.self, forKey: .messageID)
            inReplyTo = try c.decodeIfPresent([String].self, forKey: .inReplyTo) ?? []
            references = try c.decodeIfPresent([String].self, forKey: .references) ?? []
            conversationID = try c.decodeIfPresent(String.self, forKey: .conversationID)
        }

        /// Message ids to look up, most specific first.
        public var referencedMessageIDs: [String] {
            var seen = Set<String>()
            return (inReplyTo + references.reversed()).filter { seen.insert($0).inserted }
        }
    }

    public struct Attachment: Codable, Sendable, Equatable {
        public var name: String
        public var contentType: String
        /// Base64 in JSON.
        public var content: Data
        /// The content's SHA-256 (lowercase hex) when the caller has already written it to the store's
        /// files (`Store.stageFiles`), so Intake neither hashes nor writes it again. Never read from JSON.
        public var sha256: String?

        enum CodingKeys: String, CodingKey { case name, contentType, content }

        public init(name: String, contentType: String, content: Data, sha256: String? = nil) {
            self.name = name
            self.contentType = contentType
            self.content = content
            self.sha256 = sha256
        }
    }

    public init(
        channel: String, channelKind: ChannelKind, externalID: String, sender: Sender, contacts: [Contact] = [],
        threadHints: ThreadHints = ThreadHints(), subject: String? = nil, text: String, html: String? = nil,
        attachments: [Attachment] = [], media: [MediaLink] = [], sentAt: Date? = nil, receivedAt: Date? = nil, automated: Bool = false
    ) {
        self.channel = channel
        self.channelKind = channelKind
        self.externalID = externalID
        self.sender = sender
        self.contacts = contacts
        self.threadHints = threadHints
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.media = media
        self.sentAt = sentAt
        self.receivedAt = receivedAt
        self.automated = automated
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        channel = try c.decode(String.self, forKey: .channel)
        channelKind = try c.decode(ChannelKind.self, forKey: .channelKind)
        externalID = try c.decode(String.self, forKey: .externalID)
        sender = try c.decode(Sender.self, forKey: .sender)
        contacts = try c.decodeIfPresent([Contact].self, forKey: .contacts) ?? []
        threadHints = try c.decodeIfPresent(ThreadHints.self, forKey: .threadHints) ?? ThreadHints()
        subject = try c.decodeIfPresent(String.self, forKey: .subject)
        text = try c.decodeIfPresent(String.self, forKey: .text) ?? ""
        html = try c.decodeIfPresent(String.self, forKey: .html)
        attachments = try c.decodeIfPresent([Attachment].self, forKey: .attachments) ?? []
        media = try c.decodeIfPresent([MediaLink].self, forKey: .media) ?? []
        sentAt = try c.decodeIfPresent(Date.self, forKey: .sentAt)
        receivedAt = try c.decodeIfPresent(Date.self, forKey: .receivedAt)
        automated = try c.decodeIfPresent(Bool.self, forKey: .automated) ?? false
    }

    /// Checks what a store cannot repair later. Throws `ValidationError` naming the field.
    public func validate() throws {
        if channel.trimmed.isEmpty { throw ValidationError(field: "channel", reason: "must not be empty") }
        if externalID.isEmpty { throw ValidationError(field: "externalID", reason: "must not be empty") }
        if externalID.utf8.count > 512 { throw ValidationError(field: "externalID", reason: "must be at most 512 bytes") }
        if text.isEmpty && (html ?? "").isEmpty && attachments.isEmpty && media.isEmpty {
            throw ValidationError(field: "text", reason: "a message needs text, html, an attachment or media")
        }
        if contacts.count > 10 { throw ValidationError(field: "contacts", reason: "must be at most 10") }
        for (i, m) in media.enumerated() where m.url.isEmpty || m.url.utf8.count > 2048 {
            throw ValidationError(field: "media[\(i)].url", reason: "must be a link of at most 2048 bytes")
        }
        for (i, a) in attachments.enumerated() where a.name.isEmpty {
            throw ValidationError(field: "attachments[\(i)].name", reason: "must not be empty")
        }
    }
}

/// A file kept by the provider and linked from the message (an MMS picture), with its type when known.
public struct MediaLink: Codable, Sendable, Equatable {
    public var url: String
    public var contentType: String?

    public init(url: String, contentType: String? = nil) {
        self.url = url
        self.contentType = contentType
    }
}

/// Input that is well-formed but not acceptable; `field` names what to fix.
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var reason: String
    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
    public var description: String { "\(field) \(reason)" }
}
