import HeapModule

/// The upcoming warnings and breaches, at most one per (ticket, metric), earliest first.
///
/// A min-heap of instants plus a table of the one live entry per key. Rescheduling or cancelling only
/// updates the table; the superseded heap entry stays behind and is skipped when it surfaces, and the
/// heap is rebuilt from the table when stale entries outnumber live ones. Both operations are therefore
/// O(log n) with no search, and a timer costs a heap slot and a table slot (see `bytesPerTimer`).
public struct SLATimerQueue: Sendable {
    public struct Key: Hashable, Sendable {
        public var ticketID: Int64
        public var metric: SLAMetric

        public init(ticketID: Int64, metric: SLAMetric) {
            self.ticketID = ticketID
            self.metric = metric
        }
    }

    /// What fires, for which cycle of the clock, at which instant (seconds since 1970).
    public struct Timer: Equatable, Sendable {
        public var at: Double
        public var kind: SLAFiring.Kind
        public var cycle: Int32

        public init(at: Double, kind: SLAFiring.Kind, cycle: Int32) {
            self.at = at
            self.kind = kind
            self.cycle = cycle
        }
    }

    struct Entry: Comparable {
        var at: Double
        var ticketID: Int64
        var metric: SLAMetric
        var kind: SLAFiring.Kind
        var cycle: Int32

        static func < (a: Entry, b: Entry) -> Bool { a.at < b.at || (a.at == b.at && a.ticketID < b.ticketID) }
        static func == (a: Entry, b: Entry) -> Bool {
            a.at == b.at && a.ticketID == b.ticketID && a.metric == b.metric && a.kind == b.kind && a.cycle == b.cycle
        }
    }

    private var heap = Heap<Entry>()
    private var live: [Key: Timer] = [:]

    public init() {}

    /// Builds the queue from a list in O(n), for the rebuild on start; a later duplicate key wins (the
    /// earlier one stays in the heap as a stale entry and is skipped).
    public init(_ timers: [(Key, Timer)]) {
        live.reserveCapacity(timers.count)
        var entries: [Entry] = []
        entries.reserveCapacity(timers.count)
        for (key, timer) in timers {
            live[key] = timer
            entries.append(Entry(at: timer.at, ticketID: key.ticketID, metric: key.metric, kind: timer.kind, cycle: timer.cycle))
        }
        heap = Heap(entries)
    }

    /// Every live timer, in no particular order.
    public var timers: [(Key, Timer)] { live.map { ($0.key, $0.value) } }

    /// Live timers.
    public var count: Int { live.count }

    public func timer(for key: Key) -> Timer? { live[key] }

    /// Sets (or replaces) the timer of `key`; nil cancels it.
    public mutating func schedule(_ key: Key, _ timer: Timer?) {
        guard let timer else {
            cancel(key)
            return
        }
        if live.updateValue(timer, forKey: key) == timer { return }
        heap.insert(Entry(at: timer.at, ticketID: key.ticketID, metric: key.metric, kind: timer.kind, cycle: timer.cycle))
        compactIfNeeded()
    }

    public mutating func cancel(_ key: Key) {
        if live.removeValue(forKey: key) != nil { compactIfNeeded() }
    }

    /// The earliest live instant, if any.
    public mutating func nextInstant() -> Double? {
        dropStale()
        return heap.min?.at
    }

    /// Removes and returns every live timer due at or before `now`, earliest first, at most `limit`.
    public mutating func popDue(now: Double, limit: Int = .max) -> [(Key, Timer)] {
        var due: [(Key, Timer)] = []
        while due.count < limit {
            dropStale()
            guard let top = heap.min, top.at <= now else { break }
            heap.removeMin()
            let key = Key(ticketID: top.ticketID, metric: top.metric)
            if let timer = live.removeValue(forKey: key) { due.append((key, timer)) }
        }
        return due
    }

    /// Reserves room for `n` timers, for a rebuild whose size is known.
    public mutating func reserveCapacity(_ n: Int) {
        live.reserveCapacity(n)
    }

    /// Heap slots plus table slots, per live timer: what a timer costs in memory, for the benchmark.
    public var bytesPerTimer: Double {
        guard !live.isEmpty else { return 0 }
        let heapBytes = Double(heap.count * MemoryLayout<Entry>.stride)
        let tableBytes = Double(live.capacity) * Double(MemoryLayout<Key>.stride + MemoryLayout<Timer>.stride) + Double(live.capacity) / 8
        return (heapBytes + tableBytes) / Double(live.count)
    }

    private mutating func dropStale() {
        while let top = heap.min {
            let key = Key(ticketID: top.ticketID, metric: top.metric)
            if let timer = live[key], timer.at == top.at, timer.kind == top.kind, timer.cycle == top.cycle { return }
            heap.removeMin()
        }
    }

    private mutating func compactIfNeeded() {
        guard heap.count > 1024, heap.count > 2 * live.count else { return }
        heap = Heap(live.map { Entry(at: $0.value.at, ticketID: $0.key.ticketID, metric: $0.key.metric, kind: $0.value.kind, cycle: $0.value.cycle) })
    }
}
