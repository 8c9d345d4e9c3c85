import Foundation
import GRDB
import PishkhanCore

/// Mapping between rows and records. Columns are selected by name, so `SELECT *` and joins both work.
enum Rows {
    static let ticketColumns = """
        t.id, t.subject, t.status, t.priority, t.channel, t.channel_kind, t.customer_id, t.assignee_id, t.tags,
        t.sla_policy, t.first_response_due_at, t.next_response_due_at, t.resolution_due_at, t.due_sort,
        t.first_responded_at, t.last_customer_message_at, t.last_activity_at, t.message_count, t.merged_into,
        t.created_at, t.updated_at, t.resolved_at, t.closed_at, c.name AS customer_name
        """

    /// By position in `ticketColumns`: name lookups are case-insensitive scans and showed up in profiles
    /// of the queue.
    static func ticket(_ row: Row) -> Ticket {
        let id: Int64 = row[0]
        let dueSort: Double = row[13]
        return Ticket(
            id: id, number: id, subject: row[1],
            status: TicketStatus(rawValue: row[2]) ?? .open,
            priority: Priority(rawValue: row[3]) ?? .normal,
            channel: row[4], channelKind: ChannelKind(rawValue: row[5]) ?? .email,
            customerID: row[6], customerName: row[23], assigneeID: row[7],
            tags: row[8] == "[]" ? [] : JSONText.decode([String].self, row[8], default: []),
            slaPolicy: row[9],
            firstResponseDueAt: (row[10] as Double?).date,
            nextResponseDueAt: (row[11] as Double?).date,
            resolutionDueAt: (row[12] as Double?).date,
            dueAt: dueSort >= TicketSQL.noDue ? nil : dueSort.date,
            firstRespondedAt: (row[14] as Double?).date,
            lastCustomerMessageAt: (row[15] as Double?).date,
            lastActivityAt: (row[16] as Double).date,
            messageCount: row[17], mergedInto: row[18],
            createdAt: (row[19] as Double).date, updatedAt: (row[20] as Double).date,
            resolvedAt: (row[21] as Double?).date, closedAt: (row[22] as Double?).date)
    }

    static func message(_ row: Row, attachments: [AttachmentInfo]) -> Message {
        Message(
            id: row["id"], ticketID: row["ticket_id"], kind: MessageKind(rawValue: row["kind"]) ?? .inbound,
            channel: row["channel"], externalID: row["external_id"], authorAgentID: row["author_agent_id"],
            customerID: row["customer_id"], subject: row["subject"], text: row["body_text"], html: row["body_html"],
            deliveryStatus: (row["delivery_status"] as String?).flatMap(DeliveryStatus.init(rawValue:)),
            attachments: attachments, sentAt: (row["sent_at"] as Double?).date,
            createdAt: (row["created_at"] as Double).date, automated: row["automated"] ?? false,
            media: JSONText.decode([MediaLink].self, row["media"], default: []), providerID: row["provider_id"],
            providerStatus: row["provider_status"], segments: row["segments"], deliveryError: row["delivery_error"])
    }

    static func attachment(_ row: Row) -> AttachmentInfo {
        AttachmentInfo(id: row["id"], name: row["name"], contentType: row["content_type"], size: row["size"], sha256: row["sha256"])
    }

    static func customer(_ row: Row) -> Customer {
        Customer(
            id: row["id"], name: row["name"], tier: CustomerTier(rawValue: row["tier"]) ?? .standard,
            tags: JSONText.decode([String].self, row["tags"], default: []),
            attributes: JSONText.object(row["attributes"]),
            firstSeenAt: (row["first_seen_at"] as Double).date, lastContactAt: (row["last_contact_at"] as Double).date,
            createdAt: (row["created_at"] as Double).date, updatedAt: (row["updated_at"] as Double).date,
            mergedInto: row["merged_into"], erasedAt: (row["erased_at"] as Double?).date)
    }

    static func identity(_ row: Row) -> Identity {
        Identity(
            id: row["id"], customerID: row["customer_id"], kind: IdentityKind(rawValue: row["kind"]) ?? .external,
            value: row["value"], channel: row["channel"], createdAt: (row["created_at"] as Double).date)
    }

    static func agent(_ row: Row) -> Agent {
        Agent(
            id: row["id"], name: row["name"], email: row["email"], role: Role(rawValue: row["role"]) ?? .agent,
            groups: JSONText.decode([String].self, row["groups"], default: []), capacity: row["capacity"],
            available: row["available"], createdAt: (row["created_at"] as Double).date)
    }

    static func event(_ row: Row) -> Event? {
        guard let type = EventType(rawValue: row["type"]) else { return nil }
        return Event(
            seq: row["seq"], type: type, version: row["version"], ticketID: row["ticket_id"], customerID: row["customer_id"],
            occurredAt: (row["occurred_at"] as Double).date,
            data: JSONText.object(row["data"]))
    }

    static func customerEvent(_ row: Row) -> CustomerEvent {
        CustomerEvent(
            id: row["id"], customerID: row["customer_id"], type: row["type"], title: row["title"],
            data: JSONText.object(row["data"]), externalID: row["external_id"],
            occurredAt: (row["occurred_at"] as Double).date, createdAt: (row["created_at"] as Double).date)
    }

    static func merge(_ row: Row) -> CustomerMerge {
        let moved = JSONText.decode(MovedRecords.self, row["moved"], default: MovedRecords())
        return CustomerMerge(
            id: row["id"], sourceID: row["source_id"], targetID: row["target_id"], movedIdentities: moved.identities,
            movedTickets: moved.tickets, movedEvents: moved.events, actorAgentID: row["actor_agent_id"],
            mergedAt: (row["merged_at"] as Double).date, undoneAt: (row["undone_at"] as Double?).date)
    }
}

struct MovedRecords: Codable {
    var identities: [Int64] = []
    var tickets: [Int64] = []
    var events: [Int64] = []
}

enum TicketSQL {
    /// `due_sort` for a ticket with no running SLA clock: sorts after every real due time.
    static let noDue: Double = 1e15
}
