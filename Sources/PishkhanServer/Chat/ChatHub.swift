import Foundation
import Logging
import PishkhanCore
import PishkhanStore
import ServiceLifecycle
import Synchronization

/// The one follower of the store's commits for every web-chat connection of this server. It takes the new
/// events from the server's `EventFanout` (one read per commit for the whole server), picks out agent
/// replies and bot answers on chat channels, reads those once, marks them sent (a chat reply is delivered
/// by being stored for the visitor's replay), and hands each to the open connections of its visitors.
/// Ten thousand idle visitors cost nothing per commit; a commit without chat replies costs no query.
///
/// Connections never depend on it for completeness: each replays from the store after its `lastSeq`
/// before taking live replies, and skips ids it has already sent.
public final class ChatHub: Service, Sendable {
    fileprivate struct Key: Hashable {
        var channel: String
        var visitor: String
    }

    private struct State {
        var connections: [Key: [UInt64: VisitorPush]] = [:]
        var nextID: UInt64 = 0
    }

    let store: any Store
    let channels: Set<String>
    let logger: Logger
    /// The server's new events, read once by `EventFanout`; nil without chat channels.
    private let batches: AsyncStream<[Event]>?
    private let state = Mutex(State())

    /// Takes its events from `fanout`, which must not have started yet.
    public init(store: any Store, channels: Set<String>, fanout: EventFanout, logger: Logger = Logger(label: "pishkhan.chat")) {
        self.store = store
        self.channels = channels
        self.logger = logger
        self.batches = channels.isEmpty ? nil : fanout.eventBatches()
    }

    /// A visitor connection's place in the hub, until it is dropped.
    struct Subscription: ~Copyable {
        let hub: ChatHub
        fileprivate let key: Key
        let id: UInt64
        let push: VisitorPush

        deinit { hub.disconnect(key, id) }
    }

    /// Registers a connection; replies are held until `push.goLive(after:)`, then written with `write`.
    func connect(channel: String, visitor: String, write: @escaping @Sendable (Message) async throws -> Void) -> Subscription {
        let key = Key(channel: channel, visitor: visitor)
        let push = VisitorPush(write: write)
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            s.connections[key, default: [:]][s.nextID] = push
            return s.nextID
        }
        return Subscription(hub: self, key: key, id: id, push: push)
    }

    private func disconnect(_ key: Key, _ id: UInt64) {
        let push = state.withLock { s -> VisitorPush? in
            let p = s.connections[key]?.removeValue(forKey: id)
            if s.connections[key]?.isEmpty == true { s.connections.removeValue(forKey: key) }
            return p
        }
        push?.close()
    }

    /// Open visitor connections on this server.
    public var connectionCount: Int { state.withLock { $0.connections.values.reduce(0) { $0 + $1.count } } }

    public func run() async throws {
        // A service that returns stops the application, so with nothing to follow it waits for the end.
        guard let batches else { return try await gracefulShutdown() }
        // Replies queued while the server was down are stored for replay: sent. Anything committed since
        // the fan-out's start comes through `batches` as well; marking a reply sent twice is harmless and
        // connections skip ids they have already written.
        do {
            while try await store.markStoredChatRepliesSent(channels: channels, limit: 500) == 500 {}
        } catch {
            logger.error("chat replies not marked sent", metadata: ["error": "\(error)"])
        }
        await cancelWhenGracefulShutdown {
            // Replies that could not be delivered yet (the store failed): tried again with the next batch.
            // Only their ids are kept, so an outage holds no other event in memory.
            var waiting: [Int64] = []
            for await events in batches {
                waiting += self.replyIDs(in: events)
                guard !waiting.isEmpty else { continue }
                do {
                    try await self.deliver(waiting)
                    waiting = []
                } catch {
                    self.logger.error("chat replies not delivered", metadata: ["error": "\(error)"])
                }
            }
        }
        state.withLock { s in
            for pushes in s.connections.values { for p in pushes.values { p.close() } }
        }
    }

    /// The message ids of the agent replies and bot answers on this server's chat channels among `events`.
    /// Events come in commit order, which is the event sequence in every backend, not the message id: with
    /// several processes writing, a reply can commit after one with a higher id, and an id cursor would
    /// pass it by.
    func replyIDs(in events: [Event]) -> [Int64] {
        var wanted: [Int64] = []
        for event in events where event.type == .messageAdded {
            guard case .string(let kind)? = event.data["kind"], kind == MessageKind.outbound.rawValue || kind == MessageKind.bot.rawValue,
                  case .string(let channel)? = event.data["channel"], channels.contains(channel),
                  case .number(let id)? = event.data["messageID"] else { continue }
            wanted.append(Int64(id))
        }
        return wanted
    }

    /// One round: the replies `wanted`, marked sent, then handed to open connections.
    func deliver(_ wanted: [Int64]) async throws {
        guard let lowest = wanted.min(), let highest = wanted.max() else { return }
        var pending = Set(wanted)
        var replies: [ChatReply] = []
        var after = lowest - 1
        while !pending.isEmpty, after < highest {
            let batch = try await store.chatReplies(channels: channels, after: after, limit: 500)
            guard let tail = batch.last else { break }
            replies += batch.filter { pending.remove($0.message.id) != nil }
            after = tail.message.id
        }
        try await push(replies)
    }

    /// Marks `replies` sent (before any is written to a connection, so a visitor who has the frame never
    /// finds its outbox row still queued), then hands each to its visitors' open connections.
    private func push(_ replies: [ChatReply]) async throws {
        let queued = replies.map(\.message).filter { $0.deliveryStatus == .queued || $0.deliveryStatus == .sending }
        try await store.markChatSent(messageIDs: queued.map(\.id))
        for reply in replies {
            var message = reply.message
            if message.deliveryStatus == .queued || message.deliveryStatus == .sending { message.deliveryStatus = .sent }
            let targets = state.withLock { s in
                reply.visitors.flatMap { s.connections[Key(channel: reply.channel, visitor: $0)].map { Array($0.values) } ?? [] }
            }
            for push in targets { push.enqueue(message) }
        }
    }
}

