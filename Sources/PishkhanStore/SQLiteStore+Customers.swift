import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    /// Finds customers by name, email, phone or any identity. Identities match by normalized prefix, so
    /// `۰۹۱۲` finds `+98912…`.
    public func customers(search: String?, limit: Int, cursor: String?) async throws -> Page<Customer> {
        let limit = max(1, min(limit, 200))
        let after = try Cursor.parse(cursor)?.1 ?? Int64.max
        let search = CustomerChanges.Search(search, normalizer: normalizer)
        return try await read { db in
            var sql = "SELECT * FROM customers c WHERE c.merged_into IS NULL AND c.erased_at IS NULL AND c.id < ?"
            var args: StatementArguments = [after]
            if !search.isEmpty {
                // Identities are stored normalized, so a prefix is an index range, not a scan.
                // One range per identity kind on UNIQUE(kind, value).
                let kinds = IdentityKind.allCases.map(\.rawValue)
                let idMatch = search.identityTerms.flatMap { _ in kinds.map { _ in "(i.kind = ? AND i.value >= ? AND i.value < ?)" } }.joined(separator: " OR ")
                sql += " AND (c.search_name LIKE ? ESCAPE '\\' OR c.id IN (SELECT i.customer_id FROM identities i WHERE \(idMatch)))"
                _ = args.append(contentsOf: [search.namePattern])
                for t in search.identityTerms { for k in kinds { _ = args.append(contentsOf: [k, t, CustomerChanges.Search.upperBound(t)]) } }
            }
            sql += " ORDER BY c.id DESC LIMIT \(limit + 1)"
            let rows = try Row.fetchAll(db, sql: sql, arguments: args)
            let items = rows.prefix(limit).map(Rows.customer)
            return Page(items: Array(items), nextCursor: rows.count > limit ? Cursor.make(0, items.last!.id) : nil)
        }
    }

    static func fetchCustomer(_ db: Database, _ id: Int64) throws -> Customer {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM customers WHERE id = ?", arguments: [id]) else {
            throw StoreError.notFound("customer \(id) does not exist")
        }
        return Rows.customer(row)
    }

    public func customerProfile(id: Int64, timelineLimit: Int, timelineCursor: String?) async throws -> CustomerProfile {
        let limit = max(1, min(timelineLimit, 200))
        let before = try Cursor.parse(timelineCursor) ?? CustomerChanges.timelineStart
        return try await read { db in
            let customer = try Self.fetchCustomer(db, id)
            let identities = try Row.fetchAll(db, sql: "SELECT * FROM identities WHERE customer_id = ? ORDER BY id", arguments: [id]).map(Rows.identity)
            let tickets = try Row.fetchAll(db, sql: """
                SELECT \(Rows.ticketColumns) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id
                WHERE t.customer_id = ? AND t.merged_into IS NULL ORDER BY t.updated_at DESC, t.id DESC
                """, arguments: [id]).map(Rows.ticket)
            let channels = try String.fetchAll(db, sql: """
                SELECT channel FROM (SELECT channel FROM tickets WHERE customer_id = ? UNION SELECT channel FROM identities WHERE customer_id = ? AND channel IS NOT NULL)
                ORDER BY channel
                """, arguments: [id, id])
            let timeline = try Self.timeline(db, customerID: id, limit: limit, before: before)
            return CustomerProfile(
                customer: customer, identities: identities, tickets: tickets, channelsUsed: channels,
                openTickets: tickets.filter { $0.status.isActive }.count, timeline: timeline)
        }
    }

    public func customerSummary(id: Int64) async throws -> CustomerSummary {
        try await read { db in
            let c = try Self.fetchCustomer(db, id)
            return CustomerSummary(
                id: c.id, name: c.name, tier: c.tier, tags: c.tags,
                identities: try Row.fetchAll(db, sql: "SELECT * FROM identities WHERE customer_id = ? ORDER BY id", arguments: [id]).map(Rows.identity),
                openTickets: try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM tickets WHERE customer_id = ? AND status IN ('new', 'open', 'pending') AND merged_into IS NULL
                    """, arguments: [id]) ?? 0)
        }
    }

    /// The customer's timeline, newest first (`CustomerChanges.timelineSQL`).
    static func timeline(_ db: Database, customerID: Int64, limit: Int, before: (Double, Int64)) throws -> Page<TimelineEntry> {
        let rows = try Row.fetchAll(db, sql: CustomerChanges.timelineSQL { "?\($0)" },
                                    arguments: [customerID, before.0, before.1, limit + 1]).map { row in
            CustomerChanges.TimelineRow(
                entry: row["entry"], at: row["at"], ord: row["ord"], ticketID: row["ticket_id"], messageID: row["message_id"],
                messageKind: row["message_kind"], channel: row["channel"], eventType: row["event_type"], title: row["title"],
                text: row["text"], data: row["data"])
        }
        return CustomerChanges.timelinePage(rows, limit: limit)
    }

    public func updateCustomer(id: Int64, _ patch: CustomerPatch, actor: Int64?) async throws -> Customer {
        let now = clock()
        return try await write { db, log in
            let before = try Self.fetchCustomer(db, id)
            try CustomerChanges.checkEditable(before)
            let after = CustomerChanges.patched(before, patch)
            guard after != before else { return before }
            try db.execute(sql: "UPDATE customers SET name = ?, search_name = ?, tier = ?, tags = ?, attributes = ?, updated_at = ? WHERE id = ?",
                           arguments: [after.name, after.name.map(TextFolding.fold), after.tier.rawValue, JSONText.encode(after.tags),
                                       JSONText.encode(after.attributes), now.seconds, id])
            try log.append(db, .customerUpdated, ticket: nil, customer: id, at: now, data: ["actorAgentID": .optionalInt(actor)])
            if after.tier != before.tier {
                let book = ClockBook(db: db, config: self.slaConfiguration(), now: now)
                for ticket in try Int64.fetchAll(db, sql: """
                    SELECT id FROM tickets WHERE customer_id = ? AND status IN ('new', 'open', 'pending') AND merged_into IS NULL
                    """, arguments: [id]) {
                    try book.recalculate(ticketID: ticket, cause: "tier-changed", log: &log)
                }
            }
            return try Self.fetchCustomer(db, id)
        }
    }

    /// Moves identities, tickets and outside events of `source` to `target`, and records exactly what
    /// moved so the merge can be undone.
    public func mergeCustomer(id source: Int64, into target: Int64, actor: Int64?) async throws -> CustomerMerge {
        try CustomerChanges.checkNotSelf(source, target)
        let now = clock()
        return try await write { db, log in
            let from = try Self.fetchCustomer(db, source)
            let to = try Self.fetchCustomer(db, target)
            try CustomerChanges.checkMergeable(from, to)
            var moved = MovedRecords()
            moved.identities = try Int64.fetchAll(db, sql: "SELECT id FROM identities WHERE customer_id = ?", arguments: [source])
            moved.tickets = try Int64.fetchAll(db, sql: "SELECT id FROM tickets WHERE customer_id = ?", arguments: [source])
            moved.events = try Int64.fetchAll(db, sql: "SELECT id FROM customer_events WHERE customer_id = ?", arguments: [source])
            let t = now.seconds
            try db.execute(sql: "UPDATE identities SET customer_id = ? WHERE customer_id = ?", arguments: [target, source])
            try db.execute(sql: "UPDATE tickets SET customer_id = ? WHERE customer_id = ?", arguments: [target, source])
            try db.execute(sql: "UPDATE customer_events SET customer_id = ? WHERE customer_id = ?", arguments: [target, source])
            if !moved.tickets.isEmpty {
                try db.execute(sql: "UPDATE messages SET customer_id = ? WHERE ticket_id IN (\(moved.tickets.map(String.init).joined(separator: ",")))", arguments: [target])
            }
            let merged = CustomerChanges.merged(from, into: to)
            try db.execute(sql: """
                UPDATE customers SET name = ?, search_name = ?, tier = ?, tags = ?, attributes = ?, first_seen_at = MIN(first_seen_at, ?),
                    last_contact_at = MAX(last_contact_at, ?), updated_at = ? WHERE id = ?
                """, arguments: [merged.name, merged.name.map(TextFolding.fold), merged.tier.rawValue, JSONText.encode(merged.tags),
                                 JSONText.encode(merged.attributes), from.firstSeenAt.seconds, from.lastContactAt.seconds, t, target])
            try db.execute(sql: "UPDATE customers SET merged_into = ?, updated_at = ? WHERE id = ?", arguments: [target, t, source])
            try db.execute(sql: """
                INSERT INTO customer_merges (source_id, target_id, moved, target_before, actor_agent_id, merged_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [source, target, JSONText.encode(moved), JSONText.encode(to), actor, t])
            let mergeID = db.lastInsertedRowID
            try log.append(db, .customerMerged, ticket: nil, customer: target, at: now,
                           data: CustomerChanges.mergeEventData(mergeID: mergeID, source: source, target: target, moved: moved))
            try Audit.write(db, at: now, actor: actor, action: "customer.merge", targetType: "customer", targetID: target,
                            details: ["mergeID": .int(mergeID), "sourceID": .int(source)])
            return Rows.merge(try Row.fetchOne(db, sql: "SELECT * FROM customer_merges WHERE id = ?", arguments: [mergeID])!)
        }
    }

    /// Puts back what a merge moved: records that still sit on the target go back to the source, and the
    /// target's name, tier, tags and attributes return to what they were before the merge.
    public func undoCustomerMerge(customerID: Int64, mergeID: Int64, actor: Int64?) async throws -> CustomerMerge {
        let now = clock()
        return try await write { db, log in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM customer_merges WHERE id = ? AND (target_id = ? OR source_id = ?)",
                                             arguments: [mergeID, customerID, customerID]) else {
                throw StoreError.notFound("merge \(mergeID) of customer \(customerID) does not exist")
            }
            let merge = Rows.merge(row)
            let target = try Self.fetchCustomer(db, merge.targetID)
            try CustomerChanges.checkUndoable(merge, target: target)
            let moved = JSONText.decode(MovedRecords.self, row["moved"], default: MovedRecords())
            let before = JSONText.decode(Customer.self, row["target_before"], default: target)
            func moveBack(_ table: String, _ ids: [Int64]) throws {
                guard !ids.isEmpty else { return }
                try db.execute(sql: "UPDATE \(table) SET customer_id = ? WHERE customer_id = ? AND id IN (\(ids.map(String.init).joined(separator: ",")))",
                               arguments: [merge.sourceID, merge.targetID])
            }
            try moveBack("identities", moved.identities)
            try moveBack("tickets", moved.tickets)
            try moveBack("customer_events", moved.events)
            if !moved.tickets.isEmpty {
                try db.execute(sql: "UPDATE messages SET customer_id = ? WHERE ticket_id IN (\(moved.tickets.map(String.init).joined(separator: ",")))", arguments: [merge.sourceID])
            }
            let t = now.seconds
            try db.execute(sql: "UPDATE customers SET name = ?, search_name = ?, tier = ?, tags = ?, attributes = ?, first_seen_at = ?, updated_at = ? WHERE id = ?",
                           arguments: [before.name, before.name.map(TextFolding.fold), before.tier.rawValue, JSONText.encode(before.tags),
                                       JSONText.encode(before.attributes), before.firstSeenAt.seconds, t, merge.targetID])
            try db.execute(sql: "UPDATE customers SET merged_into = NULL, updated_at = ? WHERE id = ?", arguments: [t, merge.sourceID])
            try db.execute(sql: "UPDATE customer_merges SET undone_at = ? WHERE id = ?", arguments: [t, mergeID])
            try log.append(db, .customerUnmerged, ticket: nil, customer: merge.targetID, at: now, data: [
                "mergeID": .int(mergeID), "sourceID": .int(merge.sourceID), "targetID": .int(merge.targetID),
            ])
            try Audit.write(db, at: now, actor: actor, action: "customer.merge.undo", targetType: "customer", targetID: merge.targetID,
                            details: ["mergeID": .int(mergeID), "sourceID": .int(merge.sourceID)])
            return Rows.merge(try Row.fetchOne(db, sql: "SELECT * FROM customer_merges WHERE id = ?", arguments: [mergeID])!)
        }
    }

    public func addCustomerEvent(customerID: Int64, _ input: CustomerEventInput, actor: Int64?) async throws -> CustomerEvent {
        let type = try CustomerChanges.eventType(input)
        let now = clock()
        return try await write { db, log in
            var customer = try Self.fetchCustomer(db, customerID)
            if let into = customer.mergedInto { customer = try Self.fetchCustomer(db, into) }
            if customer.erasedAt != nil { throw StoreError.conflict("customer \(customerID) was erased") }
            if let ext = input.externalID,
               let existing = try Row.fetchOne(db, sql: "SELECT * FROM customer_events WHERE customer_id = ? AND type = ? AND external_id = ?",
                                               arguments: [customer.id, type, ext]) {
                return Rows.customerEvent(existing)
            }
            try db.execute(sql: "INSERT INTO customer_events (customer_id, type, title, data, external_id, occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [customer.id, type, input.title, JSONText.encode(input.data ?? [:]), input.externalID,
                                       (input.occurredAt ?? now).seconds, now.seconds])
            let id = db.lastInsertedRowID
            try log.append(db, .customerEvent, ticket: nil, customer: customer.id, at: now, data: ["eventID": .int(id), "type": .string(type)])
            return Rows.customerEvent(try Row.fetchOne(db, sql: "SELECT * FROM customer_events WHERE id = ?", arguments: [id])!)
        }
    }

    public func exportCustomer(id: Int64, actor: Int64?) async throws -> CustomerExport {
        let now = clock()
        return try await write { db, _ in
            let customer = try Self.fetchCustomer(db, id)
            let export = CustomerExport(
                exportedAt: now, customer: customer,
                identities: try Row.fetchAll(db, sql: "SELECT * FROM identities WHERE customer_id = ? ORDER BY id", arguments: [id]).map(Rows.identity),
                tickets: try Row.fetchAll(db, sql: """
                    SELECT \(Rows.ticketColumns) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.customer_id = ? ORDER BY t.id
                    """, arguments: [id]).map(Rows.ticket),
                messages: try Self.fetchMessages(db, sql: """
                    SELECT m.* FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = ? AND m.kind != 'note' ORDER BY m.id
                    """, [id]),
                events: try Row.fetchAll(db, sql: "SELECT * FROM customer_events WHERE customer_id = ? ORDER BY id", arguments: [id]).map(Rows.customerEvent),
                merges: try Row.fetchAll(db, sql: "SELECT * FROM customer_merges WHERE source_id = ? OR target_id = ? ORDER BY id", arguments: [id, id]).map(Rows.merge))
            try Audit.write(db, at: now, actor: actor, action: "customer.export", targetType: "customer", targetID: id, details: [:])
            return export
        }
    }

    /// Erasure: identities, profile data, message bodies, outside events and attachment files go; tickets
    /// keep their status, priority, channel and times so statistics stay true. An audit entry records it.
    public func eraseCustomer(id: Int64, actor: Int64?) async throws {
        let now = clock()
        let orphaned: [String] = try await write { db, log in
            try CustomerChanges.checkErasable(try Self.fetchCustomer(db, id))
            let t = now.seconds
            let counts = (
                identities: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM identities WHERE customer_id = ?", arguments: [id]) ?? 0,
                tickets: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets WHERE customer_id = ?", arguments: [id]) ?? 0)
            let hashes = try String.fetchAll(db, sql: """
                SELECT DISTINCT a.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id JOIN tickets t ON t.id = m.ticket_id
                WHERE t.customer_id = ?
                """, arguments: [id])
            try db.execute(sql: """
                DELETE FROM attachments WHERE message_id IN (SELECT m.id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = ?)
                """, arguments: [id])
            try db.execute(sql: """
                UPDATE messages SET subject = NULL, body_text = NULL, body_html = NULL, message_id_header = NULL, conversation_id = NULL
                WHERE ticket_id IN (SELECT id FROM tickets WHERE customer_id = ?)
                """, arguments: [id])
            try db.execute(sql: "UPDATE tickets SET subject = '(erased)', search_text = '' WHERE customer_id = ?", arguments: [id])
            // The answer bot kept the customer's words it searched with.
            try db.execute(sql: "UPDATE bot_decisions SET query = '' WHERE ticket_id IN (SELECT id FROM tickets WHERE customer_id = ?)", arguments: [id])
            try db.execute(sql: """
                UPDATE outbox SET recipient = NULL, last_error = NULL
                WHERE message_id IN (SELECT m.id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = ?)
                """, arguments: [id])
            try db.execute(sql: "DELETE FROM identities WHERE customer_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM customer_events WHERE customer_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE customer_merges SET target_before = '{}' WHERE target_id = ? OR source_id = ?", arguments: [id, id])
            try db.execute(sql: """
                UPDATE customers SET name = NULL, search_name = NULL, tags = '[]', attributes = '{}', erased_at = ?, updated_at = ? WHERE id = ?
                """, arguments: [t, t, id])
            try log.append(db, .customerErased, ticket: nil, customer: id, at: now, data: ["actorAgentID": .optionalInt(actor)])
            try Audit.write(db, at: now, actor: actor, action: "customer.erase", targetType: "customer", targetID: id, details: [
                "identities": .int(Int64(counts.identities)), "tickets": .int(Int64(counts.tickets)),
            ])
            return try hashes.filter { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attachments WHERE sha256 = ?", arguments: [$0]) == 0 }
        }
        for hash in orphaned { attachments?.remove(hash) }
    }
}
