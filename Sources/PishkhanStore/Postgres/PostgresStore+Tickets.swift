import Foundation
import Logging
import PishkhanCore
import PostgresNIO

extension PostgresStore: TicketStore {
    /// The queue: one run per status from its `(status, sort, id)` index, merged, as on SQLite.
    public func tickets(_ query: TicketQuery) async throws -> Page<Ticket> {
        let limit = max(1, min(query.limit, 200))
        let after = try Cursor.parse(query.cursor)
        let column: String
        let descending: Bool
        switch query.sort {
        case .due: (column, descending) = ("due_sort", false)
        case .updated: (column, descending) = ("updated_at", true)
        }
        let order = descending ? "DESC" : "ASC"
        let statuses = query.statuses.isEmpty ? TicketStatus.allCases : Array(Set(query.statuses)).sorted { $0.rawValue < $1.rawValue }
        var sql = SQLBuilder()
        // The filters are the same for every run; each run binds its own copies.
        func filters(_ sql: inout SQLBuilder) -> String {
            var clauses = ["t.merged_into IS NULL"]
            if !query.priorities.isEmpty {
                clauses.append("t.priority IN (\(query.priorities.map { sql.bind($0.rawValue) }.joined(separator: ", ")))")
            }
            switch query.assignee {
            case .any: break
            case .unassigned: clauses.append("t.assignee_id IS NULL")
            case .agent(let id): clauses.append("t.assignee_id = \(sql.bind(id))")
            }
            if let channel = query.channel { clauses.append("t.channel = \(sql.bind(channel))") }
            if let tag = query.tag { clauses.append("t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag = \(sql.bind(tag)))") }
            if let customer = query.customerID { clauses.append("t.customer_id = \(sql.bind(customer))") }
            if let q = query.text?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
                let folded = TextFolding.fold(q)
                let number = Int64(folded.hasPrefix("#") ? String(folded.dropFirst()) : folded)
                let pattern = "%" + SQLiteStore.escapeLike(folded) + "%"
                clauses.append("""
                    (t.search_text LIKE \(sql.bind(pattern)) ESCAPE '\\' OR c.search_name LIKE \(sql.bind(pattern)) ESCAPE '\\' \
                    OR t.id = \(sql.bind(number ?? -1)))
                    """)
            }
            if let (value, id) = after {
                clauses.append("(t.\(column), t.id) \(descending ? "<" : ">") (\(sql.bind(value)), \(sql.bind(id)))")
            }
            return clauses.joined(separator: " AND ")
        }
        for (index, status) in statuses.enumerated() {
            if index > 0 { sql.append(" UNION ALL ") }
            let statusPlaceholder = sql.bind(status.rawValue)
            sql.append("""
                (SELECT \(Rows.ticketColumns) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id
                WHERE t.status = \(statusPlaceholder) AND \(filters(&sql))
                ORDER BY t.\(column) \(order), t.id \(order) LIMIT \(limit + 1))
                """)
        }
        if statuses.count > 1 { sql.append(" ORDER BY \(column) \(order), id \(order) LIMIT \(limit + 1)") }
        let rows = try await client.rows(sql.query, logger: logger)
        let page = rows.prefix(limit)
        var next: String?
        if rows.count > limit, let last = page.last {
            next = Cursor.make(try last[column], try last["id"])
        }
        return Page(items: try page.map(PGRows.ticket), nextCursor: next)
    }

    public func ticket(id: Int64) async throws -> Ticket {
        try await client.withConnection { connection in try await PGTickets.fetch(connection, logger: logger, id) }
    }

    public func messages(ticketID: Int64) async throws -> [Message] {
        try await client.withConnection { connection in
            _ = try await PGTickets.fetch(connection, logger: logger, ticketID)
            return try await PGTickets.messages(connection, logger: logger, "SELECT * FROM messages WHERE ticket_id = \(ticketID) ORDER BY created_at, id")
        }
    }

    public func updateTicket(id: Int64, _ patch: TicketPatch, actor: Int64?) async throws -> Ticket {
        let now = clock()
        return try await write { connection, log in
            let before = try await PGTickets.fetch(connection, logger: logger, id, forUpdate: true)
            if let into = before.mergedInto { throw StoreError.conflict("ticket \(id) was merged into ticket \(into); change that one") }
            var update = SQLBuilder()
            var sets: [String] = []
            var changes: [String: JSONValue] = [:]
            let t = now.seconds
            if let status = patch.status, status != before.status {
                guard before.status.canTransition(to: status) else {
                    throw StoreError.conflict("ticket \(id) is \(before.status.rawValue) and cannot become \(status.rawValue)")
                }
                sets.append("status = \(update.bind(status.rawValue))")
                if status == .resolved { sets.append("resolved_at = \(update.bind(t))") }
                if status == .closed { sets.append("closed_at = \(update.bind(t))") }
                if status == .open || status == .pending { sets.append("resolved_at = NULL") }
                changes["status"] = .object(["from": .string(before.status.rawValue), "to": .string(status.rawValue)])
            }
            if let priority = patch.priority, priority != before.priority {
                sets.append("priority = \(update.bind(priority.rawValue))")
                changes["priority"] = .object(["from": .string(before.priority.rawValue), "to": .string(priority.rawValue)])
            }
            if let assignee = patch.assigneeID, assignee != before.assigneeID {
                if let a = assignee {
                    guard let role = try await connection.value(String.self, "SELECT role FROM agents WHERE id = \(a)", logger: logger) else {
                        throw StoreError.invalid(ValidationError(field: "assigneeID", reason: "agent \(a) does not exist"))
                    }
                    guard role != Role.integration.rawValue else {
                        throw StoreError.invalid(ValidationError(field: "assigneeID", reason: "agent \(a) is an integration and cannot take tickets"))
                    }
                }
                sets.append("assignee_id = \(update.bind(assignee))")
                changes["assigneeID"] = .object(["from": .optionalInt(before.assigneeID), "to": .optionalInt(assignee)])
            }
            if let tags = patch.tags {
                let clean = SQLiteStore.cleanTags(tags)
                if clean != before.tags {
                    sets.append("tags = \(update.bind(JSONText.encode(clean)))")
                    try await connection.query("DELETE FROM ticket_tags WHERE ticket_id = \(id)", logger: logger)
                    if !clean.isEmpty {
                        var insert = SQLBuilder("INSERT INTO ticket_tags (ticket_id, tag) VALUES ")
                        for (index, tag) in clean.enumerated() {
                            insert.append((index > 0 ? ", " : "") + "(\(insert.bind(id)), \(insert.bind(tag)))")
                        }
                        try await connection.query(insert.query, logger: logger)
                    }
                    changes["tags"] = .object(["from": .array(before.tags.map(JSONValue.string)), "to": .array(clean.map(JSONValue.string))])
                }
            }
            guard !sets.isEmpty else { return before }
            sets.append("updated_at = \(update.bind(t))")
            update.append("UPDATE tickets SET \(sets.joined(separator: ", ")) WHERE id = \(update.bind(id))")
            try await connection.query(update.query, logger: logger)
            let statusChange = changes["status"] != nil ? patch.status : nil
            let rematch = changes["priority"] != nil || changes["tags"] != nil
            try await PGClockBook(connection: connection, logger: logger, config: slaConfiguration(), now: now).apply(ticketID: id, log: &log) { f in
                var inputs: [TicketClocks.Input] = []
                if let to = statusChange { inputs.append(.statusChanged(from: before.status, to: to)) }
                if rematch { inputs.append(ClockBook.recalculation(changes["priority"] != nil ? "priority-changed" : "tags-changed", f)) }
                return inputs
            }
            log.append(.ticketUpdated, ticket: id, customer: before.customerID, at: now, data: [
                "changes": .object(changes), "actorAgentID": .optionalInt(actor),
            ])
            return try await PGTickets.fetch(connection, logger: logger, id)
        }
    }

    public func reply(ticketID: Int64, _ reply: ReplyInput, actor: Int64) async throws -> Message {
        try await addAgentMessage(ticketID: ticketID, kind: .outbound, text: reply.text, html: reply.html, status: reply.status, actor: actor)
    }

    public func addNote(ticketID: Int64, text: String, actor: Int64) async throws -> Message {
        try await addAgentMessage(ticketID: ticketID, kind: .note, text: text, html: nil, status: nil, actor: actor)
    }

    private func addAgentMessage(ticketID: Int64, kind: MessageKind, text: String, html: String?, status: TicketStatus?, actor: Int64) async throws -> Message {
        let now = clock()
        return try await write { connection, log in
            let ticket = try await PGTickets.fetch(connection, logger: logger, ticketID, forUpdate: true)
            let messageID = try await insertAgentMessage(
                connection, log: &log, ticket: ticket, kind: kind, text: text, html: html, status: status, actor: actor, now: now)
            return try await PGTickets.messages(connection, logger: logger, "SELECT * FROM messages WHERE id = \(messageID)")[0]
        }
    }

    /// Writes an agent's or the bot's message on `ticket` (read `FOR UPDATE` by the caller), with the rules of
    /// `SQLiteStore.insertAgentMessage`: a public one gets its outbox row, moves the status and runs the clocks.
    func insertAgentMessage(_ connection: PostgresConnection, log: inout PostgresEventLog, ticket: Ticket, kind: MessageKind, text: String,
                            html: String?, status: TicketStatus?, actor: Int64?, now: Date) async throws -> Int64 {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw StoreError.invalid(ValidationError(field: "text", reason: "must not be empty"))
        }
        let ticketID = ticket.id
        if let into = ticket.mergedInto { throw StoreError.conflict("ticket \(ticketID) was merged into ticket \(into); write there") }
        let isPublic = kind == .outbound || kind == .bot
        if isPublic && ticket.status == .closed {
            throw StoreError.conflict("ticket \(ticketID) is closed; the customer's next message opens a new ticket")
        }
        let t = now.seconds
        // One writer per customer at a time, so their agent and bot messages get ids in commit order: a chat
        // visitor's replay and live push go by id and must never see a smaller one commit after a larger.
        let customerKey = "agent-messages:\(ticket.customerID)"
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(customerKey), 0))", logger: logger)
        let subject = isPublic ? "Re: \(ticket.subject) [#\(ticket.number)]" : nil
        let delivery = isPublic ? DeliveryStatus.queued.rawValue : nil
        let messageID = try await connection.value(Int64.self, """
            INSERT INTO messages (ticket_id, kind, channel, author_agent_id, subject, body_text, body_html, delivery_status, created_at)
            VALUES (\(ticketID), \(kind.rawValue), \(ticket.channel), \(actor), \(subject), \(text), \(html), \(delivery), \(t))
            RETURNING id
            """, logger: logger)!
        var changes: [String: JSONValue] = [:]
        if isPublic {
            let recipient = try await connection.value(String.self, """
                SELECT value FROM identities WHERE customer_id = \(ticket.customerID) AND kind = \(ticket.channelKind.identityKind.rawValue)
                ORDER BY (channel = \(ticket.channel)) DESC NULLS LAST, id DESC LIMIT 1
                """, logger: logger)
            try await connection.query("""
                INSERT INTO outbox (message_id, channel, channel_kind, recipient, status, next_attempt_at, created_at)
                VALUES (\(messageID), \(ticket.channel), \(ticket.channelKind.rawValue), \(recipient), 'queued', \(t), \(t))
                """, logger: logger)
            var next = status ?? (ticket.status == .new ? .open : ticket.status)
            if !ticket.status.canTransition(to: next) { next = ticket.status }
            if next != ticket.status {
                changes["status"] = .object(["from": .string(ticket.status.rawValue), "to": .string(next.rawValue)])
            }
            try await PGClockBook(connection: connection, logger: logger, config: slaConfiguration(), now: now).apply(ticketID: ticketID, log: &log) { _ in
                [.replied(byBot: kind == .bot)] + (next != ticket.status ? [.statusChanged(from: ticket.status, to: next)] : [])
            }
            try await connection.query("""
                UPDATE tickets SET status = \(next.rawValue),
                    first_responded_at = CASE WHEN \(kind == .outbound) THEN COALESCE(first_responded_at, \(t)) ELSE first_responded_at END,
                    last_activity_at = \(t), updated_at = \(t), message_count = message_count + 1,
                    resolved_at = CASE WHEN \(next == .resolved) THEN \(t) ELSE resolved_at END
                WHERE id = \(ticketID)
                """, logger: logger)
        } else {
            try await connection.query("UPDATE tickets SET updated_at = \(t), message_count = message_count + 1 WHERE id = \(ticketID)", logger: logger)
        }
        var data: [String: JSONValue] = ["messageID": .int(messageID), "kind": .string(kind.rawValue), "channel": .string(ticket.channel)]
        if let actor { data["actorAgentID"] = .int(actor) }
        log.append(.messageAdded, ticket: ticketID, customer: ticket.customerID, at: now, data: data)
        if !changes.isEmpty {
            var update: [String: JSONValue] = ["changes": .object(changes), "cause": .string(kind == .bot ? "bot" : "reply")]
            if let actor { update["actorAgentID"] = .int(actor) }
            log.append(.ticketUpdated, ticket: ticketID, customer: ticket.customerID, at: now, data: update)
        }
        return messageID
    }

    public func mergeTicket(id: Int64, into target: Int64, actor: Int64) async throws -> Ticket {
        guard id != target else { throw StoreError.invalid(ValidationError(field: "into", reason: "a ticket cannot be merged into itself")) }
        let now = clock()
        return try await write { connection, log in
            // Both rows locked, lower id first, so two merges of the same pair cannot deadlock.
            _ = try await connection.rows("SELECT id FROM tickets WHERE id IN (\(id), \(target)) ORDER BY id FOR UPDATE", logger: logger)
            let source = try await PGTickets.fetch(connection, logger: logger, id)
            let dest = try await PGTickets.fetch(connection, logger: logger, target)
            if source.mergedInto != nil { throw StoreError.conflict("ticket \(id) was already merged into ticket \(source.mergedInto!)") }
            if dest.mergedInto != nil { throw StoreError.conflict("ticket \(target) was merged into ticket \(dest.mergedInto!); merge into that one") }
            if dest.status == .closed { throw StoreError.conflict("ticket \(target) is closed") }
            guard source.customerID == dest.customerID else {
                throw StoreError.conflict("tickets \(id) and \(target) belong to different customers; merge the customers first")
            }
            let t = now.seconds
            let moved = try await connection.value(Int64.self, "SELECT COUNT(*) FROM messages WHERE ticket_id = \(id)", logger: logger) ?? 0
            try await connection.query("UPDATE messages SET ticket_id = \(target) WHERE ticket_id = \(id)", logger: logger)
            try await connection.query("""
                UPDATE tickets SET status = 'closed', merged_into = \(target), closed_at = \(t), updated_at = \(t), message_count = 0 WHERE id = \(id)
                """, logger: logger)
            try await PGClockBook(connection: connection, logger: logger, config: slaConfiguration(), now: now).apply(ticketID: id, log: &log) { _ in
                [.statusChanged(from: source.status, to: .closed)]
            }
            try await connection.query("""
                UPDATE tickets SET message_count = message_count + \(moved), updated_at = \(t),
                    last_activity_at = GREATEST(last_activity_at, \(source.lastActivityAt.seconds)),
                    created_at = LEAST(created_at, \(source.createdAt.seconds)) WHERE id = \(target)
                """, logger: logger)
            log.append(.ticketMerged, ticket: id, customer: source.customerID, at: now, data: [
                "into": .int(target), "movedMessages": .int(moved), "actorAgentID": .int(actor),
            ])
            try await PGAudit.write(connection, logger: logger, at: now, actor: actor, action: "ticket.merge", targetType: "ticket",
                                    targetID: id, details: ["into": .int(target)])
            return try await PGTickets.fetch(connection, logger: logger, target)
        }
    }

    public func outbox(status: DeliveryStatus?, limit: Int) async throws -> [OutboxItem] {
        let limit = Int64(max(0, limit))
        let rows = if let status {
            try await client.rows("SELECT * FROM outbox WHERE status = \(status.rawValue) ORDER BY id LIMIT \(limit)", logger: logger)
        } else {
            try await client.rows("SELECT * FROM outbox ORDER BY id LIMIT \(limit)", logger: logger)
        }
        return try rows.map { row in
            OutboxItem(
                id: try row["id"], messageID: try row["message_id"], channel: try row["channel"],
                channelKind: ChannelKind(rawValue: try row["channel_kind"]) ?? .email, recipient: try row["recipient"],
                status: DeliveryStatus(rawValue: try row["status"]) ?? .queued, attempts: try row.int("attempts"),
                nextAttemptAt: try row.date("next_attempt_at"), lastError: try row["last_error"],
                createdAt: try row.date("created_at"))
        }
    }

    public func openTicketCount() async throws -> Int {
        try await client.query("""
            SELECT COUNT(*) FROM tickets WHERE status IN ('new', 'open', 'pending') AND merged_into IS NULL
            """, logger: logger).decode(Int64.self).reduce(0) { $0 + Int($1) }
    }
}

