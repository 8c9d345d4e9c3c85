import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    public func ingest(_ message: InboundMessage, channel: ChannelSettings, rules: PriorityRules) async throws -> IngestResult {
        do {
            try message.validate()
        } catch let error as ValidationError {
            throw StoreError.invalid(error)
        }
        guard message.channel == channel.id, message.channelKind == channel.kind else {
            throw StoreError.invalid(ValidationError(field: "channel", reason: "\(message.channel) is not a \(message.channelKind.rawValue) channel"))
        }
        let kind = message.sender.kind ?? message.channelKind.identityKind
        let address: String
        do {
            address = try normalizer.normalize(kind: kind, message.sender.address)
        } catch let error as ValidationError {
            throw StoreError.invalid(error)
        }
        // Files first: content-addressed, so a retry writes nothing new and a crash leaves no dangling row.
        var stored: [(InboundMessage.Attachment, String)] = []
        if !message.attachments.isEmpty {
            guard let attachments else {
                throw StoreError.invalid(ValidationError(field: "attachments", reason: "are not accepted by this store"))
            }
            for a in message.attachments { stored.append((a, try attachments.store(a.content))) }
        }
        // Text work happens here, on the caller's thread, so the single writer only does SQL.
        let prepared = Intake.Prepared(
            message: message, identityKind: kind, address: address, files: stored,
            keywordPriority: rules.keywordPriority(subject: message.subject, text: message.text))
        let now = clock()
        let events = self.events
        return try await committer.submit({ db, log in
            try Intake(db: db, now: now).ingest(prepared, channel: channel, rules: rules, log: &log)
        }, onCommit: { seq in events.publish(seq) })
    }
}

/// The ingest transaction. Adapters never create customers or tickets; this does, and only this.
struct Intake {
    let db: Database
    let now: Date

    /// Everything about a message that needs no database, computed before the transaction.
    struct Prepared: Sendable {
        var message: InboundMessage
        var identityKind: IdentityKind
        /// Normalized sender address.
        var address: String
        var files: [(InboundMessage.Attachment, String)]
        var keywordPriority: Priority?
        var displayName: String?
        var foldedName: String?
        var subject: String
        var foldedSubject: String
        var ticketToken: Int64?

        init(message: InboundMessage, identityKind: IdentityKind, address: String, files: [(InboundMessage.Attachment, String)], keywordPriority: Priority?) {
            self.message = message
            self.identityKind = identityKind
            self.address = address
            self.files = files
            self.keywordPriority = keywordPriority
            if let n = message.sender.displayName?.trimmingCharacters(in: .whitespacesAndNewlines), !n.isEmpty {
                displayName = String(n.prefix(200))
                foldedName = TextFolding.fold(displayName!)
            }
            subject = Intake.subject(for: message)
            foldedSubject = TextFolding.fold(subject)
            ticketToken = Threading.ticketNumber(inSubject: message.subject)
        }
    }

    func ingest(_ p: Prepared, channel: ChannelSettings, rules: PriorityRules, log: inout EventLog) throws -> IngestResult {
        let m = p.message
        let identityKind = p.identityKind
        let address = p.address
        let files = p.files
        // 1. The idempotency key: the same (channel, external id) returns the first result.
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT m.id, m.ticket_id, t.customer_id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.channel = ? AND m.external_id = ?"),
            arguments: [m.channel, m.externalID])
        {
            return IngestResult(messageID: row[0], ticketID: row[1], customerID: row[2], duplicate: true, ticketCreated: false, customerCreated: false, threadedBy: nil)
        }
        let t = now.seconds

