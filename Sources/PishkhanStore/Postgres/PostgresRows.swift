import Foundation
import Logging
import PishkhanCore
import PostgresNIO

/// A row read by column name, the way the SQLite side reads GRDB rows.
struct PGRow {
    private let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    subscript<T: PostgresDecodable>(_ column: String) -> T {
        get throws { try row[column].decode(T.self) }
    }

    func date(_ column: String) throws -> Date { Date(timeIntervalSince1970: try self[column] as Double) }
    func date(_ column: String) throws -> Date? { (try self[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
    func bool(_ column: String) throws -> Bool { (try self[column] as Int32) != 0 }
    func int(_ column: String) throws -> Int { Int(try self[column] as Int64) }
    func int(_ column: String) throws -> Int? { (try self[column] as Int64?).map(Int.init) }
}

extension PostgresConnection {
    /// Every row of `query`, read by column name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PGRow] {
        var rows: [PGRow] = []
        for try await row in try await self.query(query, logger: logger) { rows.append(PGRow(row)) }
        return rows
    }

    /// The first row of `query`, if any.
    func first(_ query: PostgresQuery, logger: Logger) async throws -> PGRow? {
        try await rows(query, logger: logger).first
    }

    /// The first column of the first row, if any.
    func value<T: PostgresDecodable & Sendable>(_ type: T.Type, _ query: PostgresQuery, logger: Logger) async throws -> T? {
        var value: T?
        for try await v in try await self.query(query, logger: logger).decode(T.self) where value == nil { value = v }
        return value
    }
}

extension PostgresClient {
    /// Every row of `query` on a pooled connection, read by column name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PGRow] {
        var rows: [PGRow] = []
        for try await row in try await self.query(query, logger: logger) { rows.append(PGRow(row)) }
        return rows
    }
}

/// Rows to models, as `Rows` does for SQLite.
enum PGRows {
    static func agent(_ row: PGRow) throws -> Agent {
        Agent(
            id: try row["id"], name: try row["name"], email: try row["email"], role: Role(rawValue: try row["role"]) ?? .agent,
            groups: JSONText.decode([String].self, try row["groups"], default: []), capacity: try row.int("capacity"),
            available: (try row["available"] as Int32) != 0, createdAt: try row.date("created_at"))
    }
}

extension PGRows {
    /// Reads the columns of `Rows.ticketColumns` (tickets `t` joined to customers `c`).
    static func ticket(_ row: PGRow) throws -> Ticket {
        let id: Int64 = try row["id"]
        let dueSort: Double = try row["due_sort"]
        let tags: String = try row["tags"]
        return Ticket(
            id: id, number: id, subject: try row["subject"],
            status: TicketStatus(rawValue: try row["status"]) ?? .open,
            priority: Priority(rawValue: try row["priority"]) ?? .normal,
            channel: try row["channel"], channelKind: ChannelKind(rawValue: try row["channel_kind"]) ?? .email,
            customerID: try row["customer_id"], customerName: try row["customer_name"], assigneeID: try row["assignee_id"],
            tags: tags == "[]" ? [] : JSONText.decode([String].self, tags, default: []),
            slaPolicy: try row["sla_policy"],
            firstResponseDueAt: try row.date("first_response_due_at"),
            nextResponseDueAt: try row.date("next_response_due_at"),
            resolutionDueAt: try row.date("resolution_due_at"),
            dueAt: dueSort >= TicketSQL.noDue ? nil : dueSort.date,
            firstRespondedAt: try row.date("first_responded_at"),
            lastCustomerMessageAt: try row.date("last_customer_message_at"),
            lastActivityAt: try row.date("last_activity_at"),
            messageCount: try row.int("message_count"), mergedInto: try row["merged_into"],
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
            resolvedAt: try row.date("resolved_at"), closedAt: try row.date("closed_at"))
    }

