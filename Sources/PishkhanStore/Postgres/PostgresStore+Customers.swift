import Foundation
import Logging
import PishkhanCore
import PostgresNIO

extension PostgresStore: CustomerStore {
    /// Finds customers by name, email, phone or any identity, as `SQLiteStore.customers` does. Identity
    /// prefixes compare in byte order (`COLLATE "C"`), as SQLite compares text, whatever the database's locale.
    public func customers(search: String?, limit: Int, cursor: String?) async throws -> Page<Customer> {
        let limit = max(1, min(limit, 200))
        let after = try Cursor.parse(cursor)?.1 ?? Int64.max
        let search = CustomerChanges.Search(search, normalizer: normalizer)
        var sql = SQLBuilder("SELECT * FROM customers c WHERE c.merged_into IS NULL AND c.erased_at IS NULL AND c.id < ")
        sql.append(sql.bind(after))
        if !search.isEmpty {
            var ranges: [String] = []
            for term in search.identityTerms {
                for kind in IdentityKind.allCases {
                    ranges.append("(i.kind = \(sql.bind(kind.rawValue)) AND i.value COLLATE \"C\" >= \(sql.bind(term)) "
                                  + "AND i.value COLLATE \"C\" < \(sql.bind(CustomerChanges.Search.upperBound(term))))")
                }
            }
            sql.append(" AND (c.search_name LIKE \(sql.bind(search.namePattern)) ESCAPE '\\' ")
            sql.append("OR c.id IN (SELECT i.customer_id FROM identities i WHERE \(ranges.joined(separator: " OR "))))")
        }
        sql.append(" ORDER BY c.id DESC LIMIT \(sql.bind(Int64(limit + 1)))")
        let customers = try await client.rows(sql.query, logger: logger).map(PGRows.customer)
        let items = Array(customers.prefix(limit))
        return Page(items: items, nextCursor: customers.count > limit ? Cursor.make(0, items.last!.id) : nil)
    }

    private static func identities(_ connection: PostgresConnection, _ logger: Logger, customerID: Int64) async throws -> [Identity] {
        try await connection.rows("SELECT * FROM identities WHERE customer_id = \(customerID) ORDER BY id", logger: logger).map(PGRows.identity)
    }

    public func customerProfile(id: Int64, timelineLimit: Int, timelineCursor: String?) async throws -> CustomerProfile {
        let limit = max(1, min(timelineLimit, 200))
        let before = try Cursor.parse(timelineCursor) ?? CustomerChanges.timelineStart
        return try await client.withConnection { connection in
            let customer = try await PGCustomers.fetch(connection, logger: logger, id)
            let identities = try await Self.identities(connection, logger, customerID: id)
            let tickets = try await connection.rows("""
                SELECT \(unescaped: Rows.ticketColumns) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id
                WHERE t.customer_id = \(id) AND t.merged_into IS NULL ORDER BY t.updated_at DESC, t.id DESC
                """, logger: logger).map(PGRows.ticket)
            let channels = try await connection.rows("""
                SELECT channel FROM (SELECT channel FROM tickets WHERE customer_id = \(id)
                    UNION SELECT channel FROM identities WHERE customer_id = \(id) AND channel IS NOT NULL) AS used
                ORDER BY channel COLLATE "C"
                """, logger: logger).map { try $0["channel"] as String }
            var timeline = SQLBuilder()
            let parameters = [timeline.bind(id), timeline.bind(before.0), timeline.bind(before.1), timeline.bind(Int64(limit + 1))]
            timeline.append(CustomerChanges.timelineSQL { parameters[$0 - 1] })
            let rows = try await connection.rows(timeline.query, logger: logger).map { row in
                CustomerChanges.TimelineRow(
                    entry: try row["entry"], at: try row["at"], ord: try row["ord"], ticketID: try row["ticket_id"],
                    messageID: try row["message_id"], messageKind: try row["message_kind"], channel: try row["channel"],
                    eventType: try row["event_type"], title: try row["title"], text: try row["text"], data: try row["data"])
            }
            return CustomerProfile(
                customer: customer, identities: identities, tickets: tickets, channelsUsed: channels,
                openTickets: tickets.filter { $0.status.isActive }.count, timeline: CustomerChanges.timelinePage(rows, limit: limit))
        }
    }

