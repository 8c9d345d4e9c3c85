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
