import Foundation

/// One SLA clock of one ticket. Business time accumulates in `elapsedBefore` while the clock is paused
/// or stopped; while it runs, the elapsed time is `elapsedBefore` plus the business time since
/// `runningSince`. Due and warning instants are derived from these and stored so the scheduler and the
/// queue never compute calendars.
public struct SLAClock: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case running, paused
        /// Met its end (a reply, a resolution). `breachedAt` says whether it was in time.
        case fulfilled
        /// Ended without being fulfilled: the ticket was closed or merged, or the policy dropped the metric.
        case stopped
    }

    public var metric: SLAMetric
    public var policyID: String
    public var calendarID: String
    /// Business seconds.
    public var target: TimeInterval
    public var warnFraction: Double
    public var status: Status
    /// Counts activations: a next-response clock starts a new cycle on each customer message after a
    /// reply. Warnings and breaches are recorded once per (ticket, metric, cycle).
    public var cycle: Int
    public var startedAt: Date
    public var elapsedBefore: TimeInterval
    public var runningSince: Date?
    public var dueAt: Date?
    public var warnAt: Date?
    public var warnedAt: Date?
    public var breachedAt: Date?
    public var endedAt: Date?

    public init(
        metric: SLAMetric, policyID: String, calendarID: String, target: TimeInterval, warnFraction: Double, status: Status,
        cycle: Int, startedAt: Date, elapsedBefore: TimeInterval, runningSince: Date?, dueAt: Date? = nil, warnAt: Date? = nil,
        warnedAt: Date? = nil, breachedAt: Date? = nil, endedAt: Date? = nil
    ) {
        self.metric = metric
        self.policyID = policyID
        self.calendarID = calendarID
        self.target = target
        self.warnFraction = warnFraction
        self.status = status
        self.cycle = cycle
        self.startedAt = startedAt
        self.elapsedBefore = elapsedBefore
        self.runningSince = runningSince
        self.dueAt = dueAt
        self.warnAt = warnAt
        self.warnedAt = warnedAt
        self.breachedAt = breachedAt
        self.endedAt = endedAt
    }

    /// Business time elapsed at `now`.
    public func elapsed(at now: Date, calendar: BusinessCalendar) -> TimeInterval {
        guard status == .running, let since = runningSince else { return elapsedBefore }
        return elapsedBefore + calendar.businessDuration(from: since, to: now)
    }

    /// Met: ended by fulfilment without a breach.
    public var met: Bool { status == .fulfilled && breachedAt == nil }

    /// The next instant the scheduler must act on: the warning until it fired (unless the breach comes
    /// first), then the breach. Nothing once breached or not running.
    public var nextFiring: SLAFiring? {
        guard status == .running, breachedAt == nil, let due = dueAt else { return nil }
        if warnedAt == nil, let warn = warnAt, warn < due { return SLAFiring(kind: .warning, at: warn) }
        return SLAFiring(kind: .breach, at: due)
    }

    /// Recomputes `dueAt` and `warnAt` from the current running stretch.
    mutating func schedule(on calendar: BusinessCalendar) {
        guard status == .running, let since = runningSince else {
            dueAt = nil
            warnAt = nil
            return
        }
        dueAt = calendar.add(target - elapsedBefore, to: since)
        let warnBudget = target * warnFraction
        warnAt = warnFraction < 1 && warnedAt == nil ? calendar.add(warnBudget - elapsedBefore, to: since) : nil
    }

    /// Folds the running stretch into `elapsedBefore`, so the clock can stop or change calendar.
    mutating func settle(at now: Date, calendar: BusinessCalendar) {
        if status == .running, let since = runningSince {
            elapsedBefore += calendar.businessDuration(from: since, to: max(since, now))
        }
        runningSince = nil
    }
}

/// A scheduled act of the SLA engine.
public struct SLAFiring: Sendable, Equatable, Hashable {
    public enum Kind: String, Codable, Sendable { case warning, breach }
    public var kind: Kind
    public var at: Date

    public init(kind: Kind, at: Date) {
        self.kind = kind
        self.at = at
    }
}

