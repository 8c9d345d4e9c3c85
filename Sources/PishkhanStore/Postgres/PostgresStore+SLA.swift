import Foundation
import Logging
import PishkhanCore
import PostgresNIO

extension PostgresStore {
    // MARK: Policies and calendars

    public func slaConfiguration() -> SLAConfiguration {
        sla.withLock { $0 }
    }

    /// Reads the calendars and policies in force into memory; run at start and whenever any process
    /// announces a change on `pishkhan_configuration`. Both tables in one statement, so one snapshot: a
    /// process starting while another seeds or replaces the configuration reads all of it or none of it,
    /// never policies without their calendars.
    func reloadSLAConfiguration() async throws {
        let rows = try await client.rows("""
            SELECT 0 AS part, position, definition FROM sla_calendars
            UNION ALL SELECT 1, position, definition FROM sla_policies
            ORDER BY part, position
            """, logger: logger)
        var calendars: [BusinessCalendar] = []
        var policies: [SLAPolicy] = []
        for row in rows {
            let definition = Data((try row["definition"] as String).utf8)
            if try row["part"] as Int32 == 0 {
                calendars.append(try JSONDecoder().decode(BusinessCalendar.self, from: definition))
            } else {
                policies.append(try JSONDecoder().decode(SLAPolicy.self, from: definition))
            }
        }
        let configuration = try SLAConfiguration(calendars: calendars, policies: policies)
        sla.withLock { $0 = configuration }
    }

