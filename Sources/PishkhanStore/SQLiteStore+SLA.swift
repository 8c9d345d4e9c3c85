import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    // MARK: Policies and calendars

    static func loadSLAConfiguration(_ db: Database) throws -> SLAConfiguration {
        let calendars = try String.fetchAll(db, sql: "SELECT definition FROM sla_calendars ORDER BY position").map {
            try JSONDecoder().decode(BusinessCalendar.self, from: Data($0.utf8))
        }
        let policies = try String.fetchAll(db, sql: "SELECT definition FROM sla_policies ORDER BY position").map {
            try JSONDecoder().decode(SLAPolicy.self, from: Data($0.utf8))
        }
        return try SLAConfiguration(calendars: calendars, policies: policies)
    }

    public func slaConfiguration() -> SLAConfiguration {
        sla.withLock { $0 }
    }

    /// Stores `configuration` unless SLA settings were ever stored before: a fresh install starts with
    /// the shipped file, and an admin who later removes every policy is not overruled on restart.
    /// Returns whether it seeded.
    public func seedSLAIfNew(_ configuration: SLAConfiguration) async throws -> Bool {
        let seeded = try await write { db, _ -> Bool in
            guard try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'sla.configured'") == nil else { return false }
            try self.storeSLA(db, configuration)
            return true
        }
        return seeded
    }

    /// Replaces the calendars, the policies, or both, then recomputes the clocks of every open ticket
    /// under the new rules. Returns the configuration in force and how many tickets' clocks changed.
    public func replaceSLA(calendars: [BusinessCalendar]?, policies: [SLAPolicy]?, actor: Int64?) async throws -> (SLAConfiguration, recalculated: Int) {
        let current = slaConfiguration()
        let next: SLAConfiguration
        do {
            next = try SLAConfiguration(calendars: calendars ?? current.calendars, policies: policies ?? current.policies)
        } catch let error as ValidationError {
            throw StoreError.invalid(error)
        }
        let now = clock()
        try await write { db, _ in
            try self.storeSLA(db, next)
            try Audit.write(db, at: now, actor: actor, action: calendars != nil ? "sla.calendars.replace" : "sla.policies.replace",
                            targetType: "sla", targetID: nil, details: [
                                "calendars": .array(next.calendars.map { .string($0.id) }),
                                "policies": .array(next.policies.map { .string($0.id) }),
                            ])
        }
        let cause = calendars != nil && policies == nil ? "calendar-changed" : "policy-changed"
        return (next, try await recalculateOpenTickets(cause: cause))
    }

    /// Writes the configuration and swaps the in-memory copy once the transaction commits, on the writer,
    /// so every later write sees the new rules and none sees a half-stored set.
    private func storeSLA(_ db: Database, _ configuration: SLAConfiguration) throws {
        let t = clock().seconds
        try db.execute(sql: "DELETE FROM sla_calendars")
        try db.execute(sql: "DELETE FROM sla_policies")
        for (i, calendar) in configuration.calendars.enumerated() {
            try db.execute(sql: "INSERT INTO sla_calendars (id, position, definition, updated_at) VALUES (?, ?, ?, ?)",
                           arguments: [calendar.id, i, JSONText.encode(calendar), t])
        }
        for (i, policy) in configuration.policies.enumerated() {
            try db.execute(sql: "INSERT INTO sla_policies (id, position, definition, updated_at) VALUES (?, ?, ?, ?)",
                           arguments: [policy.id, i, JSONText.encode(policy), t])
        }
        try db.execute(sql: "INSERT OR REPLACE INTO settings (key, value) VALUES ('sla.configured', ?)", arguments: [String(t)])
        db.afterNextTransaction { _ in self.sla.withLock { $0 = configuration } }
    }

    /// Recomputes the clocks of open tickets in batches of a few hundred per transaction, so intake is
    /// never held up for long.
    func recalculateOpenTickets(cause: String) async throws -> Int {
        var after: Int64 = 0
        var changed = 0
        while true {
            let now = clock()
            let from = after
            let (last, count) = try await write { db, log -> (Int64?, Int) in
                let ids = try Int64.fetchAll(db, sql: """
                    SELECT id FROM tickets WHERE id > ? AND status IN ('new', 'open', 'pending') AND merged_into IS NULL
                    ORDER BY id LIMIT 500
                    """, arguments: [from])
                let book = ClockBook(db: db, config: self.slaConfiguration(), now: now)
                var count = 0
                for id in ids where !(try book.recalculate(ticketID: id, cause: cause, log: &log)).isEmpty { count += 1 }
                return (ids.last, count)
            }
            changed += count
            guard let last else { return changed }
            after = last
        }
    }

    // MARK: Scheduler

    /// Every pending warning and breach, for the scheduler's rebuild on start. Reads the covering index
    /// only, in two halves of the time range on two connections at once.
    public func pendingSLATimers() async throws -> [(SLATimerQueue.Key, SLATimerQueue.Timer)] {
        let bounds = try await read { db -> (Double, Double)? in
            guard let low = try Double.fetchOne(db, sql: "SELECT MIN(next_fire_at) FROM sla_clocks WHERE next_fire_at IS NOT NULL"),
                  let high = try Double.fetchOne(db, sql: "SELECT MAX(next_fire_at) FROM sla_clocks WHERE next_fire_at IS NOT NULL")
            else { return nil }
            return (low, high)
        }
        guard let (low, high) = bounds else { return [] }
        let middle = low + (high - low) / 2
        async let early = read { db in try Self.timers(db, from: low, below: middle) }
        async let late = read { db in try Self.timers(db, from: middle, below: .infinity) }
        return try await early + late
    }

    private static func timers(_ db: Database, from low: Double, below high: Double) throws -> [(SLATimerQueue.Key, SLATimerQueue.Timer)] {
        var timers: [(SLATimerQueue.Key, SLATimerQueue.Timer)] = []
        try Binder.each(db, """
            SELECT next_fire_at, ticket_id, metric, next_fire_kind, cycle FROM sla_clocks
            WHERE next_fire_at >= ? AND next_fire_at < ? ORDER BY next_fire_at
            """, {
                $0.double(low)
                $0.double(high)
            }) { row in
            let metric: SLAMetric
            switch row.firstByte(2) {
            case UInt8(ascii: "f"): metric = .firstResponse
            case UInt8(ascii: "n"): metric = .nextResponse
            default: metric = .resolution
            }
            timers.append((
                SLATimerQueue.Key(ticketID: row.int(1), metric: metric),
                SLATimerQueue.Timer(at: row.double(0), kind: row.firstByte(3) == UInt8(ascii: "w") ? .warning : .breach,
                                    cycle: Int32(clamping: row.int(4)))))
        }
        return timers
    }

    public func dueSLATimers(limit: Int) async throws -> [SLATimerQueue.Key] {
        let now = clock().seconds
        return try await read { db in
            try Row.fetchAll(db, sql: "SELECT ticket_id, metric FROM sla_clocks WHERE next_fire_at <= ? ORDER BY next_fire_at LIMIT ?",
                             arguments: [now, max(1, limit)]).compactMap { row in
                SLAMetric(rawValue: row["metric"]).map { SLATimerQueue.Key(ticketID: row["ticket_id"], metric: $0) }
            }
        }
    }

    /// Records every warning and breach among `keys` that has fallen due, once per ticket, metric and
    /// cycle (a unique key guards it across crashes and restarts), applies the policy's breach actions in
    /// the same transaction, and re-announces each clock's next timer. Returns the alerts recorded.
    @discardableResult
    public func fireSLA(_ keys: [SLATimerQueue.Key]) async throws -> [SLAAlert] {
        guard !keys.isEmpty else { return [] }
        let now = clock()
        return try await write { db, log in
            var alerts: [SLAAlert] = []
            for key in keys {
                if let alert = try self.fire(db, key, now: now, log: &log) { alerts.append(alert) }
            }
            return alerts
        }
    }

    private func fire(_ db: Database, _ key: SLATimerQueue.Key, now: Date, log: inout EventLog) throws -> SLAAlert? {
        let config = slaConfiguration()
        let book = ClockBook(db: db, config: config, now: now)
        let before = try book.load(ticketID: key.ticketID)
        var after = before
        guard let (change, firing) = after.fireDue(key.metric, at: now), let clock = after.clocks[key.metric] else {
            // Nothing due: the timer was stale. Re-announce the clock's real timer, in case it was lost.
            log.timers.append(SLATimerUpdate(key: key, timer: ClockBook.timer(before.clocks[key.metric])))
            return nil
        }
        guard let ticket = try Binder.first(db, "SELECT channel, assignee_id, customer_id, subject FROM tickets WHERE id = ?", { $0.int(key.ticketID) },
                                            read: { ($0.text(0) ?? "", $0.optionalInt(1), $0.int(2), $0.text(3) ?? "") }) else { return nil }
        try Binder.execute(db, """
            INSERT OR IGNORE INTO sla_alerts (ticket_id, metric, cycle, kind, policy_id, channel, assignee_id, due_at, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """) {
            $0.int(key.ticketID)
            $0.text(key.metric.rawValue)
            $0.int(Int64(clock.cycle))
            $0.text(firing.kind.rawValue)
            $0.text(clock.policyID)
            $0.text(ticket.0)
            $0.int(ticket.1)
            $0.double(firing.at.timeIntervalSince1970)
            $0.double(now.timeIntervalSince1970)
        }
        let recorded = db.changesCount == 1
        let alertID = db.lastInsertedRowID
        try book.save(ticketID: key.ticketID, before: before, after: after, changes: recorded ? [change] : [], log: &log)
        guard recorded else { return nil }

        var actions: [String] = []
        var notify: [Int64] = []
        if firing.kind == .breach, let policy = config.policy(id: clock.policyID) {
            (actions, notify) = try applyBreachActions(db, policy.breachActions, ticketID: key.ticketID, customerID: ticket.2, book: book, now: now, log: &log)
            if !actions.isEmpty {
                try db.execute(sql: "UPDATE sla_alerts SET actions = ? WHERE id = ?", arguments: [JSONText.encode(actions), alertID])
            }
        }
        try log.append(db, firing.kind == .breach ? .slaBreached : .slaWarning, ticket: key.ticketID, customer: ticket.2, at: now, data: [
            "metric": .string(key.metric.rawValue), "cycle": .int(Int64(clock.cycle)), "policy": .string(clock.policyID),
            "dueAt": .string(ISO8601.format(firing.at)), "assigneeID": .optionalInt(ticket.1),
            "actions": .array(actions.map(JSONValue.string)), "notify": .array(notify.map { .int($0) }),
        ])
        return SLAAlert(
            id: alertID, ticketID: key.ticketID, subject: ticket.3, metric: key.metric, kind: firing.kind, cycle: clock.cycle,
            policy: clock.policyID, channel: ticket.0, assigneeID: ticket.1, dueAt: firing.at, recordedAt: now, actions: actions)
    }

    /// Breach actions, in the breach's transaction. An action that cannot apply (agent gone, group
    /// empty, already urgent) is skipped and not listed.
    private func applyBreachActions(
        _ db: Database, _ actions: [SLAPolicy.BreachAction], ticketID: Int64, customerID: Int64, book: ClockBook, now: Date, log: inout EventLog
    ) throws -> ([String], [Int64]) {
        var applied: [String] = []
        var notify: [Int64] = []
        var changes: [String: JSONValue] = [:]
        let t = now.seconds
        for action in actions {
            switch action {
            case .raisePriority:
                guard let current = try String.fetchOne(db, sql: "SELECT priority FROM tickets WHERE id = ?", arguments: [ticketID])
                    .flatMap(Priority.init(rawValue:)), current != .urgent else { continue }
                try db.execute(sql: "UPDATE tickets SET priority = ?, updated_at = ? WHERE id = ?", arguments: [current.raised.rawValue, t, ticketID])
                changes["priority"] = .object(["from": .string(current.rawValue), "to": .string(current.raised.rawValue)])
                applied.append("raise-priority:\(current.raised.rawValue)")
            case .assignAgent(let agentID):
                guard let role = try String.fetchOne(db, sql: "SELECT role FROM agents WHERE id = ?", arguments: [agentID]),
                      role != Role.integration.rawValue else { continue }
                try assign(db, ticketID: ticketID, to: agentID, at: t, changes: &changes)
                applied.append("assign-agent:\(agentID)")
            case .assignGroup(let group):
                guard let agentID = try Intake(db: db, now: now).pickAssignee(.leastLoaded(group: group, capacity: .max)) else { continue }
                try assign(db, ticketID: ticketID, to: agentID, at: t, changes: &changes)
                applied.append("assign-group:\(group):\(agentID)")
            case .notifySupervisors:
                notify = try Int64.fetchAll(db, sql: "SELECT id FROM agents WHERE role IN ('supervisor', 'admin') ORDER BY id")
                applied.append("notify-supervisors")
            }
        }
        if !changes.isEmpty {
            try log.append(db, .ticketUpdated, ticket: ticketID, customer: customerID, at: now, data: [
                "changes": .object(changes), "cause": .string("sla-breach"),
            ])
        }
        if changes["priority"] != nil { try book.recalculate(ticketID: ticketID, cause: "breach-action", log: &log) }
        return (applied, notify)
    }

    private func assign(_ db: Database, ticketID: Int64, to agentID: Int64, at t: Double, changes: inout [String: JSONValue]) throws {
        let before = try Int64?.fetchOne(db, sql: "SELECT assignee_id FROM tickets WHERE id = ?", arguments: [ticketID]) ?? nil
        guard before != agentID else { return }
        try db.execute(sql: "UPDATE tickets SET assignee_id = ?, updated_at = ? WHERE id = ?", arguments: [agentID, t, ticketID])
        changes["assigneeID"] = .object(["from": .optionalInt(before), "to": .int(agentID)])
    }

    // MARK: Views

    /// The ticket's clocks as they stand now.
    public func slaClocks(ticketID: Int64) async throws -> [SLAClockView] {
        let now = clock()
        let config = slaConfiguration()
        return try await read { db in
            _ = try Self.fetchTicket(db, ticketID)
            let clocks = try ClockBook(db: db, config: config, now: now).load(ticketID: ticketID)
            return SLAMetric.allCases.compactMap { clocks.clocks[$0] }.map { Self.view($0, now: now, config: config) }
        }
    }

    /// Every recorded change of the ticket's clocks, oldest first.
    public func slaHistory(ticketID: Int64) async throws -> [SLAClockEvent] {
        try await read { db in
            _ = try Self.fetchTicket(db, ticketID)
            return try Row.fetchAll(db, sql: "SELECT * FROM sla_clock_events WHERE ticket_id = ? ORDER BY id", arguments: [ticketID]).map { row in
                SLAClockEvent(
                    id: row["id"], ticketID: row["ticket_id"], metric: SLAMetric(rawValue: row["metric"]) ?? .resolution,
                    kind: SLAClockChange.Kind(rawValue: row["kind"]) ?? .recalculated, cause: row["cause"], cycle: row["cycle"],
                    policy: row["policy_id"], dueAt: (row["due_at"] as Double?).date, elapsed: row["elapsed"], at: (row["at"] as Double).date)
            }
        }
    }

    static func view(_ clock: SLAClock, now: Date, config: SLAConfiguration) -> SLAClockView {
        let elapsed = config.calendar(id: clock.calendarID).map { clock.elapsed(at: now, calendar: $0) } ?? clock.elapsedBefore
        let open = clock.status == .running || clock.status == .paused
        let over = elapsed - clock.target
        return SLAClockView(
            metric: clock.metric, policy: clock.policyID, calendar: clock.calendarID, status: clock.status, cycle: clock.cycle,
            target: BusinessDuration(seconds: clock.target), startedAt: clock.startedAt,
            dueAt: clock.status == .running ? clock.dueAt : nil, elapsed: elapsed,
            remaining: open && over < 0 ? -over : nil, overdueBy: over > 0 || clock.breachedAt != nil ? max(0, over) : nil,
            paused: clock.status == .paused, warnedAt: clock.warnedAt, breachedAt: clock.breachedAt, endedAt: clock.endedAt,
            met: clock.breachedAt != nil ? false : (clock.status == .fulfilled ? true : nil))
    }

    // MARK: Supervisor

    public func slaBreaches(_ query: SLABreachQuery) async throws -> [SLAAlert] {
        try await read { db in
            var clauses = ["a.kind = 'breach'"]
            var args = StatementArguments()
            if let since = query.since {
                clauses.append("a.recorded_at >= ?")
                _ = args.append(contentsOf: [since.seconds])
            }
            if let policy = query.policy {
                clauses.append("a.policy_id = ?")
                _ = args.append(contentsOf: [policy])
            }
            if let agent = query.agentID {
                clauses.append("a.assignee_id = ?")
                _ = args.append(contentsOf: [agent])
            }
            if let channel = query.channel {
                clauses.append("a.channel = ?")
                _ = args.append(contentsOf: [channel])
            }
            _ = args.append(contentsOf: [max(1, min(query.limit, 1000))])
            return try Row.fetchAll(db, sql: """
                SELECT a.*, t.subject FROM sla_alerts a JOIN tickets t ON t.id = a.ticket_id
                WHERE \(clauses.joined(separator: " AND ")) ORDER BY a.recorded_at DESC, a.id DESC LIMIT ?
                """, arguments: args).map(Self.alert)
        }
    }

    static func alert(_ row: Row) -> SLAAlert {
        SLAAlert(
            id: row["id"], ticketID: row["ticket_id"], subject: row["subject"], metric: SLAMetric(rawValue: row["metric"]) ?? .resolution,
            kind: SLAFiring.Kind(rawValue: row["kind"]) ?? .breach, cycle: row["cycle"], policy: row["policy_id"], channel: row["channel"],
            assigneeID: row["assignee_id"], dueAt: (row["due_at"] as Double).date, recordedAt: (row["recorded_at"] as Double).date,
            actions: JSONText.decode([String].self, row["actions"], default: []))
    }

    /// Open tickets with a running, unbreached clock due within `within` seconds (or already overdue and
    /// about to be recorded), most urgent first, each with all its running clocks.
    public func slaAtRisk(within: TimeInterval, limit: Int) async throws -> [SLAAtRiskTicket] {
        let now = clock()
        let config = slaConfiguration()
        return try await read { db in
            let horizon = now.seconds + within
            let rows = try Row.fetchAll(db, sql: """
                SELECT ticket_id, MIN(due_at) AS first_due FROM sla_clocks
                WHERE next_fire_at IS NOT NULL AND next_fire_at <= ? AND due_at <= ?
                GROUP BY ticket_id ORDER BY first_due, ticket_id LIMIT ?
                """, arguments: [horizon, horizon, max(1, min(limit, 500))])
            let book = ClockBook(db: db, config: config, now: now)
            return try rows.map { row in
                let id: Int64 = row["ticket_id"]
                let clocks = try book.load(ticketID: id)
                return SLAAtRiskTicket(
                    ticket: try Self.fetchTicket(db, id), firstDueAt: (row["first_due"] as Double).date,
                    clocks: SLAMetric.allCases.compactMap { clocks.clocks[$0] }.filter { $0.status == .running }
                        .map { Self.view($0, now: now, config: config) })
            }
        }
    }

    /// Compliance of tickets created in `[from, to)`: overall and per policy, channel and agent.
    public func slaSummary(from: Date, to: Date) async throws -> SLASummary {
        try await read { db in
            var samples: [SLASummary.Sample] = []
            try Binder.each(db, """
                SELECT \(ClockBook.columns), c.ticket_id, t.channel, t.assignee_id FROM tickets t JOIN sla_clocks c ON c.ticket_id = t.id
                WHERE t.created_at >= ? AND t.created_at < ? AND t.merged_into IS NULL
                """, {
                    $0.double(from.seconds)
                    $0.double(to.seconds)
                }) { row in
                guard let clock = ClockBook.clock(row) else { return }
                samples.append(SLASummary.Sample(ticket: row.int(15), clock: clock, channel: row.text(16) ?? "", assignee: row.optionalInt(17)))
            }
            return SLASummary(samples: samples, from: from, to: to)
        }
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }
}