        // 2. Identity → customer, creating both when the sender is new.
        var customerCreated = false
        let customerID: Int64
        let tier: CustomerTier
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT c.id, c.tier, c.name FROM identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = ? AND i.value = ?"),
            arguments: [identityKind.rawValue, address])
        {
            customerID = row[0]
            tier = CustomerTier(rawValue: row[1]) ?? .standard
            let name: String? = row[2]
            if name == nil, let display = p.displayName {
                try db.cachedStatement(sql: "UPDATE customers SET name = ?, search_name = ?, last_contact_at = ?, updated_at = ? WHERE id = ?")
                    .execute(arguments: [display, p.foldedName, t, t, customerID])
            } else {
                try db.cachedStatement(sql: "UPDATE customers SET last_contact_at = ? WHERE id = ?").execute(arguments: [t, customerID])
            }
        } else {
            try db.cachedStatement(sql: """
                INSERT INTO customers (name, search_name, tier, first_seen_at, last_contact_at, created_at, updated_at)
                VALUES (?, ?, 'standard', ?, ?, ?, ?)
                """).execute(arguments: [p.displayName, p.foldedName, t, t, t, t])
            customerID = db.lastInsertedRowID
            tier = .standard
            try db.cachedStatement(sql: "INSERT INTO identities (customer_id, kind, value, channel, created_at) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [customerID, identityKind.rawValue, address, m.channel, t])
            customerCreated = true
            try log.append(db, .customerCreated, ticket: nil, customer: customerID, at: now, data: ["customerID": .int(customerID)])
        }

        // 3. Thread: explicit hints, then the subject token, then recency on conversational channels.
        let decision = Threading.decide(
            customerID: customerID,
            byHeader: try candidateByHeaders(m.threadHints.referencedMessageIDs),
            byConversation: try m.threadHints.conversationID.flatMap { try candidateByConversation(channel: m.channel, $0) },
            bySubjectToken: try p.ticketToken.flatMap { try candidate(ticketID: $0) },
            byRecency: channel.kind.threadsByRecency
                ? try candidateByRecency(customerID: customerID, channel: m.channel, since: t - channel.threadWindow) : nil)

        let ticketID: Int64
        var threadedBy: Threading.Rule?
        switch decision {
        case .append(let id, let rule):
            ticketID = id
            threadedBy = rule
            let status = TicketStatus(rawValue: try String.fetchOne(db.cachedStatement(sql: "SELECT status FROM tickets WHERE id = ?"), arguments: [id]) ?? "open") ?? .open
            let next = status.afterCustomerMessage
            try db.cachedStatement(sql: """
                UPDATE tickets SET status = ?, last_activity_at = ?, last_customer_message_at = ?, updated_at = ?,
                    message_count = message_count + 1, resolved_at = CASE WHEN ? THEN NULL ELSE resolved_at END
                WHERE id = ?
                """).execute(arguments: [next.rawValue, t, t, t, next != status, id])
            if next != status {
                try log.append(db, .ticketUpdated, ticket: id, customer: customerID, at: now, data: [
                    "changes": .object(["status": .object(["from": .string(status.rawValue), "to": .string(next.rawValue)])]),
                    "cause": .string("customer-message"),
                ])
            }
        case .newTicket:
            let priority = rules.classify(keywordPriority: p.keywordPriority, tier: tier, channelKind: channel.kind, channelDefault: channel.defaultPriority)
            let assignee = try pickAssignee(channel.assignment)
            let subject = p.subject
            let tags = channel.tags
            try db.cachedStatement(sql: """
                INSERT INTO tickets (subject, search_text, status, priority, channel, channel_kind, customer_id, assignee_id, tags,
                    last_customer_message_at, last_activity_at, message_count, created_at, updated_at)
                VALUES (?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                """).execute(arguments: [
                    subject, p.foldedSubject, priority.rawValue, m.channel, channel.kind.rawValue, customerID, assignee,
                    JSONText.encode(tags), t, t, t, t,
                ])
            ticketID = db.lastInsertedRowID
            for tag in Set(tags) {
                try db.cachedStatement(sql: "INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, ?)").execute(arguments: [ticketID, tag])
            }
            try log.append(db, .ticketCreated, ticket: ticketID, customer: customerID, at: now, data: [
                "number": .int(ticketID), "status": .string("new"), "priority": .string(priority.rawValue),
                "channel": .string(m.channel), "channelKind": .string(channel.kind.rawValue),
                "assigneeID": .optionalInt(assignee),
            ])
        }

        // 4. The message itself, its attachments, and the event.
        try db.cachedStatement(sql: """
            INSERT INTO messages (ticket_id, kind, channel, external_id, message_id_header, conversation_id, customer_id,
                subject, body_text, body_html, sent_at, created_at)
            VALUES (?, 'inbound', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                ticketID, m.channel, m.externalID, m.threadHints.messageID, m.threadHints.conversationID, customerID,
                m.subject, m.text, m.html, (m.sentAt ?? m.receivedAt)?.seconds, t,
            ])
        let messageID = db.lastInsertedRowID
        for (a, hash) in files {
            try db.cachedStatement(sql: "INSERT INTO attachments (message_id, name, content_type, size, sha256) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [messageID, a.name, a.contentType, a.content.count, hash])
        }
        try log.append(db, .messageAdded, ticket: ticketID, customer: customerID, at: now, data: [
            "messageID": .int(messageID), "kind": .string("inbound"), "channel": .string(m.channel),
        ])
        return IngestResult(
            messageID: messageID, ticketID: ticketID, customerID: customerID, duplicate: false,
            ticketCreated: decision == .newTicket, customerCreated: customerCreated, threadedBy: threadedBy)
    }

    static func subject(for m: InboundMessage) -> String {
        if let s = m.subject?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty { return String(s.prefix(250)) }
        let firstLine = m.text.split(whereSeparator: \.isNewline).first.map(String.init)?
            .trimmingCharacters(in: .whitespaces) ?? ""
        if firstLine.isEmpty { return "(no subject)" }
        return firstLine.count > 80 ? String(firstLine.prefix(80)) + "…" : firstLine
    }

    /// Follows merges to the ticket that now holds the conversation.
    func candidate(ticketID: Int64) throws -> Threading.Candidate? {
        var id = ticketID
        for _ in 0..<16 {
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT customer_id, status, merged_into FROM tickets WHERE id = ?"), arguments: [id]) else {
                return nil
            }
            if let next: Int64 = row[2] { id = next; continue }
            return Threading.Candidate(ticketID: id, customerID: row[0], status: TicketStatus(rawValue: row[1]) ?? .open)
        }
        return nil
    }

    private func candidateByHeaders(_ ids: [String]) throws -> Threading.Candidate? {
        for header in ids.prefix(50) {
            if let t = try Int64.fetchOne(db.cachedStatement(sql: "SELECT ticket_id FROM messages WHERE message_id_header = ? ORDER BY id DESC LIMIT 1"), arguments: [header]) {
                return try candidate(ticketID: t)
            }
        }
        return nil
    }

    private func candidateByConversation(channel: String, _ conversation: String) throws -> Threading.Candidate? {
        guard let t = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT ticket_id FROM messages WHERE channel = ? AND conversation_id = ? ORDER BY id DESC LIMIT 1"),
            arguments: [channel, conversation])
        else { return nil }
        return try candidate(ticketID: t)
    }

    private func candidateByRecency(customerID: Int64, channel: String, since: Double) throws -> Threading.Candidate? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT id, status FROM tickets
                WHERE customer_id = ? AND channel = ? AND status IN ('new', 'open', 'pending') AND last_activity_at >= ?
                  AND merged_into IS NULL
                ORDER BY last_activity_at DESC LIMIT 1
                """),
            arguments: [customerID, channel, since])
        else { return nil }
        return Threading.Candidate(ticketID: row[0], customerID: customerID, status: TicketStatus(rawValue: row[1]) ?? .open)
    }

    private func pickAssignee(_ rule: AssignmentRule) throws -> Int64? {
        guard let group = rule.group else { return nil }
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT a.id, a.capacity,
                    (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = a.id AND t.status IN ('new', 'open', 'pending')) AS load
                FROM agents a
                WHERE a.available = 1 AND a.role IN ('agent', 'supervisor', 'admin')
                  AND EXISTS (SELECT 1 FROM json_each(a.groups) WHERE json_each.value = ?)
                """),
            arguments: [group])
        let candidates = rows.map { AssignmentRule.Candidate(agentID: $0[0], openTickets: $0[2], capacity: $0[1]) }
        let last = try Int64.fetchOne(db.cachedStatement(sql: "SELECT last_agent_id FROM assignment_cursors WHERE group_name = ?"), arguments: [group])
        guard let chosen = rule.pick(from: candidates, lastAssigned: last) else { return nil }
        try db.cachedStatement(sql: "INSERT INTO assignment_cursors (group_name, last_agent_id) VALUES (?, ?) ON CONFLICT(group_name) DO UPDATE SET last_agent_id = excluded.last_agent_id")
            .execute(arguments: [group, chosen])
        return chosen
    }
}
