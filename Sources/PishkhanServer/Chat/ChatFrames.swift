import Foundation
import PishkhanCore
import PishkhanStore

/// The JSON frames of the web-chat protocol (Channels/chat-protocol.md). Every frame has a `type`.
enum ChatFrame {
    /// What a visitor sends; unknown fields are ignored, an unknown `type` is answered `bad-frame`.
    struct Client: Decodable {
        var type: String
        var id: String?
        var visitorToken: String?
        var lastSeq: Int64?
        var name: String?
        var email: String?
        var phone: String?
        var text: String?
        var seq: Int64?

        /// Parses a frame's JSON text as `JSONDecoder` would this type: an object with a string `type`;
        /// the other fields absent, null or of their type, anything else refused. Unknown fields are ignored.
        init?(json: String) {
            guard case .object(let o)? = JSONValue(parsing: json), case .string(let type)? = o["type"] else { return nil }
            func string(_ key: String) -> String?? {
                switch o[key] {
                case nil, .null?: return .some(nil)
                case .string(let s)?: return .some(s)
                default: return nil
                }
            }
            func int(_ key: String) -> Int64?? {
                switch o[key] {
                case nil, .null?: return .some(nil)
                case .number(let n)? where n.rounded() == n && abs(n) < 9.2e18: return .some(Int64(n))
                default: return nil
                }
            }
            guard let id = string("id"), let visitorToken = string("visitorToken"), let lastSeq = int("lastSeq"),
                  let name = string("name"), let email = string("email"), let phone = string("phone"),
                  let text = string("text"), let seq = int("seq") else { return nil }
            self.init(type: type, id: id, visitorToken: visitorToken, lastSeq: lastSeq, name: name, email: email,
                      phone: phone, text: text, seq: seq)
        }

        init(type: String, id: String? = nil, visitorToken: String? = nil, lastSeq: Int64? = nil, name: String? = nil,
             email: String? = nil, phone: String? = nil, text: String? = nil, seq: Int64? = nil) {
            self.type = type
            self.id = id
            self.visitorToken = visitorToken
            self.lastSeq = lastSeq
            self.name = name
            self.email = email
            self.phone = phone
            self.text = text
            self.seq = seq
        }
    }

    struct Welcome: Encodable {
        var type = "welcome"
        var visitorToken: String
        var conversation: Conversation
        var protocolVersion = 1
        var maxMessageLength: Int
        var messagesPerMinute: Int

        struct Conversation: Encodable {
            var channel: String
            var visitorID: String
        }
    }

    struct Ack: Encodable {
        var type = "ack"
        var id: String
        var messageID: Int64?
        var ticketID: Int64?
        var duplicate: Bool?

        /// As `encode(_:)` writes it, without a `JSONEncoder`: one goes out for every message.
        var jsonText: String {
            var out = "{"
            if let duplicate { out += duplicate ? "\"duplicate\":true," : "\"duplicate\":false," }
            out += "\"id\":"
            out += JSONValue.string(id).jsonText
            if let messageID { out += ",\"messageID\":\(messageID)" }
            if let ticketID { out += ",\"ticketID\":\(ticketID)" }
            out += ",\"type\":"
            out += JSONValue.string(type).jsonText
            out += "}"
            return out
        }
    }

    /// An agent's reply or the bot's answer; `seq` is the message id, the client's resume point.
    struct Message: Encodable {
        var type = "message"
        var seq: Int64
        var ticketID: Int64
        var from: String
        var text: String
        var sentAt: Date

        init(_ m: PishkhanStore.Message) {
            seq = m.id
            ticketID = m.ticketID
            from = m.kind == .bot ? "bot" : "agent"
            text = m.text ?? ""
            sentAt = m.createdAt
        }
    }

    struct Error: Encodable {
        var type = "error"
        var code: Code
        var message: String
        var id: String?

        enum Code: String, Encodable {
            case badFrame = "bad-frame"
            case helloRequired = "hello-required"
            case badToken = "bad-token"
            case tooLong = "too-long"
            case rateLimited = "rate-limited"
            case frameTooLarge = "frame-too-large"
            case unavailable
        }
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try APIEncoder.encoder.encode(value), as: UTF8.self)
    }
}

/// Per-connection sliding-window rate limit: at most `limit` messages in any `window`.
struct MessageRateLimit {
    let limit: Int
    let window: Duration
    private var sent: [ContinuousClock.Instant] = []

    init(limit: Int, window: Duration = .seconds(60)) {
        self.limit = limit
        self.window = window
    }

    /// Whether one more message may go now; counts it when it may.
    mutating func allow(at now: ContinuousClock.Instant = .now) -> Bool {
        sent.removeAll { now - $0 >= window }
        guard sent.count < limit else { return false }
        sent.append(now)
        return true
    }
}
