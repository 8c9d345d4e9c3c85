import Foundation
import Logging
import PishkhanCore
import PishkhanStore
import ServiceLifecycle
import Synchronization

/// The one reader of new events in this server: after each commit it reads the new events once, hands
/// them to the readers registered with `eventBatches()` (the chat hub), encodes each once, and hands
/// the encoded frames to every `/ws/events` follower. A floor of agents costs one read and one encoding
/// per event, not one per agent, and the chat hub adds no read of its own.
///
/// A follower first catches up from the store itself (from its `after=`), then takes the shared frames,
/// skipping what it already sent; it never depends on the fan-out for completeness.
public final class EventFanout: Service, Sendable {
    struct Frame: Sendable {
        var seq: Int64
        var text: String
    }

    private struct State {
        var followers: [UInt64: AsyncStream<[Frame]>.Continuation] = [:]
        var nextID: UInt64 = 0
        var readers: [AsyncStream<[Event]>.Continuation] = []
    }

    let store: any Store
    let logger: Logger
    private let state = Mutex(State())

    public init(store: any Store, logger: Logger = Logger(label: "pishkhan.events")) {
        self.store = store
        self.logger = logger
    }

    /// A follower's live frames, in order, until the subscription is dropped.
    struct Subscription: ~Copyable {
        let fanout: EventFanout
        let id: UInt64
        let frames: AsyncStream<[Frame]>
        deinit { fanout.unsubscribe(id) }
    }

    func subscribe() -> Subscription {
        let (stream, continuation) = AsyncStream<[Frame]>.makeStream()
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            s.followers[s.nextID] = continuation
            return s.nextID
        }
        return Subscription(fanout: self, id: id, frames: stream)
    }

    private func unsubscribe(_ id: UInt64) {
        state.withLock { $0.followers.removeValue(forKey: id) }?.finish()
    }

    public var followerCount: Int { state.withLock { $0.followers.count } }

    /// Every event committed after this server's start, in commit order, in the batches they were read,
    /// for as long as the server runs. Register before `run()` starts: a reader is fed from the
    /// fan-out's starting point on, and sees no event twice.
    func eventBatches() -> AsyncStream<[Event]> {
        let (stream, continuation) = AsyncStream<[Event]>.makeStream()
        state.withLock { $0.readers.append(continuation) }
        return stream
    }

    public func run() async throws {
        let signals = store.events.subscribe()
        let start = try await store.latestEventSeq()
        await cancelWhenGracefulShutdown {
            var last = start
            for await newest in signals {
                // Nobody to hand events to: skip reading and encoding. A follower that arrives later
                // catches up from the store itself after subscribing, so it misses nothing this skipped.
                // Readers are registered before the start, so while there are none there never are.
                if self.state.withLock({ $0.followers.isEmpty && $0.readers.isEmpty }) {
                    last = max(last, newest)
                    continue
                }
                do {
                    while true {
                        let batch = try await self.store.events(after: last, limit: 500)
                        guard let newest = batch.last?.seq else { break }
                        let (readers, followers) = self.state.withLock { ($0.readers, Array($0.followers.values)) }
                        for reader in readers { reader.yield(batch) }
                        if !followers.isEmpty {
                            let frames = batch.map { Frame(seq: $0.seq, text: $0.jsonText) }
                            for follower in followers { follower.yield(frames) }
                        }
                        last = newest
                        if batch.count < 500 { break }
                    }
                } catch {
                    self.logger.error("events not read for followers", metadata: ["error": "\(error)"])
                }
            }
        }
        state.withLock { s in
            for c in s.followers.values { c.finish() }
            for c in s.readers { c.finish() }
        }
    }
}
