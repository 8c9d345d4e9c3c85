import Foundation
import Logging
import PishkhanCore
import PishkhanStore
import ServiceLifecycle
import Synchronization

/// Fires SLA warnings and breaches when they fall due. Holds the upcoming instants in memory
/// (`SLATimerQueue`), rebuilt from the store on start and kept current by the store's commit-ordered
/// feed; the store records each firing exactly once, so a restart between due time and firing, or a
/// stale timer, cannot double anything.
public final class SLAScheduler: Service, Sendable {
    private let store: any Store
    private let clock: any WallClock
    private let tick: Duration
    private let logger: Logger
    private let metrics: ServerMetrics?
    private let queue = Mutex(SLATimerQueue())
    /// How often the store is swept for due clocks this process has no timer for: those another process
    /// of the cluster set, or one a crash lost.
    private let sweep: Duration
    /// How many clocks one transaction fires at most.
    static let batch = 512

    public init(
        store: any Store, clock: any WallClock = SystemWallClock(), tick: Duration = .milliseconds(10), sweep: Duration = .seconds(1),
        logger: Logger, metrics: ServerMetrics? = nil
    ) {
        self.store = store
        self.sweep = sweep
        self.metrics = metrics
        self.clock = clock
        self.tick = tick
        self.logger = logger
    }

    /// Subscribes to clock changes, then loads every pending timer. Returns how many there are.
    @discardableResult
    public func rebuild() async throws -> Int {
        store.slaTimers.subscribe { [weak self] updates in self?.apply(updates) }
        let loaded = SLATimerQueue(try await store.pendingSLATimers())
        return queue.withLock { q in
            // Changes announced while the rebuild read the table are newer than what it read.
            let newer = q.timers
            q = loaded
            for (key, timer) in newer { q.schedule(key, timer) }
            return q.count
        }
    }

    func apply(_ updates: [SLATimerUpdate]) {
        queue.withLock { q in
            for u in updates { q.schedule(u.key, u.timer) }
        }
    }

    /// Live timers.
    public var pending: Int { queue.withLock { $0.count } }

    /// Fires what the store says is due, whoever set the timer. Returns the alerts this process recorded.
    @discardableResult
    public func sweepStore() async throws -> [SLAAlert] {
        var alerts: [SLAAlert] = []
        while true {
            let due = try await store.dueSLATimers(limit: Self.batch)
            if due.isEmpty { return alerts }
            let fired = try await store.fireSLA(due)
            alerts += fired
            // Fired elsewhere meanwhile, or stale: what is left is for the next sweep.
            if due.count < Self.batch || fired.isEmpty { return alerts }
        }
    }

    /// Records everything due by now, in batches. A batch that fails goes back into the queue.
    @discardableResult
    public func fireDue() async throws -> [SLAAlert] {
        let now = clock.now().timeIntervalSince1970
        var alerts: [SLAAlert] = []
        while true {
            let due = queue.withLock { $0.popDue(now: now, limit: Self.batch) }
            if due.isEmpty { return alerts }
            do {
                alerts += try await store.fireSLA(due.map(\.0))
            } catch {
                queue.withLock { q in
                    for (key, timer) in due where q.timer(for: key) == nil { q.schedule(key, timer) }
                }
                throw error
            }
        }
    }

    public func run() async throws {
        let count = try await rebuild()
        logger.info("SLA schedule rebuilt", metadata: ["timers": "\(count)"])
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        var failures = 0
        var lastSweep = ContinuousClock.now
        while !Task.isCancelled {
            do {
                var alerts = try await fireDue()
                if ContinuousClock.now - lastSweep >= sweep {
                    lastSweep = .now
                    alerts += try await sweepStore()
                }
                for alert in alerts {
                    logger.notice("SLA \(alert.kind.rawValue)", metadata: [
                        "ticket": "\(alert.ticketID)", "metric": "\(alert.metric.rawValue)", "policy": "\(alert.policy)",
                    ])
                    metrics?.slaFired(kind: alert.kind.rawValue, metric: alert.metric.rawValue).increment()
                    metrics?.slaLag.record(.milliseconds(Int64(max(0, alert.recordedAt.timeIntervalSince(alert.dueAt)) * 1000)))
                }
                metrics?.slaTimers.set(Double(pending))
                failures = 0
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                logger.error("SLA firing failed; retrying", metadata: ["error": "\(error)", "attempt": "\(failures)"])
                try? await Task.sleep(for: .milliseconds(min(5000, 100 << min(failures, 6))))
            }
            try? await Task.sleep(for: tick)
        }
    }
}
