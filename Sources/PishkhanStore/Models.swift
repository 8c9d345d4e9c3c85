import Foundation
import PishkhanCore

public struct Agent: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var email: String?
    public var role: Role
    public var groups: [String]
    /// Per-agent cap for least-loaded assignment; nil uses the channel's.
    public var capacity: Int?
    public var available: Bool
    public var createdAt: Date
}

public struct Customer: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String?
    public var tier: CustomerTier
    public var tags: [String]
    public var attributes: [String: JSONValue]
    public var firstSeenAt: Date
    public var lastContactAt: Date
    public var createdAt: Date
    public var updatedAt: Date
    /// Set when this profile was merged into another one.
    public var mergedInto: Int64?
    public var erasedAt: Date?
}

public struct Identity: Codable, Sendable, Equatable {
    public var id: Int64
    public var customerID: Int64
    public var kind: IdentityKind
    /// Normalized: lower-case email, E.164 phone.
    public var value: String
    /// The channel the identity was first seen on.
    public var channel: String?
    public var createdAt: Date
}

public struct Ticket: Codable, Sendable, Equatable {
    public var id: Int64
    /// The number people say and write: `[#number]` in a subject threads into this ticket.
    public var number: Int64
    public var subject: String
    public var status: TicketStatus
    public var priority: Priority
    public var channel: String
    public var channelKind: ChannelKind
    public var customerID: Int64
    public var customerName: String?
    public var assigneeID: Int64?
    public var tags: [String]
    public var slaPolicy: String?
    public var firstResponseDueAt: Date?
    public var nextResponseDueAt: Date?
    public var resolutionDueAt: Date?
    /// The earliest of the running SLA due times; the queue sorts by it.
    public var dueAt: Date?
    public var firstRespondedAt: Date?
    public var lastCustomerMessageAt: Date?
    public var lastActivityAt: Date
    public var messageCount: Int
    public var mergedInto: Int64?
    public var createdAt: Date
    public var updatedAt: Date
    public var resolvedAt: Date?
    public var closedAt: Date?
}

public struct AttachmentInfo: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var contentType: String
    public var size: Int
    /// SHA-256 of the content, hex; the file lives at `attachments/<first two>/<hash>` in the data dir.
    public var sha256: String
}

public struct Message: Codable, Sendable, Equatable {
    public var id: Int64
    public var ticketID: Int64
    public var kind: MessageKind
    public var channel: String
    public var externalID: String?
    public var authorAgentID: Int64?
    public var customerID: Int64?
    public var subject: String?
    public var text: String?
    public var html: String?
    public var deliveryStatus: DeliveryStatus?
    public var attachments: [AttachmentInfo]
    public var sentAt: Date?
    public var createdAt: Date
    /// Written by a machine (a bounce, an out-of-office): kept on the ticket, changes nothing there.
    public var automated: Bool = false
    /// Links to files the provider keeps (MMS pictures); empty for most messages.
    public var media: [MediaLink] = []
    /// SMS: the provider's id for an outbound message, its last reported status, and the parts it was sent as.
    public var providerID: String?
    public var providerStatus: String?
    public var segments: Int?
    /// Why delivery failed, as the provider or server said it.
    public var deliveryError: String?
}

/// What one ingest did. A duplicate returns the first ingest's ids with `duplicate` set.
public struct IngestResult: Codable, Sendable, Equatable {
    public var messageID: Int64
    public var ticketID: Int64
    public var customerID: Int64
    public var duplicate: Bool
    public var ticketCreated: Bool
    public var customerCreated: Bool
    /// How the message was threaded, nil for a new ticket or a duplicate.
    public var threadedBy: Threading.Rule?
}

public struct Page<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    /// Pass back as `cursor` for the next page; nil on the last page.
    public var nextCursor: String?
    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

public struct TicketQuery: Sendable {
    public enum Sort: String, Sendable { case due, updated }
    public enum AssigneeFilter: Sendable, Equatable { case any, unassigned, agent(Int64) }
    public var statuses: [TicketStatus] = []
    public var priorities: [Priority] = []
    public var assignee: AssigneeFilter = .any
    public var channel: String?
    public var tag: String?
    public var customerID: Int64?
    public var text: String?
    public var sort: Sort = .due
    public var limit: Int = 50
    public var cursor: String?
    public init() {}
}

public struct TicketPatch: Sendable {
    public var status: TicketStatus?
    public var priority: Priority?
    /// `.some(nil)` unassigns.
    public var assigneeID: Int64??
    public var tags: [String]?
    public init(status: TicketStatus? = nil, priority: Priority? = nil, assigneeID: Int64?? = nil, tags: [String]? = nil) {
        self.status = status
        self.priority = priority
        self.assigneeID = assigneeID
        self.tags = tags
    }
}

