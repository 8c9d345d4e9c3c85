import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    /// The queue. Each status is read in order from its `(status, sort, id)` index and the runs are merged,
    /// so any combination of statuses costs a few index seeks, whatever the size of the table.
    public func tickets(_ query: TicketQuery) async throws -> Page<Ticket> {
        let limit = max(1, min(query.limit, 200))
        let after = try Cursor.parse(query.cursor)
        return try await read { db in
            var clauses = ["t.merged_into IS NULL"]
            var args = StatementArguments()
            if !query.priorities.isEmpty {
                clauses.append("t.priority IN (\(query.priorities.map { _ in "?" }.joined(separator: ",")))")
                for p in query.priorities { _ = args.append(contentsOf: [p.rawValue]) }
            }
            switch query.assignee {
            case .any: break
            case .unassigned: clauses.append("t.assignee_id IS NULL")
            case .agent(let id):
                clauses.append("t.assignee_id = ?")
                _ = args.append(contentsOf: [id])
            }
            if let channel = query.channel {
                clauses.append("t.channel = ?")
                _ = args.append(contentsOf: [channel])
            }
            if let tag = query.tag {
                clauses.append("t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ?)")
                _ = args.append(contentsOf: [tag])
            }
            if let customer = query.customerID {
                clauses.append("t.customer_id = ?")
                _ = args.append(contentsOf: [customer])
            }
            if let q = query.text?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
                let folded = TextFolding.fold(q)
                let number = Int64(folded.hasPrefix("#") ? String(folded.dropFirst()) : folded)
                clauses.append("(t.search_text LIKE ? ESCAPE '\\' OR c.search_name LIKE ? ESCAPE '\\' OR t.id = ?)")
                let pattern = "%" + Self.escapeLike(folded) + "%"
                _ = args.append(contentsOf: [pattern, pattern, number ?? -1])
            }
            let column: String
            let descending: Bool
            switch query.sort {
            case .due: (column, descending) = ("due_sort", false)
            case .updated: (column, descending) = ("updated_at", true)
            }
            if let (value, id) = after {
                clauses.append("(t.\(column), t.id) \(descending ? "<" : ">") (?, ?)")
                _ = args.append(contentsOf: [value, id])
            }
            let order = descending ? "DESC" : "ASC"
            let statuses = query.statuses.isEmpty ? TicketStatus.allCases : Array(Set(query.statuses)).sorted { $0.rawValue < $1.rawValue }
            var allArgs = StatementArguments()
            let runs = statuses.map { status -> String in
                _ = allArgs.append(contentsOf: [status.rawValue])
                allArgs += args
                return """
                    SELECT * FROM (SELECT \(Rows.ticketColumns) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id
                    WHERE t.status = ? AND \(clauses.joined(separator: " AND "))
                    ORDER BY t.\(column) \(order), t.id \(order) LIMIT \(limit + 1))
                    """
            }
            let sql = runs.count == 1 ? runs[0] : runs.joined(separator: " UNION ALL ") + " ORDER BY \(column) \(order), id \(order) LIMIT \(limit + 1)"
            let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: allArgs)
            let page = rows.prefix(limit)
            var next: String?
            if rows.count > limit, let last = page.last {
                next = Cursor.make(last[column], last["id"])
            }
            return Page(items: page.map(Rows.ticket), nextCursor: next)
        }
    }

    static func escapeLike(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    public func ticket(id: Int64) async throws -> Ticket {
        try await read { db in try Self.fetchTicket(db, id) }
    }

    static func fetchTicket(_ db: Database, _ id: Int64) throws -> Ticket {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(Rows.ticketColumns) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.id = ?"),
            arguments: [id])
        else { throw StoreError.notFound("ticket \(id) does not exist") }
        return Rows.ticket(row)
    }

    public func messages(ticketID: Int64) async throws -> [Message] {
        try await read { db in
            _ = try Self.fetchTicket(db, ticketID)
            return try Self.fetchMessages(db, sql: "SELECT * FROM messages WHERE ticket_id = ? ORDER BY created_at, id", [ticketID])
        }
    }

    static func fetchMessages(_ db: Database, sql: String, _ args: StatementArguments) throws -> [Message] {
        let rows = try Row.fetchAll(db, sql: sql, arguments: args)
        guard !rows.isEmpty else { return [] }
        let ids = rows.map { $0["id"] as Int64 }
        var byMessage: [Int64: [AttachmentInfo]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM attachments WHERE message_id IN (\(ids.map(String.init).joined(separator: ","))) ORDER BY id") {
            byMessage[row["message_id"], default: []].append(Rows.attachment(row))
        }
        return rows.map { Rows.message($0, attachments: byMessage[$0["id"]] ?? []) }
    }

    public func updateTicket(id: Int64, _ patch: TicketPatch, actor: Int64?) async throws -> Ticket {
        let now = clock()
        return try await write { db, log in
            let before = try Self.fetchTicket(db, id)
            if let into = before.mergedInto { throw StoreError.conflict("ticket \(id) was merged into ticket \(into); change that one") }
            var sets: [String] = []
            var args = StatementArguments()
            var changes: [String: JSONValue] = [:]
            let t = now.seconds
            if let status = patch.status, status != before.status {
                guard before.status.canTransition(to: status) else {
                    throw StoreError.conflict("ticket \(id) is \(before.status.rawValue) and cannot become \(status.rawValue)")
                }
                sets.append("status = ?")
                _ = args.append(contentsOf: [status.rawValue])
                if status == .resolved { sets.append("resolved_at = \(t)") }
                if status == .closed { sets.append("closed_at = \(t)") }
                if status == .open || status == .pending { sets.append("resolved_at = NULL") }
                changes["status"] = .object(["from": .string(before.status.rawValue), "to": .string(status.rawValue)])
            }
            if let priority = patch.priority, priority != before.priority {
                sets.append("priority = ?")
                _ = args.append(contentsOf: [priority.rawValue])
                changes["priority"] = .object(["from": .string(before.priority.rawValue), "to": .string(priority.rawValue)])
            }
            if let assignee = patch.assigneeID, assignee != before.assigneeID {
                if let a = assignee {
                    guard let role = try String.fetchOne(db, sql: "SELECT role FROM agents WHERE id = ?", arguments: [a]) else {
                        throw StoreError.invalid(ValidationError(field: "assigneeID", reason: "agent \(a) does not exist"))
                    }
                    guard role != Role.integration.rawValue else {
                        throw StoreError.invalid(ValidationError(field: "assigneeID", reason: "agent \(a) is an integration and cannot take tickets"))
                    }
                }
                sets.append("assignee_id = ?")
                _ = args.append(contentsOf: [assignee])
                changes["assigneeID"] = .object(["from": .optionalInt(before.assigneeID), "to": .optionalInt(assignee)])
            }
            if let tags = patch.tags {
                let clean = Self.cleanTags(tags)
                if clean != before.tags {
                    sets.append("tags = ?")
                    _ = args.append(contentsOf: [JSONText.encode(clean)])
                    try db.execute(sql: "DELETE FROM ticket_tags WHERE ticket_id = ?", arguments: [id])
                    for tag in clean { try db.execute(sql: "INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, ?)", arguments: [id, tag]) }
                    changes["tags"] = .object(["from": .array(before.tags.map(JSONValue.string)), "to": .array(clean.map(JSONValue.string))])
                }
            }
            guard !sets.isEmpty else { return before }
            sets.append("updated_at = ?")
            _ = args.append(contentsOf: [t])
            _ = args.append(contentsOf: [id])
            try db.execute(sql: "UPDATE tickets SET \(sets.joined(separator: ", ")) WHERE id = ?", arguments: args)
            let statusChange = changes["status"] != nil ? patch.status : nil
            let rematch = changes["priority"] != nil || changes["tags"] != nil
            try ClockBook(db: db, config: self.slaConfiguration(), now: now).apply(ticketID: id, log: &log) { f in
                var inputs: [TicketClocks.Input] = []
                if let to = statusChange { inputs.append(.statusChanged(from: before.status, to: to)) }
                if rematch { inputs.append(ClockBook.recalculation(changes["priority"] != nil ? "priority-changed" : "tags-changed", f)) }
                return inputs
            }
            try log.append(db, .ticketUpdated, ticket: id, customer: before.customerID, at: now, data: [
                "changes": .object(changes), "actorAgentID": .optionalInt(actor),
            ])
            return try Self.fetchTicket(db, id)
        }
    }

    static func cleanTags(_ tags: [String]) -> [String] {
        var seen = Set<String>()
        return tags.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && $0.count <= 64 && seen.insert($0).inserted }
    }

    public func reply(ticketID: Int64, _ reply: ReplyInput, actor: Int64) async throws -> Message {
        try await addAgentMessage(ticketID: ticketID, kind: .outbound, text: reply.text, html: reply.html, status: reply.status, actor: actor)
    }

    public func addNote(ticketID: Int64, text: String, actor: Int64) async throws -> Message {
        try await addAgentMessage(ticketID: ticketID, kind: .note, text: text, html: nil, status: nil, actor: actor)
    }

    /// A public reply is the message plus its outbox row, in one transaction: delivery can never be lost
    /// between "saved" and "sent".
    private func addAgentMessage(ticketID: Int64, kind: MessageKind, text: String, html: String?, status: TicketStatus?, actor: Int64) async throws -> Message {
        let now = clock()
        return try await write { db, log in
            let ticket = try Self.fetchTicket(db, ticketID)
            let messageID = try self.insertAgentMessage(db, log: &log, ticket: ticket, kind: kind, text: text, html: html, status: status, actor: actor, now: now)
            return try Self.fetchMessages(db, sql: "SELECT * FROM messages WHERE id = ?", [messageID])[0]
        }
    }

    /// Writes an agent's or the bot's message on `ticket`. A public one (outbound, bot) gets its outbox row
    /// to the customer's identity on the ticket's channel, moves the ticket to `status` (a reply to a new
    /// ticket opens it) and runs the SLA clocks; a bot reply counts as a response only where the policy says
    /// so. `actor` is nil for the bot.
    func insertAgentMessage(_ db: Database, log: inout EventLog, ticket: Ticket, kind: MessageKind, text: String, html: String?,
                            status: TicketStatus?, actor: Int64?, now: Date) throws -> Int64 {
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
        try db.execute(sql: """
            INSERT INTO messages (ticket_id, kind, channel, author_agent_id, subject, body_text, body_html, delivery_status, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                ticketID, kind.rawValue, ticket.channel, actor, isPublic ? "Re: \(ticket.subject) [#\(ticket.number)]" : nil,
                text, html, isPublic ? DeliveryStatus.queued.rawValue : nil, t,
            ])
        let messageID = db.lastInsertedRowID
        var changes: [String: JSONValue] = [:]
        if isPublic {
            let recipient = try String.fetchOne(db, sql: """
                SELECT value FROM identities WHERE customer_id = ? AND kind = ? ORDER BY (channel = ?) DESC, id DESC LIMIT 1
                """, arguments: [ticket.customerID, ticket.channelKind.identityKind.rawValue, ticket.channel])
            try db.execute(sql: """
                INSERT INTO outbox (message_id, channel, channel_kind, recipient, status, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, 'queued', ?, ?)
                """, arguments: [messageID, ticket.channel, ticket.channelKind.rawValue, recipient, t, t])
            var next = status ?? (ticket.status == .new ? .open : ticket.status)
            if !ticket.status.canTransition(to: next) { next = ticket.status }
            if next != ticket.status {
                changes["status"] = .object(["from": .string(ticket.status.rawValue), "to": .string(next.rawValue)])
            }
            try ClockBook(db: db, config: self.slaConfiguration(), now: now).apply(ticketID: ticketID, log: &log) { _ in
                [.replied(byBot: kind == .bot)] + (next != ticket.status ? [.statusChanged(from: ticket.status, to: next)] : [])
            }
            try db.execute(sql: """
                UPDATE tickets SET status = ?, first_responded_at = CASE WHEN ? THEN COALESCE(first_responded_at, ?) ELSE first_responded_at END,
                    last_activity_at = ?, updated_at = ?, message_count = message_count + 1,
                    resolved_at = CASE WHEN ? = 'resolved' THEN ? ELSE resolved_at END
                WHERE id = ?
                """, arguments: [next.rawValue, kind == .outbound, t, t, t, next.rawValue, t, ticketID])
        } else {
            try db.execute(sql: "UPDATE tickets SET updated_at = ?, message_count = message_count + 1 WHERE id = ?", arguments: [t, ticketID])
        }
        var data: [String: JSONValue] = ["messageID": .int(messageID), "kind": .string(kind.rawValue), "channel": .string(ticket.channel)]
        if let actor { data["actorAgentID"] = .int(actor) }
        try log.append(db, .messageAdded, ticket: ticketID, customer: ticket.customerID, at: now, data: data)
        if !changes.isEmpty {
            var update: [String: JSONValue] = ["changes": .object(changes), "cause": .string(kind == .bot ? "bot" : "reply")]
            if let actor { update["actorAgentID"] = .int(actor) }
            try log.append(db, .ticketUpdated, ticket: ticketID, customer: ticket.customerID, at: now, data: update)
        }
        return messageID
    }

    /// Moves every message of `id` into `target` and closes `id` as merged. Both must belong to the same
    /// customer: merging two people's conversations would show each the other's messages.
    public func mergeTicket(id: Int64, into target: Int64, actor: Int64) async throws -> Ticket {
        guard id != target else { throw StoreError.invalid(ValidationError(field: "into", reason: "a ticket cannot be merged into itself")) }
        let now = clock()
        return try await write { db, log in
            let source = try Self.fetchTicket(db, id)
            let dest = try Self.fetchTicket(db, target)
            if source.mergedInto != nil { throw StoreError.conflict("ticket \(id) was already merged into ticket \(source.mergedInto!)") }
            if dest.mergedInto != nil { throw StoreError.conflict("ticket \(target) was merged into ticket \(dest.mergedInto!); merge into that one") }
            if dest.status == .closed { throw StoreError.conflict("ticket \(target) is closed") }
            guard source.customerID == dest.customerID else {
                throw StoreError.conflict("tickets \(id) and \(target) belong to different customers; merge the customers first")
            }
            let t = now.seconds
            let moved = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE ticket_id = ?", arguments: [id]) ?? 0
            try db.execute(sql: "UPDATE messages SET ticket_id = ? WHERE ticket_id = ?", arguments: [target, id])
            try db.execute(sql: "UPDATE tickets SET status = 'closed', merged_into = ?, closed_at = ?, updated_at = ?, message_count = 0 WHERE id = ?", arguments: [target, t, t, id])
            try ClockBook(db: db, config: self.slaConfiguration(), now: now).apply(ticketID: id, log: &log) { _ in
                [.statusChanged(from: source.status, to: .closed)]
            }
            try db.execute(sql: """
                UPDATE tickets SET message_count = message_count + ?, updated_at = ?, last_activity_at = MAX(last_activity_at, ?),
                    created_at = MIN(created_at, ?) WHERE id = ?
                """, arguments: [moved, t, source.lastActivityAt.seconds, source.createdAt.seconds, target])
            try log.append(db, .ticketMerged, ticket: id, customer: source.customerID, at: now, data: [
                "into": .int(target), "movedMessages": .int(Int64(moved)), "actorAgentID": .int(actor),
            ])
            try Audit.write(db, at: now, actor: actor, action: "ticket.merge", targetType: "ticket", targetID: id, details: ["into": .int(target)])
            return try Self.fetchTicket(db, target)
        }
    }

    public func outbox(status: DeliveryStatus?, limit: Int) async throws -> [OutboxItem] {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM outbox \(status == nil ? "" : "WHERE status = ?") ORDER BY id LIMIT ?
                """, arguments: status.map { [$0.rawValue, limit] } ?? [limit])
            return rows.map { row in
                OutboxItem(
                    id: row["id"], messageID: row["message_id"], channel: row["channel"],
                    channelKind: ChannelKind(rawValue: row["channel_kind"]) ?? .email, recipient: row["recipient"],
                    status: DeliveryStatus(rawValue: row["status"]) ?? .queued, attempts: row["attempts"],
                    nextAttemptAt: (row["next_attempt_at"] as Double).date, lastError: row["last_error"],
                    createdAt: (row["created_at"] as Double).date)
            }
        }
    }

    public func agentWorkload() async throws -> [AgentWorkload] {
        let now = clock().seconds
        return try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT assignee_id,
                    SUM(CASE WHEN status IN ('new', 'open') THEN 1 ELSE 0 END) AS open,
                    SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,
                    SUM(CASE WHEN status IN ('new', 'open') AND due_sort < ? THEN 1 ELSE 0 END) AS breached
                FROM tickets WHERE status IN ('new', 'open', 'pending') AND merged_into IS NULL
                GROUP BY assignee_id ORDER BY open DESC, assignee_id
                """, arguments: [now]).map {
                AgentWorkload(agentID: $0["assignee_id"], open: $0["open"], pending: $0["pending"], breached: $0["breached"])
            }
        }
    }

    public func openTicketCount() async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets WHERE status IN ('new', 'open', 'pending') AND merged_into IS NULL") ?? 0
        }
    }
}

enum Audit {
    static func write(_ db: Database, at: Date, actor: Int64?, action: String, targetType: String, targetID: Int64?, details: [String: JSONValue]) throws {
        try db.execute(sql: "INSERT INTO audit_log (at, actor_agent_id, action, target_type, target_id, details) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [at.seconds, actor, action, targetType, targetID, JSONText.encode(details)])
    }
}