    /// Stores `configuration` unless SLA settings were ever stored before (see `SQLiteStore.seedSLAIfNew`).
    /// Several processes starting at once on a fresh database seed it once: the settings row is locked first.
    public func seedSLAIfNew(_ configuration: SLAConfiguration) async throws -> Bool {
        let seeded = try await write { connection, _ -> Bool in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended('sla.configured', 0))", logger: logger)
            guard try await connection.value(String.self, "SELECT value FROM settings WHERE key = 'sla.configured'", logger: logger) == nil
            else { return false }
            try await storeSLA(connection, configuration)
            return true
        }
        try await reloadSLAConfiguration()
        return seeded
    }

    /// Writes the configuration and tells every process (this one included) to reload it after commit.
    func storeSLA(_ connection: PostgresConnection, _ configuration: SLAConfiguration) async throws {
        let t = clock().seconds
        try await connection.query("DELETE FROM sla_calendars", logger: logger)
        try await connection.query("DELETE FROM sla_policies", logger: logger)
        for (i, calendar) in configuration.calendars.enumerated() {
            try await connection.query("""
                INSERT INTO sla_calendars (id, position, definition, updated_at) VALUES (\(calendar.id), \(Int64(i)), \(JSONText.encode(calendar)), \(t))
                """, logger: logger)
        }
        for (i, policy) in configuration.policies.enumerated() {
            try await connection.query("""
                INSERT INTO sla_policies (id, position, definition, updated_at) VALUES (\(policy.id), \(Int64(i)), \(JSONText.encode(policy)), \(t))
                """, logger: logger)
        }
        try await connection.query("""
            INSERT INTO settings (key, value) VALUES ('sla.configured', \(String(t))) ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, logger: logger)
        try await connection.query("SELECT pg_notify(\(Self.configurationChannel), '')", logger: logger)
    }
}

extension PostgresStore: SLAStore {
    public func replaceSLA(calendars: [BusinessCalendar]?, policies: [SLAPolicy]?, actor: Int64?) async throws -> (SLAConfiguration, recalculated: Int) {
        let current = slaConfiguration()
        let next: SLAConfiguration
        do {
            next = try SLAConfiguration(calendars: calendars ?? current.calendars, policies: policies ?? current.policies)
        } catch let error as ValidationError {
            throw StoreError.invalid(error)
        }
        let now = clock()
        try await write { connection, _ in
            try await storeSLA(connection, next)
            try await PGAudit.write(connection, logger: logger, at: now, actor: actor,
                                    action: calendars != nil ? "sla.calendars.replace" : "sla.policies.replace",
                                    targetType: "sla", targetID: nil, details: [
                                        "calendars": .array(next.calendars.map { .string($0.id) }),
                                        "policies": .array(next.policies.map { .string($0.id) }),
                                    ])
        }
        // This process uses the new rules at once; the others reload on the notification.
        sla.withLock { $0 = next }
        let cause = calendars != nil && policies == nil ? "calendar-changed" : "policy-changed"
        return (next, try await recalculateOpenTickets(cause: cause))
    }

    /// Recomputes the clocks of open tickets, a few hundred per transaction.
    func recalculateOpenTickets(cause: String) async throws -> Int {
        var after: Int64 = 0
        var changed = 0
        while true {
            let now = clock()
            let from = after
            let (last, count) = try await write { connection, log -> (Int64?, Int) in
                var ids: [Int64] = []
                for try await id in try await connection.query("""
                    SELECT id FROM tickets WHERE id > \(from) AND status IN ('new', 'open', 'pending') AND merged_into IS NULL
                    ORDER BY id LIMIT 500
                    """, logger: logger).decode(Int64.self) { ids.append(id) }
                let book = PGClockBook(connection: connection, logger: logger, config: slaConfiguration(), now: now)
                var count = 0
                for id in ids where !(try await book.recalculate(ticketID: id, cause: cause, log: &log)).isEmpty { count += 1 }
                return (ids.last, count)
            }
            changed += count
            guard let last else { return changed }
            after = last
        }
    }

    // MARK: Scheduler

    public func pendingSLATimers() async throws -> [(SLATimerQueue.Key, SLATimerQueue.Timer)] {
        var timers: [(SLATimerQueue.Key, SLATimerQueue.Timer)] = []
        let rows = try await client.query("""
            SELECT next_fire_at, ticket_id, metric, next_fire_kind, cycle FROM sla_clocks
            WHERE next_fire_at IS NOT NULL ORDER BY next_fire_at
            """, logger: logger)
        for try await (at, ticket, metric, kind, cycle) in rows.decode((Double, Int64, String, String?, Int64).self) {
            guard let metric = SLAMetric(rawValue: metric) else { continue }
            timers.append((SLATimerQueue.Key(ticketID: ticket, metric: metric),
                           SLATimerQueue.Timer(at: at, kind: kind == SLAFiring.Kind.warning.rawValue ? .warning : .breach,
                                               cycle: Int32(clamping: cycle))))
        }
        return timers
    }

    public func dueSLATimers(limit: Int) async throws -> [SLATimerQueue.Key] {
        let now = clock().seconds
        var keys: [SLATimerQueue.Key] = []
        for try await (ticket, metric) in try await client.query(
            "SELECT ticket_id, metric FROM sla_clocks WHERE next_fire_at <= \(now) ORDER BY next_fire_at LIMIT \(Int64(max(1, limit)))",
            logger: logger).decode((Int64, String).self) {
            if let metric = SLAMetric(rawValue: metric) { keys.append(SLATimerQueue.Key(ticketID: ticket, metric: metric)) }
        }
        return keys
    }

    /// Records what has fallen due among `keys`, once cluster-wide: each clock's row is locked while it is
    /// fired, so a process firing the same timer a moment later finds it already fired, and the alert's
    /// unique key stands behind that.
    @discardableResult
    public func fireSLA(_ keys: [SLATimerQueue.Key]) async throws -> [SLAAlert] {
        guard !keys.isEmpty else { return [] }
        let now = clock()
        return try await write { connection, log in
            var alerts: [SLAAlert] = []
            for key in keys.sorted(by: { ($0.ticketID, $0.metric.rawValue) < ($1.ticketID, $1.metric.rawValue) }) {
                if let alert = try await fire(connection, key, now: now, log: &log) { alerts.append(alert) }
            }
            return alerts
        }
    }

    private func fire(_ connection: PostgresConnection, _ key: SLATimerQueue.Key, now: Date, log: inout PostgresEventLog) async throws -> SLAAlert? {
        let config = slaConfiguration()
        let book = PGClockBook(connection: connection, logger: logger, config: config, now: now)
        // The ticket row first, as every other writer of a ticket's clocks locks it, then the clocks.
        guard let ticket = try await connection.first("""
            SELECT channel, assignee_id, customer_id, subject FROM tickets WHERE id = \(key.ticketID) FOR UPDATE
            """, logger: logger) else { return nil }
        let before = try await book.load(ticketID: key.ticketID)
        var after = before
        guard let (change, firing) = after.fireDue(key.metric, at: now), let clock = after.clocks[key.metric] else {
            log.timers.append(SLATimerUpdate(key: key, timer: ClockBook.timer(before.clocks[key.metric])))
            return nil
        }
        let channel: String = try ticket["channel"]
        let assignee: Int64? = try ticket["assignee_id"]
        let customer: Int64 = try ticket["customer_id"]
        let alertID = try await connection.value(Int64.self, """
            INSERT INTO sla_alerts (ticket_id, metric, cycle, kind, policy_id, channel, assignee_id, due_at, recorded_at)
            VALUES (\(key.ticketID), \(key.metric.rawValue), \(Int64(clock.cycle)), \(firing.kind.rawValue), \(clock.policyID), \(channel),
                \(assignee), \(firing.at.timeIntervalSince1970), \(now.timeIntervalSince1970))
            ON CONFLICT (ticket_id, metric, cycle, kind) DO NOTHING RETURNING id
            """, logger: logger)
        try await book.save(ticketID: key.ticketID, before: before, after: after, changes: alertID != nil ? [change] : [], log: &log)
        guard let alertID else { return nil }

        var actions: [String] = []
        var notify: [Int64] = []
        if firing.kind == .breach, let policy = config.policy(id: clock.policyID) {
            (actions, notify) = try await applyBreachActions(connection, policy.breachActions, ticketID: key.ticketID, customerID: customer,
                                                             book: book, now: now, log: &log)
            if !actions.isEmpty {
                try await connection.query("UPDATE sla_alerts SET actions = \(JSONText.encode(actions)) WHERE id = \(alertID)", logger: logger)
            }
        }
        log.append(firing.kind == .breach ? .slaBreached : .slaWarning, ticket: key.ticketID, customer: customer, at: now, data: [
            "metric": .string(key.metric.rawValue), "cycle": .int(Int64(clock.cycle)), "policy": .string(clock.policyID),
            "dueAt": .string(ISO8601.format(firing.at)), "assigneeID": .optionalInt(assignee),
            "actions": .array(actions.map(JSONValue.string)), "notify": .array(notify.map { .int($0) }),
        ])
        return SLAAlert(
            id: alertID, ticketID: key.ticketID, subject: try ticket["subject"], metric: key.metric, kind: firing.kind, cycle: clock.cycle,
            policy: clock.policyID, channel: channel, assigneeID: assignee, dueAt: firing.at, recordedAt: now, actions: actions)
    }

    private func applyBreachActions(
        _ connection: PostgresConnection, _ actions: [SLAPolicy.BreachAction], ticketID: Int64, customerID: Int64, book: PGClockBook,
        now: Date, log: inout PostgresEventLog
    ) async throws -> ([String], [Int64]) {
        var applied: [String] = []
        var notify: [Int64] = []
        var changes: [String: JSONValue] = [:]
        let t = now.seconds
        for action in actions {
            switch action {
            case .raisePriority:
                guard let current = try await connection.value(String.self, "SELECT priority FROM tickets WHERE id = \(ticketID)", logger: logger)
                    .flatMap(Priority.init(rawValue:)), current != .urgent else { continue }
                try await connection.query(
                    "UPDATE tickets SET priority = \(current.raised.rawValue), updated_at = \(t) WHERE id = \(ticketID)", logger: logger)
                changes["priority"] = .object(["from": .string(current.rawValue), "to": .string(current.raised.rawValue)])
                applied.append("raise-priority:\(current.raised.rawValue)")
            case .assignAgent(let agentID):
                guard let role = try await connection.value(String.self, "SELECT role FROM agents WHERE id = \(agentID)", logger: logger),
                      role != Role.integration.rawValue else { continue }
                try await assign(connection, ticketID: ticketID, to: agentID, at: t, changes: &changes)
                applied.append("assign-agent:\(agentID)")
            case .assignGroup(let group):
                guard let agentID = try await PGIntake(connection: connection, logger: logger, now: now)
                    .pickAssignee(.leastLoaded(group: group, capacity: .max)) else { continue }
                try await assign(connection, ticketID: ticketID, to: agentID, at: t, changes: &changes)
                applied.append("assign-group:\(group):\(agentID)")
            case .notifySupervisors:
                for try await id in try await connection.query(
                    "SELECT id FROM agents WHERE role IN ('supervisor', 'admin') ORDER BY id", logger: logger).decode(Int64.self) {
                    notify.append(id)
                }
                applied.append("notify-supervisors")
            }
        }
        if !changes.isEmpty {
            log.append(.ticketUpdated, ticket: ticketID, customer: customerID, at: now, data: [
                "changes": .object(changes), "cause": .string("sla-breach"),
            ])
        }
        if changes["priority"] != nil { try await book.recalculate(ticketID: ticketID, cause: "breach-action", log: &log) }
        return (applied, notify)
    }

    private func assign(_ connection: PostgresConnection, ticketID: Int64, to agentID: Int64, at t: Double, changes: inout [String: JSONValue]) async throws {
        let before = try await connection.first("SELECT assignee_id FROM tickets WHERE id = \(ticketID)", logger: logger)
            .flatMap { try $0["assignee_id"] as Int64? }
        guard before != agentID else { return }
        try await connection.query("UPDATE tickets SET assignee_id = \(agentID), updated_at = \(t) WHERE id = \(ticketID)", logger: logger)
        changes["assigneeID"] = .object(["from": .optionalInt(before), "to": .int(agentID)])
    }

    // MARK: Views

    public func slaClocks(ticketID: Int64) async throws -> [SLAClockView] {
        let now = clock()
        let config = slaConfiguration()
        return try await client.withConnection { connection in
            _ = try await PGTickets.fetch(connection, logger: logger, ticketID)
            let clocks = try await PGClockBook(connection: connection, logger: logger, config: config, now: now).read(ticketID: ticketID)
            return SLAMetric.allCases.compactMap { clocks.clocks[$0] }.map { SQLiteStore.view($0, now: now, config: config) }
        }
    }

    public func slaHistory(ticketID: Int64) async throws -> [SLAClockEvent] {
        try await client.withConnection { connection in
            _ = try await PGTickets.fetch(connection, logger: logger, ticketID)
            return try await connection.rows("SELECT * FROM sla_clock_events WHERE ticket_id = \(ticketID) ORDER BY id", logger: logger).map { row in
                SLAClockEvent(
                    id: try row["id"], ticketID: try row["ticket_id"], metric: SLAMetric(rawValue: try row["metric"]) ?? .resolution,
                    kind: SLAClockChange.Kind(rawValue: try row["kind"]) ?? .recalculated, cause: try row["cause"], cycle: try row.int("cycle"),
                    policy: try row["policy_id"], dueAt: try row.date("due_at"), elapsed: try row["elapsed"], at: try row.date("at"))
            }
        }
    }

    // MARK: Supervisor

    public func slaBreaches(_ query: SLABreachQuery) async throws -> [SLAAlert] {
        var sql = SQLBuilder()
        var clauses = ["a.kind = 'breach'"]
        if let since = query.since { clauses.append("a.recorded_at >= \(sql.bind(since.seconds))") }
        if let policy = query.policy { clauses.append("a.policy_id = \(sql.bind(policy))") }
        if let agent = query.agentID { clauses.append("a.assignee_id = \(sql.bind(agent))") }
        if let channel = query.channel { clauses.append("a.channel = \(sql.bind(channel))") }
        sql.append("""
            SELECT a.*, t.subject FROM sla_alerts a JOIN tickets t ON t.id = a.ticket_id
            WHERE \(clauses.joined(separator: " AND ")) ORDER BY a.recorded_at DESC, a.id DESC LIMIT \(max(1, min(query.limit, 1000)))
            """)
        return try await client.rows(sql.query, logger: logger).map { row in
            SLAAlert(
                id: try row["id"], ticketID: try row["ticket_id"], subject: try row["subject"],
                metric: SLAMetric(rawValue: try row["metric"]) ?? .resolution, kind: SLAFiring.Kind(rawValue: try row["kind"]) ?? .breach,
                cycle: try row.int("cycle"), policy: try row["policy_id"], channel: try row["channel"], assigneeID: try row["assignee_id"],
                dueAt: try row.date("due_at"), recordedAt: try row.date("recorded_at"),
                actions: JSONText.decode([String].self, try row["actions"], default: []))
        }
    }

    public func slaAtRisk(within: TimeInterval, limit: Int) async throws -> [SLAAtRiskTicket] {
        let now = clock()
        let config = slaConfiguration()
        let horizon = now.seconds + within
        return try await client.withConnection { connection in
            let rows = try await connection.rows("""
                SELECT ticket_id, MIN(due_at) AS first_due FROM sla_clocks
                WHERE next_fire_at IS NOT NULL AND next_fire_at <= \(horizon) AND due_at <= \(horizon)
                GROUP BY ticket_id ORDER BY first_due, ticket_id LIMIT \(Int64(max(1, min(limit, 500))))
                """, logger: logger)
            let book = PGClockBook(connection: connection, logger: logger, config: config, now: now)
            var result: [SLAAtRiskTicket] = []
            for row in rows {
                let id: Int64 = try row["ticket_id"]
                let clocks = try await book.read(ticketID: id)
                result.append(SLAAtRiskTicket(
                    ticket: try await PGTickets.fetch(connection, logger: logger, id), firstDueAt: try row.date("first_due"),
                    clocks: SLAMetric.allCases.compactMap { clocks.clocks[$0] }.filter { $0.status == .running }
                        .map { SQLiteStore.view($0, now: now, config: config) }))
            }
            return result
        }
    }

    public func slaSummary(from: Date, to: Date) async throws -> SLASummary {
        var samples: [SLASummary.Sample] = []
        for row in try await client.rows("""
            SELECT c.*, t.channel, t.assignee_id FROM tickets t JOIN sla_clocks c ON c.ticket_id = t.id
            WHERE t.created_at >= \(from.seconds) AND t.created_at < \(to.seconds) AND t.merged_into IS NULL
            """, logger: logger) {
            guard let clock = try PGClockBook.clock(row) else { continue }
            samples.append(SLASummary.Sample(ticket: try row["ticket_id"], clock: clock, channel: try row["channel"], assignee: try row["assignee_id"]))
        }
        return SLASummary(samples: samples, from: from, to: to)
    }
}