    public func customerSummary(id: Int64) async throws -> CustomerSummary {
        try await client.withConnection { connection in
            let c = try await PGCustomers.fetch(connection, logger: logger, id)
            let open = try await connection.value(Int64.self, """
                SELECT COUNT(*) FROM tickets WHERE customer_id = \(id) AND status IN ('new', 'open', 'pending') AND merged_into IS NULL
                """, logger: logger) ?? 0
            return CustomerSummary(id: c.id, name: c.name, tier: c.tier, tags: c.tags,
                                   identities: try await Self.identities(connection, logger, customerID: id), openTickets: Int(open))
        }
    }

    public func updateCustomer(id: Int64, _ patch: CustomerPatch, actor: Int64?) async throws -> Customer {
        let now = clock()
        return try await write { connection, log in
            let before = try await PGCustomers.fetch(connection, logger: logger, id, lock: .update)
            try CustomerChanges.checkEditable(before)
            let after = CustomerChanges.patched(before, patch)
            guard after != before else { return before }
            try await connection.query("""
                UPDATE customers SET name = \(after.name), search_name = \(after.name.map(TextFolding.fold)), tier = \(after.tier.rawValue),
                    tags = \(JSONText.encode(after.tags)), attributes = \(JSONText.encode(after.attributes)), updated_at = \(now.seconds)
                WHERE id = \(id)
                """, logger: logger)
            log.append(.customerUpdated, ticket: nil, customer: id, at: now, data: ["actorAgentID": .optionalInt(actor)])
            if after.tier != before.tier {
                let book = PGClockBook(connection: connection, logger: logger, config: slaConfiguration(), now: now)
                for row in try await connection.rows("""
                    SELECT id FROM tickets WHERE customer_id = \(id) AND status IN ('new', 'open', 'pending') AND merged_into IS NULL ORDER BY id
                    """, logger: logger) {
                    try await book.recalculate(ticketID: try row["id"], cause: "tier-changed", log: &log)
                }
            }
            return try await PGCustomers.fetch(connection, logger: logger, id)
        }
    }

    /// Moves identities, tickets and outside events of `source` to `target`, and records exactly what moved
    /// so the merge can be undone. The source's identities are locked as ingest locks them, so a message
    /// from one of them that another process is storing lands before the merge (and moves with it) or after
    /// it (on the target), never on the merged profile; then both customers (lower id first, so two merges
    /// of the same pair cannot deadlock), before anything is read.
    public func mergeCustomer(id source: Int64, into target: Int64, actor: Int64?) async throws -> CustomerMerge {
        try CustomerChanges.checkNotSelf(source, target)
        let now = clock()
        return try await write { connection, log in
            try await PGCustomers.lockIdentities(connection, logger: logger, customer: source)
            var locked: [Int64: Customer] = [:]
            for id in [source, target].sorted() { locked[id] = try await PGCustomers.fetch(connection, logger: logger, id, lock: .update) }
            let from = locked[source]!, to = locked[target]!
            try CustomerChanges.checkMergeable(from, to)
            func ids(_ table: String) async throws -> [Int64] {
                var select = SQLBuilder("SELECT id FROM \(table) WHERE customer_id = ")
                select.append("\(select.bind(source)) ORDER BY id")
                return try await connection.rows(select.query, logger: logger).map { try $0["id"] as Int64 }
            }
            let moved = MovedRecords(identities: try await ids("identities"), tickets: try await ids("tickets"), events: try await ids("customer_events"))
            let t = now.seconds
            try await connection.query("UPDATE identities SET customer_id = \(target) WHERE customer_id = \(source)", logger: logger)
            try await connection.query("UPDATE tickets SET customer_id = \(target) WHERE customer_id = \(source)", logger: logger)
            try await connection.query("UPDATE customer_events SET customer_id = \(target) WHERE customer_id = \(source)", logger: logger)
            if !moved.tickets.isEmpty {
                try await connection.query("UPDATE messages SET customer_id = \(target) WHERE ticket_id = ANY(\(moved.tickets))", logger: logger)
            }
            let merged = CustomerChanges.merged(from, into: to)
            try await connection.query("""
                UPDATE customers SET name = \(merged.name), search_name = \(merged.name.map(TextFolding.fold)), tier = \(merged.tier.rawValue),
                    tags = \(JSONText.encode(merged.tags)), attributes = \(JSONText.encode(merged.attributes)),
                    first_seen_at = LEAST(first_seen_at, \(from.firstSeenAt.seconds)), last_contact_at = GREATEST(last_contact_at, \(from.lastContactAt.seconds)),
                    updated_at = \(t)
                WHERE id = \(target)
                """, logger: logger)
            try await connection.query("UPDATE customers SET merged_into = \(target), updated_at = \(t) WHERE id = \(source)", logger: logger)
            let row = try await connection.rows("""
                INSERT INTO customer_merges (source_id, target_id, moved, target_before, actor_agent_id, merged_at)
                VALUES (\(source), \(target), \(JSONText.encode(moved)), \(JSONText.encode(to)), \(actor), \(t)) RETURNING *
                """, logger: logger)[0]
            let merge = try PGRows.merge(row)
            log.append(.customerMerged, ticket: nil, customer: target, at: now,
                       data: CustomerChanges.mergeEventData(mergeID: merge.id, source: source, target: target, moved: moved))
            try await PGAudit.write(connection, logger: logger, at: now, actor: actor, action: "customer.merge", targetType: "customer",
                                    targetID: target, details: ["mergeID": .int(merge.id), "sourceID": .int(source)])
            return merge
        }
    }