/// A change to a clock, kept on the ticket so a supervisor can see why a deadline is what it is.
public struct SLAClockChange: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case activated, paused, resumed, fulfilled, stopped, warned, breached, recalculated
    }
    public var metric: SLAMetric
    public var kind: Kind
    /// What caused it: `ticket-created`, `agent-reply`, `customer-message`, `status:pending`,
    /// `priority-changed`, `policy-changed`, `calendar-changed`, `scheduler`, `merged`…
    public var cause: String
    public var cycle: Int

    public init(metric: SLAMetric, kind: Kind, cause: String, cycle: Int) {
        self.metric = metric
        self.kind = kind
        self.cause = cause
        self.cycle = cycle
    }
}

/// The clocks of one ticket as a state machine: an input and the time go in, the changed clocks and the
/// list of changes come out; the store persists both in the same transaction.
public struct TicketClocks: Sendable, Equatable {
    public var clocks: [SLAMetric: SLAClock]

    public init(_ clocks: [SLAMetric: SLAClock] = [:]) { self.clocks = clocks }

    public enum Input: Sendable, Equatable {
        case created
        /// A public reply by an agent, or by the bot.
        case replied(byBot: Bool)
        case customerWrote
        case statusChanged(from: TicketStatus, to: TicketStatus)
        /// Priority, tags, tier, policies or calendars changed: match the policy again and recompute.
        /// `createdAt` and `responded` say which clocks a newly matching policy should have running.
        case recalculate(cause: String, createdAt: Date, responded: Bool, status: TicketStatus)
    }

    /// The policy now in force, if any (by the ticket's clocks).
    public var policyID: String? { clocks.values.first?.policyID }

    /// The earliest due time of a running clock: what the queue sorts by.
    public var earliestDue: Date? {
        clocks.values.compactMap { $0.status == .running ? $0.dueAt : nil }.min()
    }

