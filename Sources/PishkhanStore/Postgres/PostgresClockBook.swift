import Foundation
import Logging
import PishkhanCore
import PostgresNIO

/// `ClockBook` on PostgreSQL: reads and writes a ticket's `sla_clocks` rows inside the caller's
/// transaction, with the same state machine (`ClockBook.advance`) and the same rows as SQLite.
struct PGClockBook {
    let connection: PostgresConnection
    let logger: Logger
    let config: SLAConfiguration
    let now: Date

    func facts(ticketID: Int64) async throws -> ClockBook.Facts? {
        try await connection.rows(PGIntakeSQL.ClockFacts.self, [ticketID], logger: logger).first.map { row in
            let tags: String = try row["tags"]
            return ClockBook.Facts(
                facts: SLATicketFacts(
                    priority: Priority(rawValue: try row["priority"]) ?? .normal, channel: try row["channel"],
                    channelKind: ChannelKind(rawValue: try row["channel_kind"]) ?? .email,
                    tier: CustomerTier(rawValue: try row["tier"]) ?? .standard,
                    tags: tags == "[]" ? [] : JSONText.decode([String].self, tags, default: [])),
                status: TicketStatus(rawValue: try row["status"]) ?? .open,
                createdAt: try row.date("created_at"), responded: try row["responded"])
        }
    }

    /// The ticket's clocks, with their rows locked until the transaction ends: two processes changing
    /// one ticket's clocks take turns.
    func load(ticketID: Int64) async throws -> TicketClocks {
        try await clocks("SELECT * FROM sla_clocks WHERE ticket_id = \(ticketID) FOR UPDATE")
    }

    /// The ticket's clocks, unlocked, for views.
    func read(ticketID: Int64) async throws -> TicketClocks {
        try await clocks("SELECT * FROM sla_clocks WHERE ticket_id = \(ticketID)")
    }

    private func clocks(_ query: PostgresQuery) async throws -> TicketClocks {
        var clocks = TicketClocks()
        for row in try await connection.rows(query, logger: logger) {
            if let clock = try Self.clock(row) { clocks.clocks[clock.metric] = clock }
        }
        return clocks
    }

    @discardableResult
    func apply(ticketID: Int64, log: inout PostgresEventLog, _ inputs: (ClockBook.Facts) -> [TicketClocks.Input]) async throws -> [SLAClockChange] {
        guard let facts = try await facts(ticketID: ticketID) else { return [] }
        let list = inputs(facts)
        guard !list.isEmpty else { return [] }
        let before = try await load(ticketID: ticketID)
        let (after, changes) = ClockBook.advance(before, facts: facts, inputs: list, config: config, now: now)
        try await save(ticketID: ticketID, before: before, after: after, changes: changes, log: &log)
        return changes
    }

    @discardableResult
    func recalculate(ticketID: Int64, cause: String, log: inout PostgresEventLog) async throws -> [SLAClockChange] {
        try await apply(ticketID: ticketID, log: &log) { f in
            f.status == .closed ? [] : [ClockBook.recalculation(cause, f)]
        }
    }

    func starting(_ facts: SLATicketFacts) -> (TicketClocks, [SLAClockChange]) {
        var clocks = TicketClocks()
        guard let policy = config.policy(for: facts) else { return (clocks, []) }
        let changes = clocks.apply(.created, at: now, policy: policy, calendars: config.calendar(id:))
        return (clocks, changes)
    }