    /// Puts back what a merge moved, as `SQLiteStore.undoCustomerMerge` does. The merge row is locked first,
    /// so two undos of one merge cannot both run; then the identities going back (as ingest locks them, see
    /// `mergeCustomer`) and both customers.
    public func undoCustomerMerge(customerID: Int64, mergeID: Int64, actor: Int64?) async throws -> CustomerMerge {
        let now = clock()
        return try await write { connection, log in
            guard let row = try await connection.first("""
                SELECT * FROM customer_merges WHERE id = \(mergeID) AND (target_id = \(customerID) OR source_id = \(customerID)) FOR UPDATE
                """, logger: logger) else {
                throw StoreError.notFound("merge \(mergeID) of customer \(customerID) does not exist")
            }
            let merge = try PGRows.merge(row)
            let moved = JSONText.decode(MovedRecords.self, try row["moved"], default: MovedRecords())
            try await PGCustomers.lockIdentities(connection, logger: logger, ids: moved.identities)
            var locked: [Int64: Customer] = [:]
            for id in [merge.sourceID, merge.targetID].sorted() {
                locked[id] = try await PGCustomers.fetch(connection, logger: logger, id, lock: .update)
            }
            let target = locked[merge.targetID]!
            try CustomerChanges.checkUndoable(merge, target: target)
            let before = JSONText.decode(Customer.self, try row["target_before"], default: target)
            for (table, ids) in [("identities", moved.identities), ("tickets", moved.tickets), ("customer_events", moved.events)] where !ids.isEmpty {
                var update = SQLBuilder("UPDATE \(table) SET customer_id = ")
                update.append("\(update.bind(merge.sourceID)) WHERE customer_id = \(update.bind(merge.targetID)) AND id = ANY(\(update.bind(ids)))")
                try await connection.query(update.query, logger: logger)
            }
            if !moved.tickets.isEmpty {
                try await connection.query("UPDATE messages SET customer_id = \(merge.sourceID) WHERE ticket_id = ANY(\(moved.tickets))", logger: logger)
            }
            let t = now.seconds
            try await connection.query("""
                UPDATE customers SET name = \(before.name), search_name = \(before.name.map(TextFolding.fold)), tier = \(before.tier.rawValue),
                    tags = \(JSONText.encode(before.tags)), attributes = \(JSONText.encode(before.attributes)),
                    first_seen_at = \(before.firstSeenAt.seconds), updated_at = \(t)
                WHERE id = \(merge.targetID)
                """, logger: logger)
            try await connection.query("UPDATE customers SET merged_into = NULL, updated_at = \(t) WHERE id = \(merge.sourceID)", logger: logger)
            let undone = try await connection.rows("UPDATE customer_merges SET undone_at = \(t) WHERE id = \(mergeID) RETURNING *", logger: logger)[0]
            log.append(.customerUnmerged, ticket: nil, customer: merge.targetID, at: now, data: [
                "mergeID": .int(mergeID), "sourceID": .int(merge.sourceID), "targetID": .int(merge.targetID),
            ])
            try await PGAudit.write(connection, logger: logger, at: now, actor: actor, action: "customer.merge.undo", targetType: "customer",
                                    targetID: merge.targetID, details: ["mergeID": .int(mergeID), "sourceID": .int(merge.sourceID)])
            return try PGRows.merge(undone)
        }
    }

