import Foundation
import GRDB
import PishkhanCore
import Synchronization

/// Tells the scheduler about clock changes. Updates are published from GRDB's commit hook, on the
/// single writer, so they arrive in commit order and a rolled-back change is never announced.
public final class SLATimerFeed: Sendable {
    /// The subscriber's closure, in a class of its own. A closure kept directly in the `Mutex` was wrapped
    /// in two more reabstraction thunks by every `withLock` that read it (the closure goes through the
    /// generic `inout` and is written back), so each publish called through a chain two frames longer than
    /// the last: a server slowed with every commit and would in the end overflow its stack.
    private final class Subscriber: Sendable {
        let receive: @Sendable ([SLATimerUpdate]) -> Void
        init(_ receive: @escaping @Sendable ([SLATimerUpdate]) -> Void) { self.receive = receive }
    }

    private let subscriber = Mutex<Subscriber?>(nil)

    public init() {}

    /// One subscriber, the scheduler; a new one replaces the old.
    public func subscribe(_ receive: @escaping @Sendable ([SLATimerUpdate]) -> Void) {
        let box = Subscriber(receive)
        subscriber.withLock { $0 = box }
    }

    func publish(_ updates: [SLATimerUpdate]) {
        guard !updates.isEmpty, let subscriber = subscriber.withLock({ $0 }) else { return }
        subscriber.receive(updates)
    }
}

/// Reads and writes the `sla_clocks` rows of a ticket and runs the clock state machine inside the
/// caller's transaction, so a ticket change and its clock changes commit together.
struct ClockBook {
    let db: Database
    let config: SLAConfiguration
    let now: Date

    /// What a policy is matched on, plus what a recalculation needs.
    struct Facts {
        var facts: SLATicketFacts
        var status: TicketStatus
        var createdAt: Date
        var responded: Bool
    }

    func facts(ticketID: Int64) throws -> Facts? {
        try Binder.first(db, """
            SELECT t.priority, t.channel, t.channel_kind, t.tags, c.tier, t.status, t.created_at, t.first_responded_at IS NOT NULL
            FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.id = ?
            """, { $0.int(ticketID) }, read: { row in
                let tags = row.text(3) ?? "[]"
                return Facts(
                    facts: SLATicketFacts(
                        priority: row.text(0).flatMap(Priority.init(rawValue:)) ?? .normal, channel: row.text(1) ?? "",
                        channelKind: row.text(2).flatMap(ChannelKind.init(rawValue:)) ?? .email,
                        tier: row.text(4).flatMap(CustomerTier.init(rawValue:)) ?? .standard,
                        tags: tags == "[]" ? [] : JSONText.decode([String].self, tags, default: [])),
                    status: row.text(5).flatMap(TicketStatus.init(rawValue:)) ?? .open,
                    createdAt: Date(timeIntervalSince1970: row.double(6)), responded: row.int(7) == 1)
            })
    }

    func load(ticketID: Int64) throws -> TicketClocks {
        var clocks = TicketClocks()
        try Binder.each(db, "SELECT \(Self.columns) FROM sla_clocks c WHERE c.ticket_id = ?", { $0.int(ticketID) }) { row in
            if let clock = Self.clock(row) { clocks.clocks[clock.metric] = clock }
        }
        return clocks
    }

    /// Runs inputs through the ticket's clocks, in order, and stores what changed. `inputs` sees the
    /// ticket as it is now in this transaction. Returns the changes.
    @discardableResult
    func apply(ticketID: Int64, log: inout EventLog, _ inputs: (Facts) -> [TicketClocks.Input]) throws -> [SLAClockChange] {
        guard let facts = try facts(ticketID: ticketID) else { return [] }
        let list = inputs(facts)
        guard !list.isEmpty else { return [] }
        let before = try load(ticketID: ticketID)
        let (after, changes) = Self.advance(before, facts: facts, inputs: list, config: config, now: now)
        try save(ticketID: ticketID, before: before, after: after, changes: changes, log: &log)
        return changes
    }