public struct CustomerPatch: Sendable {
    public var name: String??
    public var tier: CustomerTier?
    public var tags: [String]?
    /// Merged into the existing attributes; a null value removes the key.
    public var attributes: [String: JSONValue]?
    public init(name: String?? = nil, tier: CustomerTier? = nil, tags: [String]? = nil, attributes: [String: JSONValue]? = nil) {
        self.name = name
        self.tier = tier
        self.tags = tags
        self.attributes = attributes
    }
}

public struct CustomerEventInput: Codable, Sendable {
    /// What happened, for example `order.placed`.
    public var type: String
    public var title: String
    public var data: [String: JSONValue]?
    public var occurredAt: Date?
    /// The outside system's id; a second event with the same source id is not stored twice.
    public var externalID: String?

    public init(type: String, title: String, data: [String: JSONValue]? = nil, occurredAt: Date? = nil, externalID: String? = nil) {
        self.type = type
        self.title = title
        self.data = data
        self.occurredAt = occurredAt
        self.externalID = externalID
    }
}

public struct CustomerEvent: Codable, Sendable, Equatable {
    public var id: Int64
    public var customerID: Int64
    public var type: String
    public var title: String
    public var data: [String: JSONValue]
    public var externalID: String?
    public var occurredAt: Date
    public var createdAt: Date
}

public struct CustomerMerge: Codable, Sendable, Equatable {
    public var id: Int64
    public var sourceID: Int64
    public var targetID: Int64
    public var movedIdentities: [Int64]
    public var movedTickets: [Int64]
    public var movedEvents: [Int64]
    public var actorAgentID: Int64?
    public var mergedAt: Date
    public var undoneAt: Date?
}

/// One line of a customer's history: a message, an outside event, or a ticket's lifecycle.
public struct TimelineEntry: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case message, event, ticket }
    public var kind: Kind
    public var at: Date
    public var ticketID: Int64?
    public var messageID: Int64?
    public var messageKind: MessageKind?
    public var channel: String?
    public var eventType: String?
    public var title: String?
    public var text: String?
    public var data: [String: JSONValue]?
}

/// Who a ticket is for, at a glance: what the ticket view shows beside the conversation.
public struct CustomerSummary: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String?
    public var tier: CustomerTier
    public var tags: [String]
    public var identities: [Identity]
    public var openTickets: Int
}

/// The customer 360 view.
public struct CustomerProfile: Codable, Sendable {
    public var customer: Customer
    public var identities: [Identity]
    public var tickets: [Ticket]
    public var channelsUsed: [String]
    public var openTickets: Int
    public var timeline: Page<TimelineEntry>
}

/// Everything stored about one person, for a data-access request.
public struct CustomerExport: Codable, Sendable {
    public var exportedAt: Date
    public var customer: Customer
    public var identities: [Identity]
    public var tickets: [Ticket]
    public var messages: [Message]
    public var events: [CustomerEvent]
    public var merges: [CustomerMerge]
}

public struct AuditEntry: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var actorAgentID: Int64?
    public var action: String
    public var targetType: String
    public var targetID: Int64?
    public var details: [String: JSONValue]
}

public struct ReplyInput: Sendable {
    public var text: String
    public var html: String?
    /// Status to leave the ticket in after the reply (commonly `pending`); default: new becomes open.
    public var status: TicketStatus?
    public init(text: String, html: String? = nil, status: TicketStatus? = nil) {
        self.text = text
        self.html = html
        self.status = status
    }
}

public struct OutboxItem: Codable, Sendable, Equatable {
    public var id: Int64
    public var messageID: Int64
    public var channel: String
    public var channelKind: ChannelKind
    public var recipient: String?
    public var status: DeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
}

public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(String)
    case conflict(String)
    case invalid(ValidationError)

    public var description: String {
        switch self {
        case .notFound(let s): s
        case .conflict(let s): s
        case .invalid(let v): v.description
        }
    }
}

/// One agent's open work (or the unassigned pile, with no agent id), for the supervisor's board.
public struct AgentWorkload: Codable, Sendable, Equatable {
    public var agentID: Int64?
    public var open: Int
    public var pending: Int
    /// Open tickets whose earliest running SLA clock is past due.
    public var breached: Int

    public init(agentID: Int64?, open: Int, pending: Int, breached: Int) {
        self.agentID = agentID
        self.open = open
        self.pending = pending
        self.breached = breached
    }
}

/// A lease held by one process of the cluster.
public struct Lease: Sendable, Equatable {
    public var name: String
    public var holder: String
    /// Raised each time the lease changes holder.
    public var generation: Int64
    public var expiresAt: Date
}