    /// Records an outside event once per (customer, type, external id): the unique index decides between
    /// processes adding the same event at once. The customer row is share-locked, so a merge or erasure
    /// waits for the event rather than missing it.
    public func addCustomerEvent(customerID: Int64, _ input: CustomerEventInput, actor: Int64?) async throws -> CustomerEvent {
        let type = try CustomerChanges.eventType(input)
        let now = clock()
        return try await write { connection, log in
            var customer = try await PGCustomers.fetch(connection, logger: logger, customerID, lock: .share)
            if let into = customer.mergedInto { customer = try await PGCustomers.fetch(connection, logger: logger, into, lock: .share) }
            if customer.erasedAt != nil { throw StoreError.conflict("customer \(customerID) was erased") }
            if let inserted = try await connection.first("""
                INSERT INTO customer_events (customer_id, type, title, data, external_id, occurred_at, created_at)
                VALUES (\(customer.id), \(type), \(input.title), \(JSONText.encode(input.data ?? [:])), \(input.externalID),
                    \((input.occurredAt ?? now).seconds), \(now.seconds))
                ON CONFLICT (customer_id, type, external_id) WHERE external_id IS NOT NULL DO NOTHING
                RETURNING *
                """, logger: logger) {
                let event = try PGRows.customerEvent(inserted)
                log.append(.customerEvent, ticket: nil, customer: customer.id, at: now, data: ["eventID": .int(event.id), "type": .string(type)])
                return event
            }
            let existing = try await connection.first("""
                SELECT * FROM customer_events WHERE customer_id = \(customer.id) AND type = \(type) AND external_id = \(input.externalID)
                """, logger: logger)
            return try PGRows.customerEvent(existing!)
        }
    }

    public func exportCustomer(id: Int64, actor: Int64?) async throws -> CustomerExport {
        let now = clock()
        return try await write { connection, _ in
            let customer = try await PGCustomers.fetch(connection, logger: logger, id)
            let export = CustomerExport(
                exportedAt: now, customer: customer,
                identities: try await Self.identities(connection, logger, customerID: id),
                tickets: try await connection.rows("""
                    SELECT \(unescaped: Rows.ticketColumns) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id
                    WHERE t.customer_id = \(id) ORDER BY t.id
                    """, logger: logger).map(PGRows.ticket),
                messages: try await PGTickets.messages(connection, logger: logger, """
                    SELECT m.* FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = \(id) AND m.kind != 'note' ORDER BY m.id
                    """),
                events: try await connection.rows("SELECT * FROM customer_events WHERE customer_id = \(id) ORDER BY id", logger: logger)
                    .map(PGRows.customerEvent),
                merges: try await connection.rows("SELECT * FROM customer_merges WHERE source_id = \(id) OR target_id = \(id) ORDER BY id", logger: logger)
                    .map(PGRows.merge))
            try await PGAudit.write(connection, logger: logger, at: now, actor: actor, action: "customer.export", targetType: "customer",
                                    targetID: id, details: [:])
            return export
        }
    }

    /// Erasure, as `SQLiteStore.eraseCustomer`: the customer's words go from every table, and attachment
    /// contents no other message refers to go from `blobs` in the same transaction. The identities are locked
    /// as ingest locks them (see `mergeCustomer`): a message arriving meanwhile waits, then makes a new customer.
    public func eraseCustomer(id: Int64, actor: Int64?) async throws {
        let now = clock()
        try await write { connection, log in
            // The files only this customer's messages refer to are deleted below: their locks keep an ingest
            // of the same bytes from referring to one while it goes.
            let files = try await connection.rows("""
                SELECT DISTINCT a.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id JOIN tickets t ON t.id = m.ticket_id
                WHERE t.customer_id = \(id)
                """, logger: logger).map { PGCustomers.blobLockKey(try $0["sha256"]) }
            try await PGCustomers.lockIdentities(connection, logger: logger, customer: id, also: Set(files))
            try CustomerChanges.checkErasable(try await PGCustomers.fetch(connection, logger: logger, id, lock: .update))
            let t = now.seconds
            let identities = try await connection.value(Int64.self, "SELECT COUNT(*) FROM identities WHERE customer_id = \(id)", logger: logger) ?? 0
            let tickets = try await connection.value(Int64.self, "SELECT COUNT(*) FROM tickets WHERE customer_id = \(id)", logger: logger) ?? 0
            let hashes = try await connection.rows("""
                DELETE FROM attachments WHERE message_id IN (SELECT m.id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = \(id))
                RETURNING sha256
                """, logger: logger).map { try $0["sha256"] as String }
            try await connection.query("""
                UPDATE messages SET subject = NULL, body_text = NULL, body_html = NULL, message_id_header = NULL, conversation_id = NULL
                WHERE ticket_id IN (SELECT id FROM tickets WHERE customer_id = \(id))
                """, logger: logger)
            try await connection.query("UPDATE tickets SET subject = '(erased)', search_text = '' WHERE customer_id = \(id)", logger: logger)
            // The answer bot kept the customer's words it searched with.
            try await connection.query(
                "UPDATE bot_decisions SET query = '' WHERE ticket_id IN (SELECT id FROM tickets WHERE customer_id = \(id))", logger: logger)
            try await connection.query("""
                UPDATE outbox SET recipient = NULL, last_error = NULL
                WHERE message_id IN (SELECT m.id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = \(id))
                """, logger: logger)
            try await connection.query("DELETE FROM identities WHERE customer_id = \(id)", logger: logger)
            try await connection.query("DELETE FROM customer_events WHERE customer_id = \(id)", logger: logger)
            try await connection.query("UPDATE customer_merges SET target_before = '{}' WHERE target_id = \(id) OR source_id = \(id)", logger: logger)
            try await connection.query("""
                UPDATE customers SET name = NULL, search_name = NULL, tags = '[]', attributes = '{}', erased_at = \(t), updated_at = \(t)
                WHERE id = \(id)
                """, logger: logger)
            if !hashes.isEmpty {
                try await connection.query("""
                    DELETE FROM blobs b WHERE b.sha256 = ANY(\(Array(Set(hashes)))) AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = b.sha256)
                    """, logger: logger)
            }
            log.append(.customerErased, ticket: nil, customer: id, at: now, data: ["actorAgentID": .optionalInt(actor)])
            try await PGAudit.write(connection, logger: logger, at: now, actor: actor, action: "customer.erase", targetType: "customer",
                                    targetID: id, details: ["identities": .int(identities), "tickets": .int(tickets)])
        }
    }
}