    /// Runs `inputs` through `clocks`, in order, under the policy the ticket matches: the state machine
    /// both backends share.
    static func advance(_ clocks: TicketClocks, facts: Facts, inputs: [TicketClocks.Input], config: SLAConfiguration,
                        now: Date) -> (TicketClocks, [SLAClockChange]) {
        var after = clocks
        let policy = config.policy(for: facts.facts)
        var changes: [SLAClockChange] = []
        for input in inputs { changes += after.apply(input, at: now, policy: policy, calendars: config.calendar(id:)) }
        return (after, changes)
    }

    /// The working time a clock event records: elapsed on the clock's calendar at `now`.
    static func elapsed(_ clock: SLAClock, config: SLAConfiguration, now: Date) -> Double {
        config.calendar(id: clock.calendarID).map { clock.elapsed(at: now, calendar: $0) } ?? clock.elapsedBefore
    }

    /// Matches the policy again and recomputes every running clock, for a change of priority, tags,
    /// tier, policies or calendars.
    @discardableResult
    func recalculate(ticketID: Int64, cause: String, log: inout EventLog) throws -> [SLAClockChange] {
        try apply(ticketID: ticketID, log: &log) { f in
            f.status == .closed ? [] : [Self.recalculation(cause, f)]
        }
    }

    static func recalculation(_ cause: String, _ f: Facts) -> TicketClocks.Input {
        .recalculate(cause: cause, createdAt: f.createdAt, responded: f.responded, status: f.status)
    }

    /// The clocks a new ticket starts with, computed before its row is inserted so the row is written
    /// once, due times included.
    func starting(_ facts: SLATicketFacts) -> (TicketClocks, [SLAClockChange]) {
        var clocks = TicketClocks()
        guard let policy = config.policy(for: facts) else { return (clocks, []) }
        let changes = clocks.apply(.created, at: now, policy: policy, calendars: config.calendar(id:))
        return (clocks, changes)
    }

    /// The ticket's SLA columns for `clocks`: policy, the due time of each running clock, and the
    /// earliest of them for the queue.
    struct TicketColumns {
        var policy: String?
        var firstResponse: Double?
        var nextResponse: Double?
        var resolution: Double?
        var dueSort: Double
    }

    static func ticketColumns(_ clocks: TicketClocks) -> TicketColumns {
        func due(_ m: SLAMetric) -> Double? {
            guard let c = clocks.clocks[m], c.status == .running else { return nil }
            return c.dueAt.map(storable)
        }
        let (fr, nr, res) = (due(.firstResponse), due(.nextResponse), due(.resolution))
        return TicketColumns(policy: clocks.policyID, firstResponse: fr, nextResponse: nr, resolution: res,
                             dueSort: [fr, nr, res].compactMap { $0 }.min() ?? TicketSQL.noDue)
    }

