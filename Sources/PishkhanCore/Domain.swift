import Foundation

/// The kind of channel a message arrived on. Dispatch over it is exhaustive, so a new kind fails to compile
/// everywhere it is not handled yet.
public enum ChannelKind: String, Codable, Sendable, CaseIterable {
    case email
    case sms
    /// Web chat over WebSocket.
    case chat
    case telegram
    /// A generic chat-platform webhook.
    case webhook

    /// The identity kind a sender on this channel is known by.
    public var identityKind: IdentityKind {
        switch self {
        case .email: .email
        case .sms: .phone
        case .chat: .chat
        case .telegram: .telegram
        case .webhook: .external
        }
    }

    /// Conversational channels thread by recency (same customer, same channel, within a window);
    /// email threads only by explicit hints.
    public var threadsByRecency: Bool {
        switch self {
        case .email: false
        case .sms, .chat, .telegram, .webhook: true
        }
    }
}

/// How a customer is reached: one identity belongs to exactly one customer.
public enum IdentityKind: String, Codable, Sendable, CaseIterable {
    case email
    case phone
    case chat
    case telegram
    case external
}

public enum TicketStatus: String, Codable, Sendable, CaseIterable {
    case new, open, pending, resolved, closed

    /// Statuses in which a ticket still accepts conversation by recency.
    public var isActive: Bool {
        switch self {
        case .new, .open, .pending: true
        case .resolved, .closed: false
        }
    }

    /// Whether an agent may move a ticket from `self` to `next`. Closed is final: a customer writing
    /// again gets a new ticket.
    public func canTransition(to next: TicketStatus) -> Bool {
        if next == self { return true }
        switch self {
        case .new: return next != .new
        case .open: return next != .new
        case .pending: return next != .new
        case .resolved: return next == .open || next == .closed
        case .closed: return false
        }
    }

    /// The status after a customer writes into a ticket in this status.
    public var afterCustomerMessage: TicketStatus {
        switch self {
        case .new: .new
        case .open, .pending, .resolved: .open
        case .closed: .closed
        }
    }
}

public enum Priority: String, Codable, Sendable, CaseIterable, Comparable {
    case low, normal, high, urgent

    public var rank: Int {
        switch self {
        case .low: 0
        case .normal: 1
        case .high: 2
        case .urgent: 3
        }
    }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }

    /// One step up, used by escalations; urgent stays urgent.
    public var raised: Priority {
        switch self {
        case .low: .normal
        case .normal: .high
        case .high, .urgent: .urgent
        }
    }
}

public enum MessageKind: String, Codable, Sendable, CaseIterable {
    /// Written by the customer.
    case inbound
    /// A public reply by an agent.
    case outbound
    /// Internal, never sent to the customer.
    case note
    /// Written by the answer bot.
    case bot
}

public enum DeliveryStatus: String, Codable, Sendable, CaseIterable {
    case queued, sending, sent, delivered, failed
}

/// Agent roles, ordered: every role can do what the roles below it can.
/// `integration` sits outside the order: it may only feed messages and outside events.
public enum Role: String, Codable, Sendable, CaseIterable {
    case integration
    case agent
    case supervisor
    case admin

    private var rank: Int {
        switch self {
        case .integration: 0
        case .agent: 1
        case .supervisor: 2
        case .admin: 3
        }
    }

    /// Whether this role satisfies a route's requirement.
    public func satisfies(_ required: Access) -> Bool {
        switch required {
        case .integration: true
        case .agent: rank >= Role.agent.rank
        case .supervisor: rank >= Role.supervisor.rank
        case .admin: self == .admin
        }
    }
}

/// What a route requires of the caller.
public enum Access: Sendable {
    /// Any valid token, integrations included.
    case integration
    case agent
    case supervisor
    case admin
}

public enum CustomerTier: String, Codable, Sendable, CaseIterable {
    case standard, premium, vip, enterprise
}
