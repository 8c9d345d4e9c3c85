import Foundation
import PishkhanCore

/// One clock as an agent sees it on a ticket: where it stands now and why.
public struct SLAClockView: Codable, Sendable, Equatable {
    public var metric: SLAMetric
    public var policy: String
    public var calendar: String
    public var status: SLAClock.Status
    public var cycle: Int
    public var target: BusinessDuration
    public var startedAt: Date
    /// Set while the clock runs.
    public var dueAt: Date?
    /// Business seconds so far.
    public var elapsed: TimeInterval
    /// Business seconds left; nil once overdue or ended.
    public var remaining: TimeInterval?
    /// Business seconds past the target; nil while in time.
    public var overdueBy: TimeInterval?
    public var paused: Bool
    public var warnedAt: Date?
    public var breachedAt: Date?
    public var endedAt: Date?
    /// Decided once the clock ended or breached: fulfilled in time, or not.
    public var met: Bool?
}

/// A recorded change of a ticket's clock, with its cause: the explanation of a deadline.
public struct SLAClockEvent: Codable, Sendable, Equatable {
    public var id: Int64
    public var ticketID: Int64
    public var metric: SLAMetric
    public var kind: SLAClockChange.Kind
    public var cause: String
    public var cycle: Int
    public var policy: String
    public var dueAt: Date?
    public var elapsed: TimeInterval
    public var at: Date
}

/// A warning or breach as recorded, exactly once per ticket, metric and cycle.
public struct SLAAlert: Codable, Sendable, Equatable {
    public var id: Int64
    public var ticketID: Int64
    public var subject: String
    public var metric: SLAMetric
    public var kind: SLAFiring.Kind
    public var cycle: Int
    public var policy: String
    public var channel: String
    /// The assignee when it fired.
    public var assigneeID: Int64?
    public var dueAt: Date
    /// When the store recorded it; minus `dueAt` is the scheduler's lag.
    public var recordedAt: Date
    public var actions: [String]
}

public struct SLABreachQuery: Sendable {
    public var since: Date?
    public var policy: String?
    public var agentID: Int64?
    public var channel: String?
    public var limit: Int

    public init(since: Date? = nil, policy: String? = nil, agentID: Int64? = nil, channel: String? = nil, limit: Int = 100) {
        self.since = since
        self.policy = policy
        self.agentID = agentID
        self.channel = channel
        self.limit = limit
    }
}

/// An open ticket with a clock that breaches within the window asked for.
public struct SLAAtRiskTicket: Codable, Sendable, Equatable {
    public var ticket: Ticket
    /// The earliest due time among its running, unbreached clocks.
    public var firstDueAt: Date
    /// Every running clock of the ticket, not only the nearest.
    public var clocks: [SLAClockView]
}

/// Compliance for a period, for the monthly report to a customer.
public struct SLASummary: Codable, Sendable, Equatable {
    public var from: Date
    public var to: Date
    public var overall: Group
    public var byPolicy: [Group]
    public var byChannel: [Group]
    public var byAgent: [Group]

    public struct Group: Codable, Sendable, Equatable {
        /// Policy id, channel id or agent id (as text; "unassigned" for none); "all" for the overall row.
        public var key: String
        public var tickets: Int
        public var metrics: [SLAMetric: MetricSummary]
        /// Clocks that breached and are still running.
        public var openBreaches: Int
    }

    public struct MetricSummary: Codable, Sendable, Equatable {
        /// Clocks with a verdict: fulfilled, or breached.
        public var decided: Int
        public var met: Int
        public var breached: Int
        /// `met / decided`, in percent; nil when nothing was decided.
        public var metPercent: Double?
        /// Business seconds to fulfilment, over fulfilled clocks.
        public var median: TimeInterval?
        public var p90: TimeInterval?
    }
}

/// What the scheduler must know about a clock after a change: its next firing, or none.
public struct SLATimerUpdate: Sendable, Equatable {
    public var key: SLATimerQueue.Key
    public var timer: SLATimerQueue.Timer?
}