extension SLASummary {
    /// One clock of a ticket in the summary's period.
    struct Sample {
        var ticket: Int64
        var clock: SLAClock
        var channel: String
        var agent: String

        init(ticket: Int64, clock: SLAClock, channel: String, assignee: Int64?) {
            self.ticket = ticket
            self.clock = clock
            self.channel = channel
            self.agent = assignee.map(String.init) ?? "unassigned"
        }
    }

    /// Compliance overall and per policy, channel and agent, as both backends report it.
    init(samples: [Sample], from: Date, to: Date) {
        func group(_ key: String, _ items: [Sample]) -> SLASummary.Group {
            var metrics: [SLAMetric: SLASummary.MetricSummary] = [:]
            for metric in SLAMetric.allCases {
                let clocks = items.filter { $0.clock.metric == metric }.map(\.clock)
                guard !clocks.isEmpty else { continue }
                let breached = clocks.filter { $0.breachedAt != nil }.count
                let met = clocks.filter(\.met).count
                let decided = met + breached
                let times = clocks.filter { $0.status == .fulfilled }.map(\.elapsedBefore).sorted()
                metrics[metric] = SLASummary.MetricSummary(
                    decided: decided, met: met, breached: breached,
                    metPercent: decided == 0 ? nil : (Double(met) * 1000 / Double(decided)).rounded() / 10,
                    median: SQLiteStore.percentile(times, 0.5), p90: SQLiteStore.percentile(times, 0.9))
            }
            let openBreaches = items.filter { $0.clock.breachedAt != nil && ($0.clock.status == .running || $0.clock.status == .paused) }.count
            return SLASummary.Group(key: key, tickets: Set(items.map(\.ticket)).count, metrics: metrics, openBreaches: openBreaches)
        }
        func grouped(_ by: (Sample) -> String) -> [SLASummary.Group] {
            Dictionary(grouping: samples, by: by).sorted { $0.key < $1.key }.map { group($0.key, $0.value) }
        }
        self.init(from: from, to: to, overall: group("all", samples), byPolicy: grouped { $0.clock.policyID },
                  byChannel: grouped(\.channel), byAgent: grouped(\.agent))
    }
}