    /// Applies `input` at `now`. `policy` is the policy matching the ticket now (nil when none does) and
    /// `calendars` resolves calendar ids, for clocks set by an earlier policy.
    @discardableResult
    public mutating func apply(
        _ input: Input, at now: Date, policy: (SLAPolicy, BusinessCalendar)?, calendars: (String) -> BusinessCalendar?
    ) -> [SLAClockChange] {
        var changes: [SLAClockChange] = []
        func record(_ metric: SLAMetric, _ kind: SLAClockChange.Kind, _ cause: String) {
            changes.append(SLAClockChange(metric: metric, kind: kind, cause: cause, cycle: clocks[metric]?.cycle ?? 1))
        }
        func calendar(of clock: SLAClock) -> BusinessCalendar? {
            if let policy, policy.1.id == clock.calendarID { return policy.1 }
            return calendars(clock.calendarID)
        }
        func activate(_ metric: SLAMetric, from start: Date, cause: String) {
            guard let (p, cal) = policy, let target = p.targets[metric] else { return }
            var clock = SLAClock(
                metric: metric, policyID: p.id, calendarID: cal.id, target: target, warnFraction: p.warnAt, status: .running,
                cycle: (clocks[metric]?.cycle ?? 0) + 1, startedAt: start, elapsedBefore: 0, runningSince: start)
            clock.schedule(on: cal)
            clocks[metric] = clock
            record(metric, .activated, cause)
        }
        func end(_ metric: SLAMetric, _ status: SLAClock.Status, cause: String) {
            guard var clock = clocks[metric], clock.status == .running || clock.status == .paused else { return }
            if let cal = calendar(of: clock) { clock.settle(at: now, calendar: cal) }
            clock.status = status
            clock.endedAt = now
            clock.dueAt = nil
            clock.warnAt = nil
            clocks[metric] = clock
            record(metric, status == .fulfilled ? .fulfilled : .stopped, cause)
        }
        func pause(_ metric: SLAMetric, cause: String) {
            guard var clock = clocks[metric], clock.status == .running else { return }
            if let cal = calendar(of: clock) { clock.settle(at: now, calendar: cal) }
            clock.status = .paused
            clock.dueAt = nil
            clock.warnAt = nil
            clocks[metric] = clock
            record(metric, .paused, cause)
        }
        func resume(_ metric: SLAMetric, cause: String) {
            guard var clock = clocks[metric], clock.status == .paused || clock.status == .fulfilled,
                  let cal = calendar(of: clock) else { return }
            clock.status = .running
            clock.runningSince = now
            clock.endedAt = nil
            clock.schedule(on: cal)
            clocks[metric] = clock
            record(metric, .resumed, cause)
        }

        switch input {
        case .created:
            activate(.firstResponse, from: now, cause: "ticket-created")
            activate(.resolution, from: now, cause: "ticket-created")

        case .replied(let byBot):
            let counts = !byBot || (policy?.0.botRepliesCount ?? false)
            guard counts else { break }
            let cause = byBot ? "bot-reply" : "agent-reply"
            end(.firstResponse, .fulfilled, cause: cause)
            end(.nextResponse, .fulfilled, cause: cause)

        case .customerWrote:
            // A next-response clock starts only once someone answered and nobody owes an answer yet.
            let firstDone = clocks[.firstResponse].map { $0.status != .running && $0.status != .paused } ?? false
            let nextRunning = clocks[.nextResponse]?.status == .running
            if firstDone && !nextRunning { activate(.nextResponse, from: now, cause: "customer-message") }

        case .statusChanged(let from, let to):
            let cause = "status:\(to.rawValue)"
            switch to {
            case .pending:
                pause(.resolution, cause: cause)
            case .open, .new:
                if from == .pending || from == .resolved { resume(.resolution, cause: cause) }
            case .resolved:
                end(.resolution, .fulfilled, cause: cause)
                end(.firstResponse, .stopped, cause: cause)
                end(.nextResponse, .stopped, cause: cause)
            case .closed:
                end(.resolution, from == .resolved ? .stopped : .fulfilled, cause: cause)
                end(.firstResponse, .stopped, cause: cause)
                end(.nextResponse, .stopped, cause: cause)
            }

        case .recalculate(let cause, let createdAt, let responded, let status):
            for metric in SLAMetric.allCases {
                guard var clock = clocks[metric], clock.status == .running || clock.status == .paused else { continue }
                guard let (p, newCalendar) = policy, let target = p.targets[metric] else {
                    end(metric, .stopped, cause: cause)
                    continue
                }
                let oldCalendar = calendar(of: clock)
                let wasRunning = clock.status == .running
                if let oldCalendar { clock.settle(at: now, calendar: oldCalendar) }
                let before = (clock.policyID, clock.calendarID, clock.target, clock.warnFraction)
                clock.policyID = p.id
                clock.calendarID = newCalendar.id
                clock.target = target
                clock.warnFraction = p.warnAt
                if wasRunning { clock.runningSince = now }
                let oldDue = clock.dueAt
                clock.schedule(on: newCalendar)
                clocks[metric] = clock
                if before != (clock.policyID, clock.calendarID, clock.target, clock.warnFraction) || oldDue != clock.dueAt {
                    record(metric, .recalculated, cause)
                }
            }
            // A policy that now applies to a ticket that had none starts its clocks from the ticket's
            // creation, as if it had applied all along.
            if policy != nil, status != .resolved, status != .closed {
                if clocks[.firstResponse] == nil && !responded { activate(.firstResponse, from: createdAt, cause: cause) }
                if clocks[.resolution] == nil {
                    activate(.resolution, from: createdAt, cause: cause)
                    if status == .pending { pause(.resolution, cause: cause) }
                }
            }
        }
        return changes
    }

    /// Records the clock's next warning or breach if it has fallen due by `now`, whatever the scheduler
    /// believed: a timer that is stale (the clock moved since) then fires nothing, and a clock whose
    /// timer went missing still fires once something looks at it.
    public mutating func fireDue(_ metric: SLAMetric, at now: Date) -> (SLAClockChange, SLAFiring)? {
        guard var clock = clocks[metric], let next = clock.nextFiring, next.at <= now else { return nil }
        switch next.kind {
        case .warning: clock.warnedAt = next.at
        case .breach: clock.breachedAt = next.at
        }
        clocks[metric] = clock
        let change = SLAClockChange(metric: metric, kind: next.kind == .warning ? .warned : .breached, cause: "scheduler", cycle: clock.cycle)
        return (change, next)
    }
}
