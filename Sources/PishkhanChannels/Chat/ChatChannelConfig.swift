import Foundation
import PishkhanCore

/// The web-chat side of a chat channel (`Channels/<name>.yaml`, section `chat`): which web pages may open
/// the visitor WebSocket, how large a frame may be and how fast one connection may send.
public struct ChatChannelConfig: Sendable, Equatable {
    public var channel: String
    /// Origins (`scheme://host[:port]`) whose pages may connect; `*` allows any page and connections
    /// without an Origin header (native apps, tests).
    public var allowedOrigins: [String]
    /// The largest WebSocket message a visitor may send; a larger one ends the connection.
    public var maxFrameBytes: Int
    /// Messages one connection may send in a sliding minute; more are refused with `rate-limited`.
    public var messagesPerMinute: Int
    /// The longest message text, in characters.
    public var maxMessageLength: Int

    public init(channel: String, allowedOrigins: [String], maxFrameBytes: Int = 16384, messagesPerMinute: Int = 30,
                maxMessageLength: Int = 4000) {
        self.channel = channel
        self.allowedOrigins = allowedOrigins
        self.maxFrameBytes = maxFrameBytes
        self.messagesPerMinute = messagesPerMinute
        self.maxMessageLength = maxMessageLength
    }

    /// Whether a page with this `Origin` header (nil: none sent) may connect. Origins compare
    /// case-insensitively, without a trailing slash (RFC 6454 §6.2 serializes them that way). A header
    /// naming several origins (RFC 6454 §7.1 allows a list) is allowed only if every one of them is.
    public func allows(origin header: String?) -> Bool {
        if allowedOrigins.contains("*") { return true }
        let origins = (header ?? "").split(separator: ",").map { Self.canonical(String($0)) }.filter { !$0.isEmpty }
        guard !origins.isEmpty else { return false }
        return origins.allSatisfy { o in allowedOrigins.contains { Self.canonical($0) == o } }
    }

    static func canonical(_ origin: String) -> String {
        var s = origin.trimmingCharacters(in: .whitespaces).lowercased()
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }

    struct File: Decodable {
        var chat: Chat?

        struct Chat: Decodable {
            var allowedOrigins: [String]?
            var maxFrameBytes: Int?
            var messagesPerMinute: Int?
            var maxMessageLength: Int?
        }
    }

    /// Reads the `chat` section of a chat channel's file; nil when there is none (the channel then takes
    /// no WebSocket visitors, only `POST /api/v1/inbound`).
    public static func parse(_ yaml: String, id: String, file: String) throws -> ChatChannelConfig? {
        func fail(_ field: String, _ reason: String) -> ChannelConfigError { ChannelConfigError(file: file, field: field, reason: reason) }
        let f = try ChannelDirectory.decode(File.self, yaml, file: file)
        guard let c = f.chat else { return nil }
        guard let origins = c.allowedOrigins, !origins.isEmpty else {
            throw fail("chat.allowedOrigins", "is required: the sites that embed the chat, like https://shop.example (or \"*\" for any)")
        }
        for origin in origins where origin != "*" {
            guard let url = URLComponents(string: origin.trimmingCharacters(in: .whitespaces)),
                  let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host, !host.isEmpty, url.path.isEmpty || url.path == "/", url.query == nil, url.fragment == nil else {
                throw fail("chat.allowedOrigins", "'\(origin)' is not an origin like https://shop.example (scheme, host and port only)")
            }
        }
        let frame = c.maxFrameBytes ?? 16384
        guard (256...(1 << 20)).contains(frame) else { throw fail("chat.maxFrameBytes", "must be between 256 and 1048576") }
        let rate = c.messagesPerMinute ?? 30
        guard (1...600).contains(rate) else { throw fail("chat.messagesPerMinute", "must be between 1 and 600") }
        let length = c.maxMessageLength ?? 4000
        guard (1...100_000).contains(length) else { throw fail("chat.maxMessageLength", "must be between 1 and 100000") }
        return ChatChannelConfig(channel: id, allowedOrigins: origins.map { $0 == "*" ? "*" : canonical($0) }, maxFrameBytes: frame,
                                 messagesPerMinute: rate, maxMessageLength: length)
    }
}