/// Customer reads and locks shared by the PostgreSQL parts.
enum PGCustomers {
    /// The advisory lock key ingest takes for an identity before it looks the sender up (`Intake.Prepared.lockKeys`).
    static func lockKey(_ kind: String, _ value: String) -> String { kind + ":" + value }

    /// The advisory lock key of a stored file: ingest takes it before it refers to the file, erasure before
    /// it deletes the file, so an erasure never deletes a file a message being stored is about to refer to.
    static func blobLockKey(_ sha256: String) -> String { "blob:" + sha256 }

    /// Takes the advisory locks `keys` name for the rest of the transaction, in one statement and in one
    /// order everywhere (by the lock's number), so transactions taking several cannot deadlock.
    static func lock(_ connection: PostgresConnection, logger: Logger, keys: Set<String>) async throws {
        guard !keys.isEmpty else { return }
        try await connection.query("""
            SELECT COUNT(pg_advisory_xact_lock(h)) FROM (
                SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(\(Array(keys))::text[]) AS k ORDER BY h
            ) ordered
            """, logger: logger)
    }

    /// Locks the customer's identities as ingest locks them (and `also`, in the same order).
    static func lockIdentities(_ connection: PostgresConnection, logger: Logger, customer: Int64, also: Set<String> = []) async throws {
        try await lockIdentities(connection, logger: logger, "SELECT kind, value FROM identities WHERE customer_id = \(customer)", also: also)
    }

    /// Locks these identities as ingest locks them.
    static func lockIdentities(_ connection: PostgresConnection, logger: Logger, ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await lockIdentities(connection, logger: logger, "SELECT kind, value FROM identities WHERE id = ANY(\(ids))")
    }

    /// Reads the identities, locks them, and reads them again until nothing new appeared: an ingest that
    /// held one of the locks may have added an identity meanwhile, and a message from that one must wait too.
    private static func lockIdentities(_ connection: PostgresConnection, logger: Logger, _ query: PostgresQuery,
                                       also: Set<String> = []) async throws {
        var locked: Set<String> = []
        var wanted = also
        while true {
            wanted.formUnion(try await connection.rows(query, logger: logger).map { lockKey(try $0["kind"], try $0["value"]) })
            guard !wanted.isSubset(of: locked) else { return }
            try await lock(connection, logger: logger, keys: wanted.subtracting(locked))
            locked.formUnion(wanted)
        }
    }

    /// The customer, its row locked as `lock` says until the transaction ends.
    static func fetch(_ connection: PostgresConnection, logger: Logger, _ id: Int64, lock: RowLock = .none) async throws -> Customer {
        var select = SQLBuilder("SELECT * FROM customers WHERE id = ")
        select.append("\(select.bind(id)) \(lock.rawValue)")
        guard let row = try await connection.first(select.query, logger: logger) else {
            throw StoreError.notFound("customer \(id) does not exist")
        }
        return try PGRows.customer(row)
    }
}

/// How a transaction locks the rows it reads: not at all, against writers (`FOR SHARE`), or to change them.
enum RowLock: String {
    case none = ""
    case share = "FOR SHARE"
    case update = "FOR UPDATE"
}
