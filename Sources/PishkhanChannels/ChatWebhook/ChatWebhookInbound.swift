import Foundation
import PishkhanCore

/// A visitor's message as the partner posts it to `POST /webhooks/chat/<channel>`:
///
/// ```json
/// {"conversationId": "c-81", "senderId": "v-12", "messageId": "m-3", "text": "سلام",
///  "name": "Sara", "email": "sara@example.com", "phone": "0912 123 4567"}
/// ```
///
/// Ids may be strings or integers. `name`, `email` and `phone` are optional; the email and phone become
/// identities of the same customer.
public struct ChatWebhookInbound: Decodable, Sendable, Equatable {
    public var conversationID: String
    public var senderID: String
    public var messageID: String
    public var text: String
    public var name: String?
    public var email: String?
    public var phone: String?

    enum CodingKeys: String, CodingKey {
        case conversationID = "conversationId", senderID = "senderId", messageID = "messageId", text, name, email, phone
    }

    public init(conversationID: String, senderID: String, messageID: String, text: String, name: String? = nil, email: String? = nil,
                phone: String? = nil) {
        self.conversationID = conversationID
        self.senderID = senderID
        self.messageID = messageID
        self.text = text
        self.name = name
        self.email = email
        self.phone = phone
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func id(_ key: CodingKeys) throws -> String {
            let value: String
            if let number = try? c.decode(Int64.self, forKey: key) {
                value = String(number)
            } else {
                value = try c.decode(String.self, forKey: key).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard !value.isEmpty, value.utf8.count <= 200 else {
                throw ValidationError(field: key.stringValue, reason: "must be 1–200 bytes")
            }
            return value
        }
        func optional(_ key: CodingKeys) throws -> String? {
            let value = try c.decodeIfPresent(String.self, forKey: key)?.trimmingCharacters(in: .whitespacesAndNewlines)
            return value?.isEmpty == false ? value : nil
        }
        conversationID = try id(.conversationID)
        senderID = try id(.senderID)
        messageID = try id(.messageID)
        text = try c.decode(String.self, forKey: .text)
        name = try optional(.name)
        email = try optional(.email)
        phone = try optional(.phone)
    }

    /// Decodes a body; a missing or ill-typed field is a `ValidationError` naming it.
    public static func decode(_ body: Data) throws -> ChatWebhookInbound {
        do {
            return try JSONDecoder().decode(ChatWebhookInbound.self, from: body)
        } catch let error as ValidationError {
            throw error
        } catch DecodingError.keyNotFound(let key, _) {
            throw ValidationError(field: key.stringValue, reason: "is required")
        } catch DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx) {
            throw ValidationError(field: ctx.codingPath.last?.stringValue ?? "(body)", reason: "has the wrong type")
        } catch {
            throw ValidationError(field: "(body)", reason: "is not a JSON object")
        }
    }

    /// The message for Intake. The sender is known by `<channel>:<senderId>` (identity kind `external`,
    /// scoped to the channel so two partners' visitor ids never meet); the external id is
    /// `<conversationId>:<messageId>`, so a partner's retry is the same message; the conversation threads.
    public func message(channel: String, receivedAt: Date) -> InboundMessage {
        var contacts: [InboundMessage.Contact] = []
        if let email { contacts.append(.init(kind: .email, address: email)) }
        if let phone { contacts.append(.init(kind: .phone, address: phone)) }
        return InboundMessage(
            channel: channel, channelKind: .webhook, externalID: "\(conversationID):\(messageID)",
            sender: .init(kind: .external, address: Self.identity(channel: channel, senderID: senderID), displayName: name),
            contacts: contacts, threadHints: .init(conversationID: conversationID), text: text, receivedAt: receivedAt)
    }

    /// The identity value of a visitor of `channel`.
    public static func identity(channel: String, senderID: String) -> String { "\(channel):\(senderID)" }
}

/// A reply as Pishkhan posts it to the channel's `callbackURL`, signed like the partner's calls:
///
/// ```json
/// {"channel": "partner-chat", "conversationId": "c-81", "recipientId": "v-12", "messageId": "4711",
///  "ticket": 42, "kind": "reply", "text": "...", "sentAt": "2026-11-27T08:00:00Z"}
/// ```
///
/// `messageId` is ours and the same on every retry, for the partner to drop duplicates. `kind` is `reply`
/// (an agent) or `bot`. The partner answers 2xx, optionally with `{"id": "..."}`, its id for the message.
public struct ChatWebhookCallback: Codable, Sendable, Equatable {
    public var channel: String
    public var conversationID: String?
    public var recipientID: String?
    public var messageID: String
    public var ticket: Int64
    public var kind: String
    public var text: String
    public var sentAt: String

    enum CodingKeys: String, CodingKey {
        case channel, conversationID = "conversationId", recipientID = "recipientId", messageID = "messageId", ticket, kind, text, sentAt
    }

    public init(channel: String, conversationID: String?, recipientID: String?, messageID: String, ticket: Int64, kind: String, text: String,
                sentAt: String) {
        self.channel = channel
        self.conversationID = conversationID
        self.recipientID = recipientID
        self.messageID = messageID
        self.ticket = ticket
        self.kind = kind
        self.text = text
        self.sentAt = sentAt
    }

    /// The JSON body, keys sorted so the bytes are stable.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The partner's id for the message in a 2xx answer (`{"id": "..."}`, string or number), if any.
    public static func acceptedID(_ body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        switch object["id"] {
        case let s as String where !s.isEmpty: return String(s.prefix(200))
        case let n as Int: return String(n)
        case let n as Int64: return String(n)
        default: return nil
        }
    }
}