    /// Writes changed clocks, one clock event per change, the ticket's due columns, and queues the
    /// timer updates for after commit.
    func save(ticketID: Int64, before: TicketClocks, after: TicketClocks, changes: [SLAClockChange], log: inout EventLog,
              updateTicket: Bool = true) throws {
        guard before != after || !changes.isEmpty else { return }
        let t = now.timeIntervalSince1970
        for metric in SLAMetric.allCases {
            guard let clock = after.clocks[metric], clock != before.clocks[metric] else { continue }
            let next = clock.nextFiring
            try Binder.execute(db, """
                INSERT OR REPLACE INTO sla_clocks (ticket_id, metric, policy_id, calendar_id, target, warn_fraction, status, cycle,
                    started_at, elapsed_before, running_since, due_at, warn_at, warned_at, breached_at, ended_at, next_fire_at, next_fire_kind)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """) {
                $0.int(ticketID)
                $0.text(metric.rawValue)
                $0.text(clock.policyID)
                $0.text(clock.calendarID)
                $0.double(clock.target)
                $0.double(clock.warnFraction)
                $0.text(clock.status.rawValue)
                $0.int(Int64(clock.cycle))
                $0.double(clock.startedAt.timeIntervalSince1970)
                $0.double(clock.elapsedBefore)
                $0.double(clock.runningSince?.timeIntervalSince1970)
                $0.double(clock.dueAt.map(Self.storable))
                $0.double(clock.warnAt.map(Self.storable))
                $0.double(clock.warnedAt?.timeIntervalSince1970)
                $0.double(clock.breachedAt?.timeIntervalSince1970)
                $0.double(clock.endedAt?.timeIntervalSince1970)
                $0.double(next.map { Self.storable($0.at) })
                $0.text(next?.kind.rawValue)
            }
            log.timers.append(SLATimerUpdate(key: SLATimerQueue.Key(ticketID: ticketID, metric: metric), timer: Self.timer(clock)))
        }
        for change in changes {
            guard let clock = after.clocks[change.metric] else { continue }
            let elapsed = Self.elapsed(clock, config: config, now: now)
            try Binder.execute(db, """
                INSERT INTO sla_clock_events (ticket_id, metric, kind, cause, cycle, policy_id, due_at, elapsed, at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """) {
                $0.int(ticketID)
                $0.text(change.metric.rawValue)
                $0.text(change.kind.rawValue)
                $0.text(change.cause)
                $0.int(Int64(change.cycle))
                $0.text(clock.policyID)
                $0.double(clock.dueAt.map(Self.storable))
                $0.double(elapsed)
                $0.double(t)
            }
        }
        guard updateTicket else { return }
        let columns = Self.ticketColumns(after)
        try Binder.execute(db, """
            UPDATE tickets SET sla_policy = ?, first_response_due_at = ?, next_response_due_at = ?, resolution_due_at = ?, due_sort = ?
            WHERE id = ?
            """) {
            $0.text(columns.policy)
            $0.double(columns.firstResponse)
            $0.double(columns.nextResponse)
            $0.double(columns.resolution)
            $0.double(columns.dueSort)
            $0.int(ticketID)
        }
    }

    /// The scheduler's timer for a clock: its next firing, if any.
    static func timer(_ clock: SLAClock?) -> SLATimerQueue.Timer? {
        guard let clock, let next = clock.nextFiring else { return nil }
        return SLATimerQueue.Timer(at: storable(next.at), kind: next.kind, cycle: Int32(clamping: clock.cycle))
    }

    /// `Date.distantFuture` (no working time within the horizon) is stored as the far end of the queue.
    static func storable(_ date: Date) -> Double {
        min(date.timeIntervalSince1970, TicketSQL.noDue - 1)
    }

    /// Read through the alias `c`.
    static let columns = """
        c.metric, c.policy_id, c.calendar_id, c.target, c.warn_fraction, c.status, c.cycle, c.started_at, c.elapsed_before,
        c.running_since, c.due_at, c.warn_at, c.warned_at, c.breached_at, c.ended_at
        """

    static func clock(_ row: Binder.Columns) -> SLAClock? {
        guard let metric = row.text(0).flatMap(SLAMetric.init(rawValue:)),
              let status = row.text(5).flatMap(SLAClock.Status.init(rawValue:)) else { return nil }
        return SLAClock(
            metric: metric, policyID: row.text(1) ?? "", calendarID: row.text(2) ?? "", target: row.double(3),
            warnFraction: row.double(4), status: status, cycle: Int(row.int(6)), startedAt: row.date(7)!,
            elapsedBefore: row.double(8), runningSince: row.date(9), dueAt: row.date(10), warnAt: row.date(11),
            warnedAt: row.date(12), breachedAt: row.date(13), endedAt: row.date(14))
    }
}