    static func message(_ row: PGRow, attachments: [AttachmentInfo]) throws -> Message {
        Message(
            id: try row["id"], ticketID: try row["ticket_id"], kind: MessageKind(rawValue: try row["kind"]) ?? .inbound,
            channel: try row["channel"], externalID: try row["external_id"], authorAgentID: try row["author_agent_id"],
            customerID: try row["customer_id"], subject: try row["subject"], text: try row["body_text"], html: try row["body_html"],
            deliveryStatus: (try row["delivery_status"] as String?).flatMap(DeliveryStatus.init(rawValue:)),
            attachments: attachments, sentAt: try row.date("sent_at"),
            createdAt: try row.date("created_at"), automated: try row.bool("automated"),
            media: JSONText.decode([MediaLink].self, try row["media"], default: []), providerID: try row["provider_id"],
            providerStatus: try row["provider_status"], segments: try row.int("segments"), deliveryError: try row["delivery_error"])
    }

    static func attachment(_ row: PGRow) throws -> AttachmentInfo {
        AttachmentInfo(id: try row["id"], name: try row["name"], contentType: try row["content_type"], size: try row.int("size"),
                       sha256: try row["sha256"])
    }

    static func customer(_ row: PGRow) throws -> Customer {
        Customer(
            id: try row["id"], name: try row["name"], tier: CustomerTier(rawValue: try row["tier"]) ?? .standard,
            tags: JSONText.decode([String].self, try row["tags"], default: []),
            attributes: JSONText.decode([String: JSONValue].self, try row["attributes"], default: [:]),
            firstSeenAt: try row.date("first_seen_at"), lastContactAt: try row.date("last_contact_at"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
            mergedInto: try row["merged_into"], erasedAt: try row.date("erased_at"))
    }

    static func identity(_ row: PGRow) throws -> Identity {
        Identity(
            id: try row["id"], customerID: try row["customer_id"], kind: IdentityKind(rawValue: try row["kind"]) ?? .external,
            value: try row["value"], channel: try row["channel"], createdAt: try row.date("created_at"))
    }

    static func event(_ row: PGRow) throws -> Event? {
        guard let type = EventType(rawValue: try row["type"]) else { return nil }
        return Event(
            seq: try row["seq"], type: type, version: try row.int("version"), ticketID: try row["ticket_id"],
            customerID: try row["customer_id"], occurredAt: try row.date("occurred_at"),
            data: JSONText.decode([String: JSONValue].self, try row["data"], default: [:]))
    }

    static func customerEvent(_ row: PGRow) throws -> CustomerEvent {
        CustomerEvent(
            id: try row["id"], customerID: try row["customer_id"], type: try row["type"], title: try row["title"],
            data: JSONText.decode([String: JSONValue].self, try row["data"], default: [:]), externalID: try row["external_id"],
            occurredAt: try row.date("occurred_at"), createdAt: try row.date("created_at"))
    }

    static func merge(_ row: PGRow) throws -> CustomerMerge {
        let moved = JSONText.decode(MovedRecords.self, try row["moved"], default: MovedRecords())
        return CustomerMerge(
            id: try row["id"], sourceID: try row["source_id"], targetID: try row["target_id"], movedIdentities: moved.identities,
            movedTickets: moved.tickets, movedEvents: moved.events, actorAgentID: try row["actor_agent_id"],
            mergedAt: try row.date("merged_at"), undoneAt: try row.date("undone_at"))
    }
}

enum PGAudit {
    static func write(_ connection: PostgresConnection, logger: Logger, at: Date, actor: Int64?, action: String,
                      targetType: String, targetID: Int64?, details: [String: JSONValue]) async throws {
        try await connection.query("""
            INSERT INTO audit_log (at, actor_agent_id, action, target_type, target_id, details)
            VALUES (\(at.seconds), \(actor), \(action), \(targetType), \(targetID), \(JSONText.encode(details)))
            """, logger: logger)
    }
}
