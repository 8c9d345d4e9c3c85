import Foundation

/// The Bot API's `sendMessage` (https://core.telegram.org/bots/api#sendmessage): JSON in, JSON out.
public enum TelegramBotAPI {
    /// Telegram's limit on one message's text, in UTF-16 code units.
    public static let maxMessageLength = 4096

    public struct SendMessage: Encodable, Sendable, Equatable {
        public var chatID: String
        public var text: String

        enum CodingKeys: String, CodingKey { case chatID = "chat_id", text }

        public init(chatID: String, text: String) {
            self.chatID = chatID
            self.text = text
        }

        public func encoded() -> Data { (try? JSONEncoder().encode(self)) ?? Data() }
    }

    /// Every Bot API answer: `ok` with a `result`, or a description, an error code and, for 429, how long
    /// to wait.
    public struct Answer: Decodable, Sendable, Equatable {
        public var ok: Bool
        public var result: Sent?
        public var description: String?
        public var errorCode: Int?
        public var parameters: Parameters?

        public struct Sent: Decodable, Sendable, Equatable {
            public var messageID: Int64
            enum CodingKeys: String, CodingKey { case messageID = "message_id" }
        }

        public struct Parameters: Decodable, Sendable, Equatable {
            public var retryAfter: Int?
            enum CodingKeys: String, CodingKey { case retryAfter = "retry_after" }
        }

        enum CodingKeys: String, CodingKey { case ok, result, description, errorCode = "error_code", parameters }
    }

    public static func answer(_ body: Data) -> Answer? { try? JSONDecoder().decode(Answer.self, from: body) }

    /// Telegram's reason for a refusal with HTTP `status`, readable for an agent.
    public static func reason(status: Int, body: Data) -> String {
        if let a = answer(body), let description = a.description {
            return "HTTP \(status): \(description)"
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return "HTTP \(status)" + (text.isEmpty ? "" : ": \(text)")
    }

    /// A reply cut into messages Telegram takes: at most `limit` UTF-16 code units each, cut after the last
    /// line break in reach, else after the last space, else between characters (never inside one).
    public static func parts(_ text: String, limit: Int = maxMessageLength) -> [String] {
        var parts: [String] = []
        var rest = Substring(text)
        while rest.utf16.count > limit {
            var end = rest.startIndex
            var units = 0
            var lastBreak: String.Index?
            var lastSpace: String.Index?
            for index in rest.indices {
                let character = rest[index]
                let size = character.utf16.count
                if units + size > limit { break }
                units += size
                end = rest.index(after: index)
                if character.isNewline { lastBreak = end } else if character == " " { lastSpace = end }
            }
            // A single character longer than the limit (a huge grapheme cluster) goes alone rather than loop.
            let cut = end == rest.startIndex ? rest.index(after: end) : lastBreak ?? lastSpace ?? end
            let part = rest[..<cut].trimmingCharacters(in: .whitespacesAndNewlines)
            if !part.isEmpty { parts.append(part) }
            rest = rest[cut...]
        }
        let last = rest.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty || parts.isEmpty { parts.append(last.isEmpty ? String(rest) : last) }
        return parts
    }
}
