import Foundation
import PishkhanCore

/// The web-chat side of a chat channel (`Channels/<name>.yaml`, section `chat`): which web pages may open
/// the visitor WebSocket, how large a frame may be, how fast one connection may send, and the hosted page.
public struct ChatChannelConfig: Sendable, Equatable {
    /// The languages the chat widget speaks.
    public enum Locale: String, Sendable, CaseIterable {
        case en, fa

        /// `fa`, `fa-IR`, `FA` → `.fa`; anything that is not a locale the widget has is nil.
        public init?(tag: String) {
            let language = tag.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { $0.lowercased() } ?? ""
            self.init(rawValue: language)
        }
    }

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
    /// The language of the hosted page `/chat/<channel>` when the link does not ask for one.
    public var locale: Locale
    /// Whether the server hosts the chat page `/chat/<channel>`, whose own origin may then open the chat.
    public var hostedPage: Bool

    public init(channel: String, allowedOrigins: [String], maxFrameBytes: Int = 16384, messagesPerMinute: Int = 30,
                maxMessageLength: Int = 4000, locale: Locale = .en, hostedPage: Bool = true) {
        self.channel = channel
        self.allowedOrigins = allowedOrigins
        self.maxFrameBytes = maxFrameBytes
        self.messagesPerMinute = messagesPerMinute
        self.maxMessageLength = maxMessageLength
        self.locale = locale
        self.hostedPage = hostedPage
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

    /// Whether a page with this `Origin` may connect to a server reached as `host` (the request's Host,
    /// `host[:port]`): an allowed origin, or, with the hosted page on, the server's own origin, which is
    /// where `/chat/<channel>` runs. Only `http`/`https` origins whose host and port are exactly the Host
    /// count; a browser on another site's page sends that site as Origin, never our Host. (The scheme is
    /// not compared: behind a TLS proxy the page is https while this server hears http.)
    public func allows(origin header: String?, host: String?) -> Bool {
        if allows(origin: header) { return true }
        guard hostedPage, let header, !header.contains(","), let host = host.map(Self.canonical), !host.isEmpty,
              let url = URLComponents(string: Self.canonical(header)), let scheme = url.scheme, scheme == "http" || scheme == "https",
              let originHost = url.host, !originHost.isEmpty, url.path.isEmpty, url.query == nil, url.user == nil else { return false }
        let defaultPort = scheme == "https" ? 443 : 80
        func authority(_ name: String, _ port: Int?) -> String {
            guard let port, port != defaultPort else { return name }
            return "\(name):\(port)"
        }
        // Host may name the default port explicitly; a serialized origin never does (RFC 6454 §6.2).
        guard let hostParts = URLComponents(string: "//" + host), let hostName = hostParts.host, hostParts.path.isEmpty else { return false }
        return authority(originHost, url.port) == authority(hostName, hostParts.port)
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
            var locale: String?
            var hostedPage: Bool?
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
        var locale = Locale.en
        if let tag = c.locale {
            guard let parsed = Locale(rawValue: tag) else {
                throw fail("chat.locale", "'\(tag)' is not one of \(Locale.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            locale = parsed
        }
        return ChatChannelConfig(channel: id, allowedOrigins: origins.map { $0 == "*" ? "*" : canonical($0) }, maxFrameBytes: frame,
                                 messagesPerMinute: rate, maxMessageLength: length, locale: locale, hostedPage: c.hostedPage ?? true)
    }
}
