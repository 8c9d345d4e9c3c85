import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanStore
import Synchronization

/// `GET /ws/chat/{channel}`: the web-chat visitor's WebSocket (Channels/chat-protocol.md). The page's
/// Origin must be allowed by the channel's `chat` section. A visitor says `hello` (with the signed token
/// from an earlier visit, if any), gets `welcome` and every agent or bot message after their `lastSeq`,
/// then live ones as they commit. A `message` goes through Intake and is acked only once it is stored.
struct ChatSocket: Sendable {
    let store: any Store
    let channels: ChannelDirectory
    let rules: PriorityRules
    let keys: VisitorKeys
    let hub: ChatHub

    static let secretSetting = "chat.visitor-secret"

    func register(on router: Router<PishkhanRequestContext>) {
        router.ws("/ws/chat/{channel}", shouldUpgrade: { request, context in
            let id = context.parameters.get("channel") ?? ""
            guard let settings = channels[id], settings.kind == .chat, let config = channels.chat[id] else {
                throw Problem(status: .notFound, title: "Not Found", detail: "no web-chat channel '\(id)'")
            }
            guard config.allows(origin: request.headers[.origin], host: request.head.authority) else {
                context.logger.notice("chat connection refused", metadata: ["channel": "\(id)", "origin": "\(request.headers[.origin] ?? "none")"])
                throw Problem(status: .forbidden, title: "Forbidden", detail: "this page's origin may not open the chat")
            }
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            let id = context.requestContext.parameters.get("channel") ?? ""
            guard let settings = channels[id], let config = channels.chat[id] else { return }
            try await ChatSession(socket: self, channel: settings, config: config, outbound: outbound, logger: context.logger)
                .run(inbound.messages(maxSize: config.maxFrameBytes))
        })
    }
}

/// The visitor-token signer, keyed by `PISHKHAN_CHAT_SECRET` when set, otherwise by a secret generated
/// once and kept in the database, so tokens survive restarts and work on every server sharing it.
final class VisitorKeys: Sendable {
    private let configured: String?
    private let signer = Mutex<VisitorTokenSigner?>(nil)

    init(secret: String?) {
        configured = secret.flatMap { $0.isEmpty ? nil : $0 }
    }

    func signer(_ store: any Store) async throws -> VisitorTokenSigner {
        if let s = signer.withLock({ $0 }) { return s }
        var secret = configured ?? ""
        if secret.isEmpty {
            secret = try await store.setting(ChatSocket.secretSetting, insertingIfAbsent: VisitorTokenSigner.newSecret())
        }
        let made = VisitorTokenSigner(secret: Data(secret.utf8))
        signer.withLock { $0 = made }
        return made
    }
}

/// One visitor connection.
struct ChatSession {
    let socket: ChatSocket
    let channel: ChannelSettings
    let config: ChatChannelConfig
    let outbound: WebSocketOutboundWriter
    let logger: Logger

    func run(_ frames: WebSocketInboundMessageStream) async throws {
        var iterator = frames.makeAsyncIterator()
        // The first frame must be hello: it says who the visitor is.
        let visitor: String
        var name: String?
        var contacts: [InboundMessage.Contact] = []
        var lastSeq: Int64 = 0
        while true {
            guard let frame = try await nextFrame(&iterator) else { return }
            guard frame.type == "hello" else {
                try await send(ChatFrame.Error(code: .helloRequired, message: "say hello first", id: frame.id))
                continue
            }
            let signer = try await socket.keys.signer(socket.store)
            if let token = frame.visitorToken {
                guard let id = signer.visitorID(from: token) else {
                    try await send(ChatFrame.Error(code: .badToken, message: "this visitor token is not valid; say hello without one"))
                    try await outbound.close(.policyViolation, reason: "bad visitor token")
                    return
                }
                visitor = id
            } else {
                visitor = VisitorTokenSigner.newVisitorID()
            }
            name = frame.name.map { String($0.trimmingCharacters(in: .whitespacesAndNewlines).prefix(100)) }.flatMap { $0.isEmpty ? nil : $0 }
            lastSeq = max(0, frame.lastSeq ?? 0)
            // Typed by whoever holds the page: kept with this visitor's customer, never used to find another.
            for (kind, value) in [(IdentityKind.email, frame.email), (.phone, frame.phone)] {
                if let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty, value.utf8.count <= 254 {
                    contacts.append(.init(kind: kind, address: value, verified: false))
                }
            }
            try await send(ChatFrame.Welcome(
                visitorToken: signer.token(for: visitor), conversation: .init(channel: channel.id, visitorID: visitor),
                maxMessageLength: config.maxMessageLength, messagesPerMinute: config.messagesPerMinute))
            break
        }
        // Connected to the hub before the replay, so a reply committed during it is held and goes out right
        // after; the replay ends before any frame of the visitor is answered. Ids make each reply go out once.
        let subscription = socket.hub.connect(channel: channel.id, visitor: visitor) { message in
            try await send(ChatFrame.Message(message))
        }
        try await replay(visitor: visitor, after: &lastSeq)
        subscription.push.goLive(after: lastSeq)
        var limit = MessageRateLimit(limit: config.messagesPerMinute)
        while let frame = try await nextFrame(&iterator) {
            try await handle(frame, visitor: visitor, name: name, contacts: contacts, limit: &limit)
        }
        _ = consume subscription
    }

