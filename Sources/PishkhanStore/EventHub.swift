import Foundation
import Synchronization

/// Tells live followers the newest committed event sequence number. Followers read the events themselves
/// from the store, so a slow or reconnecting follower loses nothing: the hub only says "there is more".
public final class EventHub: Sendable {
    private struct State {
        var latest: Int64 = 0
        var subscribers: [UInt64: AsyncStream<Int64>.Continuation] = [:]
        var nextID: UInt64 = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// A stream of sequence numbers; the newest value wins when a follower falls behind.
    public func subscribe() -> AsyncStream<Int64> {
        let (stream, continuation) = AsyncStream<Int64>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            s.subscribers[s.nextID] = continuation
            if s.latest > 0 { continuation.yield(s.latest) }
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Called after a commit that wrote events up to `seq`.
    public func publish(_ seq: Int64) {
        let subscribers = state.withLock { s -> [AsyncStream<Int64>.Continuation] in
            guard seq > s.latest else { return [] }
            s.latest = seq
            return Array(s.subscribers.values)
        }
        for c in subscribers { c.yield(seq) }
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}