    /// Writes the changed clocks, one clock event per change and the ticket's due columns in one statement
    /// (its parts as data-changing `WITH` clauses), and queues the timer updates for after commit.
    func save(ticketID: Int64, before: TicketClocks, after: TicketClocks, changes: [SLAClockChange], log: inout PostgresEventLog,
              updateTicket: Bool = true) async throws {
        guard before != after || !changes.isEmpty else { return }
        var query = SQLBuilder()
        var parts: [String] = []
        var upsert = ""
        for metric in SLAMetric.allCases {
            guard let clock = after.clocks[metric], clock != before.clocks[metric] else { continue }
            let next = clock.nextFiring
            let values = [
                query.bind(ticketID), query.bind(metric.rawValue), query.bind(clock.policyID), query.bind(clock.calendarID),
                query.bind(clock.target), query.bind(clock.warnFraction), query.bind(clock.status.rawValue), query.bind(Int64(clock.cycle)),
                query.bind(clock.startedAt.timeIntervalSince1970), query.bind(clock.elapsedBefore),
                query.bind(clock.runningSince?.timeIntervalSince1970), query.bind(clock.dueAt.map(ClockBook.storable)),
                query.bind(clock.warnAt.map(ClockBook.storable)), query.bind(clock.warnedAt?.timeIntervalSince1970),
                query.bind(clock.breachedAt?.timeIntervalSince1970), query.bind(clock.endedAt?.timeIntervalSince1970),
                query.bind(next.map { ClockBook.storable($0.at) }), query.bind(next?.kind.rawValue),
            ]
            upsert += (upsert.isEmpty ? " " : ", ") + "(\(values.joined(separator: ", ")))"
            log.timers.append(SLATimerUpdate(key: SLATimerQueue.Key(ticketID: ticketID, metric: metric), timer: ClockBook.timer(clock)))
        }
        if !upsert.isEmpty {
            parts.append("""
                INSERT INTO sla_clocks (ticket_id, metric, policy_id, calendar_id, target, warn_fraction, status, cycle,
                    started_at, elapsed_before, running_since, due_at, warn_at, warned_at, breached_at, ended_at, next_fire_at, next_fire_kind)
                VALUES\(upsert)
                ON CONFLICT (ticket_id, metric) DO UPDATE SET policy_id = excluded.policy_id, calendar_id = excluded.calendar_id,
                    target = excluded.target, warn_fraction = excluded.warn_fraction, status = excluded.status, cycle = excluded.cycle,
                    started_at = excluded.started_at, elapsed_before = excluded.elapsed_before, running_since = excluded.running_since,
                    due_at = excluded.due_at, warn_at = excluded.warn_at, warned_at = excluded.warned_at, breached_at = excluded.breached_at,
                    ended_at = excluded.ended_at, next_fire_at = excluded.next_fire_at, next_fire_kind = excluded.next_fire_kind
                """)
        }
        var events = ""
        for change in changes {
            guard let clock = after.clocks[change.metric] else { continue }
            let values = [
                query.bind(ticketID), query.bind(change.metric.rawValue), query.bind(change.kind.rawValue), query.bind(change.cause),
                query.bind(Int64(change.cycle)), query.bind(clock.policyID), query.bind(clock.dueAt.map(ClockBook.storable)),
                query.bind(ClockBook.elapsed(clock, config: config, now: now)), query.bind(now.timeIntervalSince1970),
            ]
            events += (events.isEmpty ? " " : ", ") + "(\(values.joined(separator: ", ")))"
        }
        if !events.isEmpty {
            parts.append("INSERT INTO sla_clock_events (ticket_id, metric, kind, cause, cycle, policy_id, due_at, elapsed, at) VALUES\(events)")
        }
        if updateTicket {
            let columns = ClockBook.ticketColumns(after)
            parts.append("""
                UPDATE tickets SET sla_policy = \(query.bind(columns.policy)), first_response_due_at = \(query.bind(columns.firstResponse)),
                    next_response_due_at = \(query.bind(columns.nextResponse)), resolution_due_at = \(query.bind(columns.resolution)),
                    due_sort = \(query.bind(columns.dueSort))
                WHERE id = \(query.bind(ticketID))
                """)
        }
        guard let last = parts.popLast() else { return }
        if !parts.isEmpty {
            query.append("WITH " + parts.enumerated().map { "part\($0.offset) AS (\($0.element))" }.joined(separator: ", ") + " ")
        }
        query.append(last)
        try await connection.query(query.query, logger: logger)
    }

    static func clock(_ row: PGRow) throws -> SLAClock? {
        guard let metric = SLAMetric(rawValue: try row["metric"]), let status = SLAClock.Status(rawValue: try row["status"]) else { return nil }
        return SLAClock(
            metric: metric, policyID: try row["policy_id"], calendarID: try row["calendar_id"], target: try row["target"],
            warnFraction: try row["warn_fraction"], status: status, cycle: try row.int("cycle"), startedAt: try row.date("started_at"),
            elapsedBefore: try row["elapsed_before"], runningSince: try row.date("running_since"), dueAt: try row.date("due_at"),
            warnAt: try row.date("warn_at"), warnedAt: try row.date("warned_at"), breachedAt: try row.date("breached_at"),
            endedAt: try row.date("ended_at"))
    }
}
