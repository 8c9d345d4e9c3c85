import Foundation
import PishkhanCore

/// What searching, editing and merging customers decide, the same on every backend; the stores only read
/// and write the rows.
enum CustomerChanges {
    /// A search as the customer list runs it: `folded` for names, `identityTerms` (as typed, and normalized as
    /// an email or a phone) for identity prefixes. Empty when there is nothing to search for.
    struct Search {
        var folded: String
        var identityTerms: [String]
        var isEmpty: Bool { identityTerms.isEmpty }

        init(_ search: String?, normalizer: IdentityNormalizer) {
            let term = search?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            var terms: [String] = []
            if !term.isEmpty {
                terms.append(term.lowercased())
                if let e = try? IdentityNormalizer.email(term) { terms.append(e) }
                if let p = try? normalizer.phone(term) { terms.append(p) }
            }
            folded = TextFolding.fold(term)
            identityTerms = terms
        }

        /// `LIKE` pattern on `search_name` (escape character `\`).
        var namePattern: String { "%" + SQLiteStore.escapeLike(folded) + "%" }

        /// The exclusive upper end of the index range of values starting with `prefix`.
        static func upperBound(_ prefix: String) -> String { prefix + "\u{10FFFF}" }
    }

    /// A customer merged away or erased can no longer be edited.
    static func checkEditable(_ customer: Customer) throws {
        if let into = customer.mergedInto { throw StoreError.conflict("customer \(customer.id) was merged into customer \(into)") }
        if customer.erasedAt != nil { throw StoreError.conflict("customer \(customer.id) was erased") }
    }

    static func patched(_ customer: Customer, _ patch: CustomerPatch) -> Customer {
        var after = customer
        if let name = patch.name {
            after.name = name?.trimmingCharacters(in: .whitespacesAndNewlines)
            if after.name?.isEmpty == true { after.name = nil }
        }
        if let tier = patch.tier { after.tier = tier }
        if let tags = patch.tags { after.tags = SQLiteStore.cleanTags(tags) }
        if let attributes = patch.attributes {
            for (k, v) in attributes {
                if v == .null { after.attributes.removeValue(forKey: k) } else { after.attributes[k] = v }
            }
        }
        return after
    }

    static func checkNotSelf(_ source: Int64, _ target: Int64) throws {
        guard source != target else { throw StoreError.invalid(ValidationError(field: "into", reason: "a customer cannot be merged into itself")) }
    }

    /// Both customers must still be live to be merged.
    static func checkMergeable(_ source: Customer, _ target: Customer) throws {
        for c in [source, target] {
            if let into = c.mergedInto { throw StoreError.conflict("customer \(c.id) was already merged into customer \(into)") }
            if c.erasedAt != nil { throw StoreError.conflict("customer \(c.id) was erased") }
        }
    }

    /// The surviving profile: the target's name (the source's when it has none), both sets of tags, the
    /// target's attributes over the source's, and the higher tier.
    static func merged(_ source: Customer, into target: Customer) -> Customer {
        var merged = target
        merged.tags = SQLiteStore.cleanTags(target.tags + source.tags)
        merged.attributes = source.attributes.merging(target.attributes) { _, kept in kept }
        if merged.name == nil { merged.name = source.name }
        merged.tier = higher(source.tier, target.tier)
        return merged
    }

    static func higher(_ a: CustomerTier, _ b: CustomerTier) -> CustomerTier {
        let order: [CustomerTier] = [.standard, .premium, .vip, .enterprise]
        return (order.firstIndex(of: a) ?? 0) >= (order.firstIndex(of: b) ?? 0) ? a : b
    }

    /// The merge event's data.
    static func mergeEventData(mergeID: Int64, source: Int64, target: Int64, moved: MovedRecords) -> [String: JSONValue] {
        [
            "mergeID": .int(mergeID), "sourceID": .int(source), "targetID": .int(target),
            "movedIdentities": .int(Int64(moved.identities.count)), "movedTickets": .int(Int64(moved.tickets.count)),
        ]
    }