/// Ticket and message reads shared by the PostgreSQL parts.
enum PGTickets {
    /// The ticket with its customer's name; `forUpdate` locks its row until the transaction ends.
    static func fetch(_ connection: PostgresConnection, logger: Logger, _ id: Int64, forUpdate: Bool = false) async throws -> Ticket {
        let query: PostgresQuery = forUpdate
            ? "SELECT \(unescaped: Rows.ticketColumns) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.id = \(id) FOR UPDATE OF t"
            : "SELECT \(unescaped: Rows.ticketColumns) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.id = \(id)"
        guard let row = try await connection.first(query, logger: logger) else { throw StoreError.notFound("ticket \(id) does not exist") }
        return try PGRows.ticket(row)
    }

    /// The messages `query` selects (`SELECT * FROM messages …`), each with its attachments.
    static func messages(_ connection: PostgresConnection, logger: Logger, _ query: PostgresQuery) async throws -> [Message] {
        let rows = try await connection.rows(query, logger: logger)
        guard !rows.isEmpty else { return [] }
        var byMessage: [Int64: [AttachmentInfo]] = [:]
        var attachments = SQLBuilder("SELECT * FROM attachments WHERE message_id IN (")
        for (index, row) in rows.enumerated() {
            attachments.append((index > 0 ? ", " : "") + attachments.bind(try row["id"] as Int64))
        }
        attachments.append(") ORDER BY id")
        for row in try await connection.rows(attachments.query, logger: logger) {
            byMessage[try row["message_id"], default: []].append(try PGRows.attachment(row))
        }
        return try rows.map { try PGRows.message($0, attachments: byMessage[try $0["id"]] ?? []) }
    }
}