    /// The next decoded frame; nil when the visitor left. Undecodable frames are answered and skipped; a
    /// frame over the size limit ends the connection.
    private func nextFrame(_ iterator: inout WebSocketInboundMessageStream.AsyncIterator) async throws -> ChatFrame.Client? {
        while true {
            let message: WebSocketMessage?
            do {
                message = try await iterator.next()
            } catch {
                try? await send(ChatFrame.Error(code: .frameTooLarge, message: "frames are limited to \(config.maxFrameBytes) bytes"))
                try? await outbound.close(.messageTooLarge, reason: nil)
                return nil
            }
            guard let message else { return nil }
            let text: String
            switch message {
            case .text(let t): text = t
            case .binary(let buffer): text = String(buffer: buffer)
            }
            // The stream only limits what continuation frames add up to; a single frame is checked here.
            guard text.utf8.count <= config.maxFrameBytes else {
                try? await send(ChatFrame.Error(code: .frameTooLarge, message: "frames are limited to \(config.maxFrameBytes) bytes"))
                try? await outbound.close(.messageTooLarge, reason: nil)
                return nil
            }
            if let frame = ChatFrame.Client(json: text) { return frame }
            try await send(ChatFrame.Error(code: .badFrame, message: "frames are JSON objects with a \"type\""))
        }
    }

    private func handle(_ frame: ChatFrame.Client, visitor: String, name: String?, contacts: [InboundMessage.Contact],
                        limit: inout MessageRateLimit) async throws {
        switch frame.type {
        case "message":
            guard let id = frame.id.map(Self.trimmingSpaces), !id.isEmpty, id.utf8.count <= 100 else {
                return try await send(ChatFrame.Error(code: .badFrame, message: "a message needs an \"id\" of 1–100 bytes"))
            }
            let text = (frame.text ?? "").trimmed
            guard !text.isEmpty else { return try await send(ChatFrame.Error(code: .badFrame, message: "a message needs a \"text\"", id: id)) }
            guard text.count <= config.maxMessageLength else {
                return try await send(ChatFrame.Error(code: .tooLong, message: "messages are limited to \(config.maxMessageLength) characters", id: id))
            }
            guard limit.allow() else {
                return try await send(ChatFrame.Error(code: .rateLimited, message: "at most \(config.messagesPerMinute) messages a minute; send it again shortly", id: id))
            }
            let inbound = InboundMessage(
                channel: channel.id, channelKind: .chat, externalID: "\(visitor):\(id)",
                sender: .init(address: visitor, displayName: name), contacts: contacts, text: text)
            let result: IngestResult
            do {
                result = try await socket.store.ingest(inbound, channel: channel, rules: socket.rules)
            } catch {
                logger.error("chat message not stored", metadata: ["channel": "\(channel.id)", "error": "\(error)"])
                return try await send(ChatFrame.Error(code: .unavailable, message: "the message was not stored; send it again", id: id))
            }
            // Committed: only now may the visitor forget it.
            try await send(ChatFrame.Ack(id: id, messageID: result.messageID, ticketID: result.ticketID, duplicate: result.duplicate ? true : nil))
        case "read":
            // Nothing is recorded; the ack lets a client know the frame arrived.
            if let id = frame.id { try await send(ChatFrame.Ack(id: id)) }
        case "typing":
            break
        case "hello":
            try await send(ChatFrame.Error(code: .badFrame, message: "hello was already said on this connection", id: frame.id))
        default:
            try await send(ChatFrame.Error(code: .badFrame, message: "unknown frame type '\(frame.type)'", id: frame.id))
        }
    }

    /// Every reply stored after `last` for this visitor, oldest first.
    private func replay(visitor: String, after last: inout Int64) async throws {
        while true {
            let batch = try await socket.store.chatMessages(channel: channel.id, visitor: visitor, after: last, limit: 200)
            for message in batch {
                try await send(ChatFrame.Message(message))
                last = message.id
            }
            if batch.count < 200 { return }
        }
    }

    private func send(_ frame: some Encodable) async throws {
        try await outbound.write(.text(ChatFrame.encode(frame)))
    }

    private func send(_ ack: ChatFrame.Ack) async throws {
        try await outbound.write(.text(ack.jsonText))
    }

    /// `trimmingCharacters(in: .whitespaces)`, which goes through NSString, only for ids that need it.
    private static func trimmingSpaces(_ id: String) -> String {
        guard let first = id.unicodeScalars.first, let last = id.unicodeScalars.last,
              first.properties.isWhitespace || last.properties.isWhitespace else { return id }
        return id.trimmingCharacters(in: .whitespaces)
    }
}
