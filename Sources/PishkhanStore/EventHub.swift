import Foundation
import PishkhanCore
import Synchronization

/// Tells live followers the newest committed event sequence number. Followers read the events themselves
/// from the store, so a slow or reconnecting follower loses nothing: the hub only says "there is more".
///
/// A store whose commits all happen in this process (SQLite) also hands the hub the events it just
/// committed, and `recent(after:limit:)` gives them back without a read, but only as a run with no gap
/// from `after + 1` through the newest published number; anything else (an older cursor, a commit not yet
/// published, a hub that was given no events) is read from the tables as before.
public final class EventHub: Sendable {
    /// An event as committed: the stored row's fields, its data as the stored JSON text.
    struct Committed: Sendable {
        var seq: Int64
        var type: EventType
        var ticketID: Int64?
        var customerID: Int64?
        var occurredAt: Double
        var data: String

        var event: Event {
            Event(seq: seq, type: type, ticketID: ticketID, customerID: customerID, occurredAt: occurredAt.date, data: JSONText.object(data))
        }
    }

    private struct State {
        var latest: Int64 = 0
        var subscribers: [UInt64: AsyncStream<Int64>.Continuation] = [:]
        var nextID: UInt64 = 0
        /// The newest committed events, by sequence number, ascending.
        var recent: [Committed] = []
    }

    /// How many recent events are kept (up to twice as many between trims).
    static let recentCapacity = 4096
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
        publish(seq, committed: [])
    }

    /// Called after a commit that wrote `committed` (ascending), the newest numbered `seq`.
    func publish(_ seq: Int64, committed: [Committed]) {
        let subscribers = state.withLock { s -> [AsyncStream<Int64>.Continuation] in
            if !committed.isEmpty {
                if let last = s.recent.last, let first = committed.first, first.seq <= last.seq {
                    // Published out of commit order (two writers' callers racing after their commits): kept sorted.
                    s.recent.append(contentsOf: committed)
                    s.recent.sort { $0.seq < $1.seq }
                } else {
                    s.recent.append(contentsOf: committed)
                }
                if s.recent.count > 2 * Self.recentCapacity { s.recent.removeFirst(s.recent.count - Self.recentCapacity) }
            }
            guard seq > s.latest else { return [] }
            s.latest = seq
            return Array(s.subscribers.values)
        }
        for c in subscribers { c.yield(seq) }
    }

    /// Up to `limit` events after `after`, from memory, when the hub holds every one from `after + 1`
    /// through the newest published; nil when the caller must read the tables.
    func recent(after: Int64, limit: Int) -> [Event]? {
        let run = state.withLock { s -> ArraySlice<Committed>? in
            guard s.latest > after else { return [] }
            guard let start = Self.firstIndex(in: s.recent, after: after), s.recent[start].seq == after + 1 else { return nil }
            let wanted = Int(s.latest - after)
            let end = start + wanted
            guard end <= s.recent.count, s.recent[end - 1].seq == s.latest else { return nil }
            return s.recent[start..<min(end, start + max(1, limit))]
        }
        return run.map { $0.map(\.event) }
    }

    /// The index of the first event numbered above `after`, if any.
    private static func firstIndex(in events: [Committed], after: Int64) -> Int? {
        var low = 0
        var high = events.count
        while low < high {
            let mid = (low + high) / 2
            if events[mid].seq <= after { low = mid + 1 } else { high = mid }
        }
        return low < events.count ? low : nil
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}
