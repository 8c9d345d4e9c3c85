import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    public func ingest(_ message: InboundMessage, channel: ChannelSettings, rules: PriorityRules) async throws -> IngestResult {
        var prepared = try Intake.Prepared(message, channel: channel, rules: rules, normalizer: normalizer)
        // Files first: content-addressed, so a retry writes nothing new and a crash leaves no dangling row.
        // Attachments an adapter already staged (and synced) keep their hash and file.
        if !message.attachments.isEmpty {
            guard let attachments else {
                throw StoreError.invalid(ValidationError(field: "attachments", reason: "are not accepted by this store"))
            }
            let hashes = try await attachments.write(message.attachments)
            prepared.files = Array(zip(message.attachments, hashes))
        }
        let work = prepared
        let now = clock()
        return try await committer.submit { db, log in
            try Intake(db: db, now: now).ingest(work, channel: channel, rules: rules, sla: self.slaConfiguration(), log: &log)
        }
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
        /// Normalized identities the sender gave besides their address (kind, value).
        var contacts: [(IdentityKind, String)] = []
        /// Given but not vouched for: filed under the customer when free, never used to find one.
        var unverifiedContacts: [(IdentityKind, String)] = []
        var files: [(InboundMessage.Attachment, String)]
        var keywordPriority: Priority?
        var displayName: String?
        var foldedName: String?
        var subject: String
        var foldedSubject: String
        var ticketToken: Int64?

        /// Validates the message and does its text work (normalizing the sender and the contacts they gave,
        /// keyword priority, subject, threading token) on the caller's thread, so the transaction only does SQL.
        init(_ message: InboundMessage, channel: ChannelSettings, rules: PriorityRules, normalizer: IdentityNormalizer) throws {
            let kind = message.sender.kind ?? message.channelKind.identityKind
            let address: String
            do {
                try message.validate()
                guard message.channel == channel.id, message.channelKind == channel.kind else {
                    throw ValidationError(field: "channel", reason: "\(message.channel) is not a \(message.channelKind.rawValue) channel")
                }
                address = try normalizer.normalize(kind: kind, message.sender.address)
            } catch let error as ValidationError {
                throw StoreError.invalid(error)
            }
            self.init(message: message, identityKind: kind, address: address, files: [],
                      keywordPriority: rules.keywordPriority(subject: message.subject, text: message.text))
            // Contacts the sender gave are normalized like senders; one that is not valid (a mistyped email)
            // is left out rather than refusing the message.
            for contact in message.contacts {
                guard let value = try? normalizer.normalize(kind: contact.kind, contact.address),
                      !(contact.kind == kind && value == address),
                      !(contacts + unverifiedContacts).contains(where: { $0 == (contact.kind, value) }) else { continue }
                if contact.verified { contacts.append((contact.kind, value)) } else { unverifiedContacts.append((contact.kind, value)) }
            }
        }

        init(message: InboundMessage, identityKind: IdentityKind, address: String, files: [(InboundMessage.Attachment, String)], keywordPriority: Priority?) {
            self.message = message
            self.identityKind = identityKind
            self.address = address
            self.files = files
            self.keywordPriority = keywordPriority
            if let n = message.sender.displayName?.trimmed, !n.isEmpty {
                displayName = String(n.prefix(200))
                foldedName = TextFolding.fold(displayName!)
            }
            subject = Intake.subject(for: message)
            foldedSubject = TextFolding.fold(subject)
            ticketToken = Threading.ticketNumber(inSubject: message.subject)
        }
    }

    func ingest(_ p: Prepared, channel: ChannelSettings, rules: PriorityRules, sla: SLAConfiguration, log: inout EventLog) throws -> IngestResult {
        let clocks = ClockBook(db: db, config: sla, now: now)
        let m = p.message
        // 1. The idempotency key: the same (channel, external id) returns the first result.
        if let dup = try Binder.first(db, "SELECT m.id, m.ticket_id, t.customer_id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.channel = ? AND m.external_id = ?", {
            $0.text(m.channel)
            $0.text(m.externalID)
        }, read: { ($0.int(0), $0.int(1), $0.int(2)) }) {
            return IngestResult(messageID: dup.0, ticketID: dup.1, customerID: dup.2, duplicate: true, ticketCreated: false, customerCreated: false, threadedBy: nil)
        }
        let t = now.seconds
        if m.automated { return try ingestAutomated(p, channel: channel, log: &log) }

        // 2. Identity → customer, creating both when the sender is new. The sender's own identity decides;
        // when it is new, an identity they gave (a phone, an email) that is already known finds its customer.
        // Identities not yet known are filed under that customer; one already another customer's stays
        // theirs (one identity, one customer; merging people is an agent's audited decision).
        var customerCreated = false
        let customerID: Int64
        let tier: CustomerTier
        let bySender = try customer(kind: p.identityKind, value: p.address)
        var found = bySender
        for (kind, value) in p.contacts where found == nil { found = try customer(kind: kind, value: value) }
        if let found {
            customerID = found.id
            tier = found.tier
            if found.unnamed, let display = p.displayName {
                try Binder.execute(db, "UPDATE customers SET name = ?, search_name = ?, last_contact_at = ?, updated_at = ? WHERE id = ?") {
                    $0.text(display)
                    $0.text(p.foldedName)
                    $0.double(t)
                    $0.double(t)
                    $0.int(customerID)
                }
            } else {
                try Binder.execute(db, "UPDATE customers SET last_contact_at = ? WHERE id = ?") {
                    $0.double(t)
                    $0.int(customerID)
                }
            }
        } else {
            try Binder.execute(db, """
                INSERT INTO customers (name, search_name, tier, first_seen_at, last_contact_at, created_at, updated_at)
                VALUES (?, ?, 'standard', ?, ?, ?, ?)
                """) {
                $0.text(p.displayName)
                $0.text(p.foldedName)
                for _ in 0..<4 { $0.double(t) }
            }
            customerID = db.lastInsertedRowID
            tier = .standard
            customerCreated = true
            try log.append(db, .customerCreated, ticket: nil, customer: customerID, at: now, data: ["customerID": .int(customerID)])
        }
        for (kind, value) in (bySender == nil ? [(p.identityKind, p.address)] : []) + p.contacts + p.unverifiedContacts {
            try Binder.execute(db, """
                INSERT INTO identities (customer_id, kind, value, channel, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (kind, value) DO NOTHING
                """) {
                $0.int(customerID)
                $0.text(kind.rawValue)
                $0.text(value)
                $0.text(m.channel)
                $0.double(t)
            }
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
            let current = try Binder.first(db, "SELECT status, first_responded_at IS NOT NULL FROM tickets WHERE id = ?", { $0.int(id) },
                                           read: { ($0.text(0), $0.int(1) == 1) })
            let status = current.flatMap { $0.0 }.flatMap(TicketStatus.init(rawValue:)) ?? .open
            let answered = current?.1 ?? true
            let next = status.afterCustomerMessage
            try Binder.execute(db, """
                UPDATE tickets SET status = ?, last_activity_at = ?, last_customer_message_at = ?, updated_at = ?,
                    message_count = message_count + 1, resolved_at = CASE WHEN ? THEN NULL ELSE resolved_at END
                WHERE id = ?
                """) {
                $0.text(next.rawValue)
                $0.double(t)
                $0.double(t)
                $0.double(t)
                $0.bool(next != status)
                $0.int(id)
            }
            if next != status {
                try log.append(db, .ticketUpdated, ticket: id, customer: customerID, at: now, data: [
                    "changes": .object(["status": .object(["from": .string(status.rawValue), "to": .string(next.rawValue)])]),
                    "cause": .string("customer-message"),
                ])
            }
            // Before anyone answered, a customer's follow-up changes no clock unless it moves the status
            // (first response already runs; next response needs a reply first): skip the clock reads.
            if answered || next != status {
                try clocks.apply(ticketID: id, log: &log) { _ in
                    (next != status ? [.statusChanged(from: status, to: next)] : []) + [.customerWrote]
                }
            }
        case .newTicket:
            let priority = rules.classify(keywordPriority: p.keywordPriority, tier: tier, channelKind: channel.kind, channelDefault: channel.defaultPriority)
            let assignee = try pickAssignee(channel.assignment)
            let tags = channel.tags
            let (slaClocks, slaChanges) = clocks.starting(SLATicketFacts(
                priority: priority, channel: m.channel, channelKind: channel.kind, tier: tier, tags: tags))
            let sla = ClockBook.ticketColumns(slaClocks)
            try Binder.execute(db, """
                INSERT INTO tickets (subject, search_text, status, priority, channel, channel_kind, customer_id, assignee_id, tags,
                    last_customer_message_at, last_activity_at, message_count, created_at, updated_at,
                    sla_policy, first_response_due_at, next_response_due_at, resolution_due_at, due_sort)
                VALUES (?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
                """) {
                $0.text(p.subject)
                $0.text(p.foldedSubject)
                $0.text(priority.rawValue)
                $0.text(m.channel)
                $0.text(channel.kind.rawValue)
                $0.int(customerID)
                $0.int(assignee)
                $0.text(tags.isEmpty ? "[]" : JSONText.encode(tags))
                for _ in 0..<4 { $0.double(t) }
                $0.text(sla.policy)
                $0.double(sla.firstResponse)
                $0.double(sla.nextResponse)
                $0.double(sla.resolution)
                $0.double(sla.dueSort)
            }
            ticketID = db.lastInsertedRowID
            try clocks.save(ticketID: ticketID, before: TicketClocks(), after: slaClocks, changes: slaChanges, log: &log, updateTicket: false)
            for tag in Set(tags) {
                try Binder.execute(db, "INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, ?)") {
                    $0.int(ticketID)
                    $0.text(tag)
                }
            }
            try log.append(db, .ticketCreated, ticket: ticketID, customer: customerID, at: now, data: [
                "number": .int(ticketID), "status": .string("new"), "priority": .string(priority.rawValue),
                "channel": .string(m.channel), "channelKind": .string(channel.kind.rawValue),
                "assigneeID": .optionalInt(assignee),
            ])
        }

        // 4. The message itself, its attachments, and the event.
        let messageID = try insertMessage(p, ticketID: ticketID, customerID: customerID, log: &log)
        return IngestResult(
            messageID: messageID, ticketID: ticketID, customerID: customerID, duplicate: false,
            ticketCreated: decision == .newTicket, customerCreated: customerCreated, threadedBy: threadedBy)
    }

    /// A machine's message (a bounce, an out-of-office, bulk mail) is kept on the ticket it belongs to but
    /// changes nothing there: no status change, no clock, no customer created for the robot, and no new
    /// ticket when it belongs nowhere (the caller quarantines it). A known customer's auto-reply threads like
    /// their mail; any sender's message threads across customers only through one of our own outbound
    /// Message-IDs (random, never shown to third parties), which is how a DSN finds the reply it reports on.
    func ingestAutomated(_ p: Prepared, channel: ChannelSettings, log: inout EventLog) throws -> IngestResult {
        let m = p.message
        let known = try Binder.first(db, "SELECT customer_id FROM identities WHERE kind = ? AND value = ?", {
            $0.text(p.identityKind.rawValue)
            $0.text(p.address)
        }, read: { $0.int(0) })
        var target: (ticket: Int64, customer: Int64, rule: Threading.Rule)?
        if let known, case .append(let id, let rule) = Threading.decide(
            customerID: known, byHeader: try candidateByHeaders(m.threadHints.referencedMessageIDs),
            byConversation: try m.threadHints.conversationID.flatMap { try candidateByConversation(channel: m.channel, $0) },
            bySubjectToken: try p.ticketToken.flatMap { try candidate(ticketID: $0) },
            // A known customer's phone answering "I'm driving" joins their open SMS ticket, as their own words would.
            byRecency: channel.kind.threadsByRecency
                ? try candidateByRecency(customerID: known, channel: m.channel, since: now.seconds - channel.threadWindow) : nil) {
            target = (id, known, rule)
        } else if let ours = try candidateByHeaders(m.threadHints.referencedMessageIDs, outboundOnly: true), ours.status != .closed {
            target = (ours.ticketID, ours.customerID, .threadHeader)
        }
        guard let target else {
            throw StoreError.invalid(ValidationError(
                field: "automated", reason: "an automated message (auto-reply, bounce, list mail) that threads into no ticket opens none"))
        }
        let t = now.seconds
        try Binder.execute(db, "UPDATE tickets SET last_activity_at = ?, updated_at = ?, message_count = message_count + 1 WHERE id = ?") {
            $0.double(t)
            $0.double(t)
            $0.int(target.ticket)
        }
        let messageID = try insertMessage(p, ticketID: target.ticket, customerID: known == target.customer ? known : nil, log: &log)
        return IngestResult(
            messageID: messageID, ticketID: target.ticket, customerID: target.customer, duplicate: false,
            ticketCreated: false, customerCreated: false, threadedBy: target.rule)
    }

    /// Writes the message row (customer nil for a robot that is not the ticket's customer), its attachments
    /// and the `message.added` event.
    private func insertMessage(_ p: Prepared, ticketID: Int64, customerID: Int64?, log: inout EventLog) throws -> Int64 {
        let m = p.message
        try Binder.execute(db, """
            INSERT INTO messages (ticket_id, kind, channel, external_id, message_id_header, conversation_id, customer_id,
                subject, body_text, body_html, sent_at, created_at, automated, media)
            VALUES (?, 'inbound', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """) {
            $0.int(ticketID)
            $0.text(m.channel)
            $0.text(m.externalID)
            $0.text(m.threadHints.messageID)
            $0.text(m.threadHints.conversationID)
            $0.int(customerID)
            $0.text(m.subject)
            $0.text(m.text)
            $0.text(m.html)
            $0.double((m.sentAt ?? m.receivedAt)?.seconds)
            $0.double(now.seconds)
            $0.bool(m.automated)
            $0.text(m.media.isEmpty ? nil : JSONText.encode(m.media))
        }
        let messageID = db.lastInsertedRowID
        for (a, hash) in p.files {
            try Binder.execute(db, "INSERT INTO attachments (message_id, name, content_type, size, sha256) VALUES (?, ?, ?, ?, ?)") {
                $0.int(messageID)
                $0.text(a.name)
                $0.text(a.contentType)
                $0.int(Int64(a.content.count))
                $0.text(hash)
            }
        }
        var data: [String: JSONValue] = ["messageID": .int(messageID), "kind": .string("inbound"), "channel": .string(m.channel)]
        if m.automated { data["automated"] = .bool(true) }
        try log.append(db, .messageAdded, ticket: ticketID, customer: customerID, at: now, data: data)
        return messageID
    }

    static func subject(for m: InboundMessage) -> String {
        if let s = m.subject?.trimmed, !s.isEmpty { return String(s.prefix(250)) }
        let firstLine = m.text.split(whereSeparator: \.isNewline).first.map(String.init)?
            .trimmed ?? ""
        if firstLine.isEmpty { return "(no subject)" }
        return firstLine.count > 80 ? String(firstLine.prefix(80)) + "…" : firstLine
    }

    /// The customer an identity belongs to: id, tier, and whether they have no name yet.
    private func customer(kind: IdentityKind, value: String) throws -> (id: Int64, tier: CustomerTier, unnamed: Bool)? {
        try Binder.first(db, "SELECT c.id, c.tier, c.name IS NULL FROM identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = ? AND i.value = ?", {
            $0.text(kind.rawValue)
            $0.text(value)
        }, read: { ($0.int(0), $0.text(1).flatMap(CustomerTier.init(rawValue:)) ?? .standard, $0.int(2) == 1) })
    }

    /// Follows merges to the ticket that now holds the conversation.
    func candidate(ticketID: Int64) throws -> Threading.Candidate? {
        var id = ticketID
        for _ in 0..<16 {
            let current = id
            guard let row = try Binder.first(db, "SELECT customer_id, status, merged_into FROM tickets WHERE id = ?", { $0.int(current) },
                                             read: { ($0.int(0), $0.text(1), $0.optionalInt(2)) }) else {
                return nil
            }
            if let next = row.2 { id = next; continue }
            return Threading.Candidate(ticketID: id, customerID: row.0, status: row.1.flatMap(TicketStatus.init(rawValue:)) ?? .open)
        }
        return nil
    }

    private func candidateByHeaders(_ ids: [String], outboundOnly: Bool = false) throws -> Threading.Candidate? {
        let sql = outboundOnly
            ? "SELECT ticket_id FROM messages WHERE message_id_header = ? AND kind = 'outbound' ORDER BY id DESC LIMIT 1"
            : "SELECT ticket_id FROM messages WHERE message_id_header = ? ORDER BY id DESC LIMIT 1"
        for header in ids.prefix(50) {
            if let t = try Binder.first(db, sql, { $0.text(header) }, read: { $0.int(0) }) {
                return try candidate(ticketID: t)
            }
        }
        return nil
    }

    private func candidateByConversation(channel: String, _ conversation: String) throws -> Threading.Candidate? {
        guard let t = try Binder.first(db, "SELECT ticket_id FROM messages WHERE channel = ? AND conversation_id = ? ORDER BY id DESC LIMIT 1", {
            $0.text(channel)
            $0.text(conversation)
        }, read: { $0.int(0) }) else { return nil }
        return try candidate(ticketID: t)
    }

    private func candidateByRecency(customerID: Int64, channel: String, since: Double) throws -> Threading.Candidate? {
        guard let row = try Binder.first(db, """
            SELECT id, status FROM tickets
            WHERE customer_id = ? AND channel = ? AND status IN ('new', 'open', 'pending') AND last_activity_at >= ?
              AND merged_into IS NULL
            ORDER BY last_activity_at DESC LIMIT 1
            """, {
                $0.int(customerID)
                $0.text(channel)
                $0.double(since)
            }, read: { ($0.int(0), $0.text(1)) })
        else { return nil }
        return Threading.Candidate(ticketID: row.0, customerID: customerID, status: row.1.flatMap(TicketStatus.init(rawValue:)) ?? .open)
    }

    func pickAssignee(_ rule: AssignmentRule) throws -> Int64? {
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
