import Foundation

/// The typed event stream. Payloads carry ids and state, never message bodies or personal data, so
/// erasing a customer never has to rewrite history.
public enum EventType: String, Codable, Sendable, CaseIterable {
    case ticketCreated = "ticket.created"
    case ticketUpdated = "ticket.updated"
    case ticketMerged = "ticket.merged"
    case messageAdded = "message.added"
    /// An outbound message was sent, or failed for good.
    case messageDelivery = "message.delivery"
    /// The answer bot answered, handed over or closed a customer's turn; the data says why, with scores.
    case botDecision = "bot.decision"
    case customerCreated = "customer.created"
    case customerUpdated = "customer.updated"
    case customerMerged = "customer.merged"
    case customerUnmerged = "customer.unmerged"
    case customerErased = "customer.erased"
    case customerEvent = "customer.event"
    /// An SLA clock passed its warning threshold.
    case slaWarning = "sla.warning"
    /// An SLA clock passed its target; `data.actions` lists the breach actions applied.
    case slaBreached = "sla.breached"
}

public struct Event: Codable, Sendable, Equatable {
    /// Monotonic; a client resumes with `after=<last seq seen>`.
    public var seq: Int64
    public var type: EventType
    public var version: Int
    public var ticketID: Int64?
    public var customerID: Int64?
    public var occurredAt: Date
    public var data: [String: JSONValue]

    public init(seq: Int64, type: EventType, version: Int = 1, ticketID: Int64?, customerID: Int64?, occurredAt: Date, data: [String: JSONValue]) {
        self.seq = seq
        self.type = type
        self.version = version
        self.ticketID = ticketID
        self.customerID = customerID
        self.occurredAt = occurredAt
        self.data = data
    }
}

/// A JSON value, for free-form attributes and event data.
public enum JSONValue: Codable, Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n.rounded() == n, abs(n) < 9e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public static func int(_ v: Int64) -> JSONValue { .number(Double(v)) }
    public static func optionalInt(_ v: Int64?) -> JSONValue { v.map { .number(Double($0)) } ?? .null }
}

extension Event {
    /// The event as the API writes it (keys sorted, absent ids left out, `occurredAt` in ISO 8601), built
    /// directly: the event stream sends every event to every follower, and a `JSONEncoder` per event cost
    /// more than reading it.
    public var jsonText: String {
        var out = "{"
        if let customerID { out += "\"customerID\":\(customerID)," }
        out += "\"data\":"
        out += JSONValue.object(data).jsonText
        out += ",\"occurredAt\":\""
        out += ISO8601.format(occurredAt)
        out += "\",\"seq\":\(seq),"
        if let ticketID { out += "\"ticketID\":\(ticketID)," }
        out += "\"type\":"
        out += JSONValue.string(type.rawValue).jsonText
        out += ",\"version\":\(version)}"
        return out
    }
}