/// One visitor connection's live replies: held until its replay has been sent, then written in commit order
/// by a short-lived task that runs only while there is something to write, so an idle connection holds no
/// task of its own. Ids at or below the last one sent are skipped.
final class VisitorPush: Sendable {
    private struct State {
        var pending: [Message] = []
        var live = false
        var draining = false
        var closed = false
        var last: Int64 = 0

        /// Whether the caller should start the one drainer.
        mutating func startDraining() -> Bool {
            guard live, !draining, !closed, !pending.isEmpty else { return false }
            draining = true
            return true
        }
    }

    private let state = Mutex(State())
    private let write: @Sendable (Message) async throws -> Void

    init(write: @escaping @Sendable (Message) async throws -> Void) {
        self.write = write
    }

    func enqueue(_ message: Message) {
        let start = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            s.pending.append(message)
            return s.startDraining()
        }
        if start { Task { await drain() } }
    }

    /// The replay is written up to `last`: from now on replies go out as they come.
    func goLive(after last: Int64) {
        let start = state.withLock { s -> Bool in
            s.live = true
            s.last = max(s.last, last)
            return s.startDraining()
        }
        if start { Task { await drain() } }
    }

    func close() {
        state.withLock { s in
            s.closed = true
            s.pending = []
        }
    }

    private func drain() async {
        while true {
            let (batch, last) = state.withLock { s -> ([Message], Int64) in
                guard !s.closed, !s.pending.isEmpty else {
                    s.draining = false
                    return ([], s.last)
                }
                defer { s.pending = [] }
                return (s.pending, s.last)
            }
            guard !batch.isEmpty else { return }
            var newest = last
            for message in batch where message.id > newest {
                do {
                    try await write(message)
                } catch {
                    close()
                    state.withLock { $0.draining = false }
                    return
                }
                newest = message.id
            }
            state.withLock { $0.last = max($0.last, newest) }
        }
    }
}