    /// An undo needs the merge not undone yet and its target still live.
    static func checkUndoable(_ merge: CustomerMerge, target: Customer) throws {
        if merge.undoneAt != nil { throw StoreError.conflict("merge \(merge.id) was already undone") }
        if target.mergedInto != nil || target.erasedAt != nil {
            throw StoreError.conflict("customer \(merge.targetID) has since been merged or erased; undo that first")
        }
    }

    /// The event's type, trimmed; the input refused with the field when type or title is unusable.
    static func eventType(_ input: CustomerEventInput) throws -> String {
        let type = input.type.trimmingCharacters(in: .whitespaces)
        guard !type.isEmpty, type.count <= 100 else { throw StoreError.invalid(ValidationError(field: "type", reason: "must be 1–100 characters")) }
        guard !input.title.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError.invalid(ValidationError(field: "title", reason: "must not be empty"))
        }
        return type
    }

    /// An erasure needs a live customer.
    static func checkErasable(_ customer: Customer) throws {
        if customer.erasedAt != nil { throw StoreError.conflict("customer \(customer.id) was already erased") }
        if let into = customer.mergedInto { throw StoreError.conflict("customer \(customer.id) was merged into customer \(into); erase that one") }
    }

    /// The customer's timeline, one statement for both backends (`placeholder(n)`: `?n` for SQLite, `$n` for
    /// PostgreSQL): messages, notes, outside events, merges and ticket lifecycle, newest first. The ordinal
    /// (id × 4 + source) orders entries of the same instant deterministically, and with the time makes the
    /// cursor. Parameters: 1 customer, 2 and 3 the cursor (`timelineStart` for the first page), 4 limit.
    static func timelineSQL(_ placeholder: (Int) -> String) -> String {
        """
        SELECT * FROM (
            SELECT 'message' AS entry, m.created_at AS at, m.id * 4 + 1 AS ord, m.ticket_id AS ticket_id, m.id AS message_id,
                   m.kind AS message_kind, m.channel AS channel, NULL AS event_type, m.subject AS title, m.body_text AS text, NULL AS data
            FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = \(placeholder(1))
            UNION ALL
            SELECT 'event', e.occurred_at, e.id * 4 + 2, NULL, NULL, NULL, NULL, e.type, e.title, NULL, e.data
            FROM customer_events e WHERE e.customer_id = \(placeholder(1))
            UNION ALL
            SELECT CASE WHEN v.type LIKE 'ticket.%' THEN 'ticket' ELSE 'event' END, v.occurred_at, v.seq * 4 + 3, v.ticket_id,
                   NULL, NULL, NULL, v.type, NULL, NULL, v.data
            FROM events v WHERE v.customer_id = \(placeholder(1))
              AND v.type IN ('ticket.created', 'ticket.updated', 'ticket.merged', 'customer.merged', 'customer.unmerged')
        ) AS timeline
        WHERE (at, ord) < (\(placeholder(2)), \(placeholder(3)))
        ORDER BY at DESC, ord DESC LIMIT \(placeholder(4))
        """
    }

    /// The cursor before every entry: where the first page starts.
    static let timelineStart: (Double, Int64) = (.greatestFiniteMagnitude, .max)

    /// One timeline row's columns, read by either backend.
    struct TimelineRow {
        var entry: String
        var at: Double
        var ord: Int64
        var ticketID: Int64?
        var messageID: Int64?
        var messageKind: String?
        var channel: String?
        var eventType: String?
        var title: String?
        var text: String?
        var data: String?
    }

    /// The page of `limit` entries from rows fetched with `limit + 1`.
    static func timelinePage(_ rows: [TimelineRow], limit: Int) -> Page<TimelineEntry> {
        let page = rows.prefix(limit)
        let entries = page.map { row in
            TimelineEntry(
                kind: TimelineEntry.Kind(rawValue: row.entry) ?? .event, at: row.at.date, ticketID: row.ticketID, messageID: row.messageID,
                messageKind: row.messageKind.flatMap(MessageKind.init(rawValue:)), channel: row.channel, eventType: row.eventType,
                title: row.title, text: row.text, data: row.data.map { JSONText.decode([String: JSONValue].self, $0, default: [:]) })
        }
        var next: String?
        if rows.count > limit, let last = page.last { next = Cursor.make(last.at, last.ord) }
        return Page(items: Array(entries), nextCursor: next)
    }
}
