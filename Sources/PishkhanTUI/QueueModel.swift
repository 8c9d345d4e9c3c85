import Foundation

/// A ticket as the queue shows it, decoded from `GET /api/v1/tickets` (the TUI is a client of the REST API).
public struct QueueTicket: Codable, Sendable, Equatable {
    public var id: Int64
    public var number: Int64
    public var subject: String
    public var status: String
    public var priority: String
    public var channel: String
    public var customerName: String?
    public var assigneeID: Int64?
    public var customerID: Int64?
    public var tags: [String]?
    /// The earliest running SLA due time.
    public var dueAt: Date?
    public var updatedAt: Date

    public init(id: Int64, number: Int64, subject: String, status: String, priority: String, channel: String,
                customerName: String? = nil, assigneeID: Int64? = nil, dueAt: Date? = nil, updatedAt: Date) {
        self.id = id
        self.number = number
        self.subject = subject
        self.status = status
        self.priority = priority
        self.channel = channel
        self.customerName = customerName
        self.assigneeID = assigneeID
        self.dueAt = dueAt
        self.updatedAt = updatedAt
    }
}

/// The SLA countdown of a queue row and the colour it is drawn in.
public struct SLACountdown: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        /// More than the warning window left.
        case onTime
        /// Due within the warning window.
        case warning
        /// Past due.
        case breached
        /// The clocks are stopped (pending: waiting for the customer).
        case paused
        /// No SLA clock runs.
        case none
    }

    public var state: State
    /// "2h 05m", "45m", "3d 4h", "-15m" (overdue), "paused" or "—".
    public var text: String

    public static let warningWindow: TimeInterval = 3600

    public init(state: State, text: String) {
        self.state = state
        self.text = text
    }

    public init(dueAt: Date?, status: String, now: Date, warningWindow: TimeInterval = Self.warningWindow) {
        guard status != "pending" else {
            self.state = .paused
            self.text = "paused"
            return
        }
        guard let dueAt, status != "resolved", status != "closed" else {
            self.state = .none
            self.text = "—"
            return
        }
        let remaining = dueAt.timeIntervalSince(now)
        state = remaining < 0 ? .breached : remaining <= warningWindow ? .warning : .onTime
        text = Self.format(remaining)
    }

    /// Whole minutes, rounded toward the deadline's side: 59 s left is "1m", 59 s late is "-1m".
    public static func format(_ seconds: TimeInterval) -> String {
        let sign = seconds < 0 ? "-" : ""
        let minutes = Int((abs(seconds) / 60).rounded(.up))
        let days = minutes / 1440, hours = (minutes % 1440) / 60, mins = minutes % 60
        if days > 0 { return "\(sign)\(days)d \(hours)h" }
        if hours > 0 { return "\(sign)\(hours)h \(String(format: "%02d", mins))m" }
        return "\(sign)\(mins)m"
    }
}

/// How the queue is ordered.
public enum QueueOrder: String, Sendable, CaseIterable {
    /// SLA urgency: breached first (longest overdue on top), then the soonest due, then tickets without a
    /// running clock (paused or none), most recently updated first.
    case urgency
    /// Most recently updated first.
    case updated

    public func sorted(_ tickets: [QueueTicket], now: Date) -> [QueueTicket] {
        switch self {
        case .updated:
            return tickets.sorted { ($0.updatedAt, $0.id) > ($1.updatedAt, $1.id) }
        case .urgency:
            func key(_ t: QueueTicket) -> (Int, TimeInterval) {
                guard t.status != "pending", let due = t.dueAt else { return (1, -t.updatedAt.timeIntervalSince1970) }
                return (0, due.timeIntervalSince(now))
            }
            return tickets.sorted {
                let a = key($0), b = key($1)
                return a != b ? a < b : $0.id < $1.id
            }
        }
    }
}

/// Keeps the cursor on the same ticket when the queue changes under it (a live update re-sorts it).
public struct QueueCursor: Sendable, Equatable {
    public private(set) var index: Int = 0
    public private(set) var ticketID: Int64?

    public init() {}

    public mutating func move(by delta: Int, in rows: [QueueTicket]) {
        guard !rows.isEmpty else { index = 0; ticketID = nil; return }
        index = min(max(0, index + delta), rows.count - 1)
        ticketID = rows[index].id
    }

    /// After the rows changed: the same ticket if it is still there, else the same position.
    public mutating func follow(_ rows: [QueueTicket]) {
        guard !rows.isEmpty else { index = 0; ticketID = nil; return }
        if let id = ticketID, let found = rows.firstIndex(where: { $0.id == id }) {
            index = found
        } else {
            index = min(index, rows.count - 1)
            ticketID = rows[index].id
        }
    }
}
