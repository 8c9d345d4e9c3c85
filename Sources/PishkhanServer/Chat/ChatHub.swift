import Foundation
import Logging
import PishkhanCore
import PishkhanStore
import ServiceLifecycle
import Synchronization

/// The one follower of the store's commits for every web-chat connection of this server. After each
/// commit it reads the new agent replies and bot answers on chat channels once, marks them sent (a chat
/// reply is delivered by being stored for the visitor's replay), and hands each to the open connections
/// of its visitors. Ten thousand idle visitors cost one query per commit, not ten thousand.
///
/// Connections never depend on it for completeness: each replays from the store after its `lastSeq`
/// before taking live replies, and skips ids it has already sent.
public final class ChatHub: Service, Sendable {
    fileprivate struct Key: Hashable {
        var channel: String
        var visitor: String
    }

    private struct State {
        var connections: [Key: [UInt64: AsyncStream<Message>.Continuation]] = [:]
        var nextID: UInt64 = 0
    }

    let store: any Store
    let channels: Set<String>
    let logger: Logger
    private let state = Mutex(State())

    public init(store: any Store, channels: Set<String>, logger: Logger = Logger(label: "pishkhan.chat")) {
        self.store = store
        self.channels = channels
        self.logger = logger
    }

    /// A visitor connection's live replies, in commit order.
    struct Subscription: ~Copyable {
        let hub: ChatHub
        fileprivate let key: Key
        let id: UInt64
        let replies: AsyncStream<Message>

        deinit { hub.disconnect(key, id) }
    }

    /// Live replies for one visitor connection, until the subscription is dropped.
    func connect(channel: String, visitor: String) -> Subscription {
        let (stream, continuation) = AsyncStream<Message>.makeStream()
        let key = Key(channel: channel, visitor: visitor)
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            s.connections[key, default: [:]][s.nextID] = continuation
            return s.nextID
        }
        return Subscription(hub: self, key: key, id: id, replies: stream)
    }

    private func disconnect(_ key: Key, _ id: UInt64) {
        let continuation = state.withLock { s -> AsyncStream<Message>.Continuation? in
            let c = s.connections[key]?.removeValue(forKey: id)
            if s.connections[key]?.isEmpty == true { s.connections.removeValue(forKey: key) }
            return c
        }
        continuation?.finish()
    }

    /// Open visitor connections on this server.
    public var connectionCount: Int { state.withLock { $0.connections.values.reduce(0) { $0 + $1.count } } }

    public func run() async throws {
        // A service that returns stops the application, so with nothing to follow it waits for the end.
        guard !channels.isEmpty else { return try await gracefulShutdown() }
        // Subscribed before the watermark is read, so nothing committed in between is missed.
        let signals = store.events.subscribe()
        let start = try await store.latestMessageID()
        // Replies queued while the server was down are stored for replay: sent.
        do {
            while try await store.markStoredChatRepliesSent(channels: channels, limit: 500) == 500 {}
        } catch {
            logger.error("chat replies not marked sent", metadata: ["error": "\(error)"])
        }
        await cancelWhenGracefulShutdown {
            var last = start
            for await _ in signals {
                do {
                    try await self.deliver(after: &last)
                } catch {
                    self.logger.error("chat replies not delivered", metadata: ["error": "\(error)"])
                }
            }
        }
        state.withLock { s in
            for continuations in s.connections.values { for c in continuations.values { c.finish() } }
        }
    }

    /// One round: everything committed after `last`, marked sent, then handed to open connections.
    func deliver(after last: inout Int64) async throws {
        while true {
            let batch = try await store.chatReplies(channels: channels, after: last, limit: 500)
            guard !batch.isEmpty else { return }
            // Marked before it is written to a connection, so a visitor who has the frame never finds
            // its outbox row still queued.
            let queued = batch.map(\.message).filter { $0.deliveryStatus == .queued || $0.deliveryStatus == .sending }
            try await store.markChatSent(messageIDs: queued.map(\.id))
            for reply in batch {
                var message = reply.message
                if message.deliveryStatus == .queued || message.deliveryStatus == .sending { message.deliveryStatus = .sent }
                let targets = state.withLock { s in
                    reply.visitors.flatMap { s.connections[Key(channel: reply.channel, visitor: $0)].map { Array($0.values) } ?? [] }
                }
                for c in targets { c.yield(message) }
                last = message.id
            }
            if batch.count < 500 { return }
        }
    }
}
