import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    public func botTurns(channels: Set<String>, limit: Int) async throws -> BotWork {
        try await read { db in
            guard let watermark = try Self.botWatermark(db) else {
                return BotWork(turns: [], watermark: try Self.startingBotWatermark(db))
            }
            guard !channels.isEmpty else { return BotWork(turns: [], watermark: try Self.newestEventSeq(db)) }
            let rows = try Row.fetchAll(db, sql: BotInbox.eventsSQL({ _ in "?" }, messageID: Self.eventMessageID),
                                        arguments: [watermark, max(1, limit)])
            let inbox = BotInbox(rows.compactMap { row in
                guard let id = row["id"] as Int64? else { return nil }
                return BotInbox.Message(id: id, ticketID: row["ticket_id"], channel: row["channel"], kind: row["kind"],
                                        automated: row["automated"], subject: row["subject"], text: row["body_text"])
            }, channels: channels)
            var turns: [BotTurn] = []
            for ticketID in inbox.tickets {
                let ticket = try Self.fetchTicket(db, ticketID)
                guard try Self.botMayTake(db, ticket) else { continue }
                let last = try String.fetchOne(db, sql: "SELECT action FROM bot_decisions WHERE ticket_id = ? ORDER BY id DESC LIMIT 1", arguments: [ticketID])
                let answers = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bot_decisions WHERE ticket_id = ? AND action = 'answered'", arguments: [ticketID]) ?? 0
                if let turn = inbox.turn(ticket, answersBefore: answers, lastAction: last) { turns.append(turn) }
            }
            return BotWork(turns: turns, watermark: (rows.last?["seq"] as Int64?) ?? watermark)
        }
    }

    static func eventMessageID(_ data: String) -> String { "CAST(json_extract(\(data), '$.messageID') AS INTEGER)" }

    static func botWatermark(_ db: Database) throws -> Int64? {
        try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [BotInbox.watermarkKey]).flatMap { Int64($0) }
    }

    static func newestEventSeq(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0
    }

    /// Where a bot without a place in the event log starts: where a watermark kept as a message id left
    /// off, or else at the newest event, so enabling the bot never answers old messages.
    static func startingBotWatermark(_ db: Database) throws -> Int64 {
        if let legacy = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [BotInbox.legacyWatermarkKey])
            .flatMap({ Int64($0) }),
            let seq = try Int64.fetchOne(db, sql: BotInbox.legacyWatermarkSQL({ _ in "?" }, messageID: eventMessageID), arguments: [legacy]) {
            return seq
        }
        return try newestEventSeq(db)
    }

    /// The bot stays out of a ticket a person has written on (a reply or a note), one it handed over, and
    /// one that is closed or merged.
    static func botMayTake(_ db: Database, _ ticket: Ticket) throws -> Bool {
        let person = try Bool.fetchOne(db, sql: BotInbox.personTookSQL { _ in "?" }, arguments: [ticket.id, ticket.id]) ?? false
        return BotInbox.mayTake(ticket, personTook: person)
    }

    public func recordBotDecision(_ input: BotDecisionInput) async throws -> BotDecision? {
        guard let messageID = input.turn.messageIDs.last else { return nil }
        let now = clock()
        return try await write { db, log in
            guard try Int64.fetchOne(db, sql: "SELECT id FROM bot_decisions WHERE message_id = ?", arguments: [messageID]) == nil else { return nil }
            let ticket = try Self.fetchTicket(db, input.turn.ticket.id)
            guard try Self.botMayTake(db, ticket) else { return nil }
            // The customer wrote again while the bot was deciding: the next turn decides.
            let newer = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM messages WHERE ticket_id = ? AND kind = 'inbound' AND automated = 0 AND id > ?)",
                                          arguments: [ticket.id, messageID]) ?? false
            guard !newer else { return nil }
            let status = BotInbox.status(after: input.action)
            var replyID: Int64?
            if let text = input.replyText {
                replyID = try self.insertAgentMessage(db, log: &log, ticket: ticket, kind: .bot, text: text, html: input.replyHTML,
                                                      status: status, actor: nil, now: now)
            } else if status != ticket.status, ticket.status.canTransition(to: status) {
                try self.setStatusByBot(db, log: &log, ticket: ticket, to: status, now: now)
            }
            try db.execute(sql: """
                INSERT INTO bot_decisions (ticket_id, message_id, action, reason, locale, query, candidates, article_id, reply_message_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    ticket.id, messageID, input.action.rawValue, input.reason.rawValue, input.locale.rawValue, BotInbox.query(input),
                    JSONText.encode(input.candidates), input.articleID, replyID, now.seconds,
                ])
            let decisionID = db.lastInsertedRowID
            try log.append(db, .botDecision, ticket: ticket.id, customer: ticket.customerID, at: now,
                           data: BotInbox.decisionEventData(input, decisionID: decisionID, messageID: messageID))
            return try Self.fetchBotDecisions(db, "WHERE id = ?", [decisionID])[0]
        }
    }

    /// A status change the bot makes without a message (the customer confirmed an answer helped).
    private func setStatusByBot(_ db: Database, log: inout EventLog, ticket: Ticket, to status: TicketStatus, now: Date) throws {
        let t = now.seconds
        try db.execute(sql: """
            UPDATE tickets SET status = ?, updated_at = ?, resolved_at = CASE WHEN ? = 'resolved' THEN ? ELSE resolved_at END WHERE id = ?
            """, arguments: [status.rawValue, t, status.rawValue, t, ticket.id])
        try ClockBook(db: db, config: self.slaConfiguration(), now: now).apply(ticketID: ticket.id, log: &log) { _ in
            [.statusChanged(from: ticket.status, to: status)]
        }
        try log.append(db, .ticketUpdated, ticket: ticket.id, customer: ticket.customerID, at: now,
                       data: BotInbox.statusEventData(from: ticket.status, to: status))
    }

    public func advanceBotWatermark(to seq: Int64) async throws {
        try await write { db, _ in
            try db.execute(sql: """
                INSERT INTO settings (key, value) VALUES (?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE CAST(settings.value AS INTEGER) < CAST(excluded.value AS INTEGER)
                """, arguments: [BotInbox.watermarkKey, String(seq)])
        }
    }

    public func botDecisions(ticketID: Int64) async throws -> [BotDecision] {
        try await read { db in
            _ = try Self.fetchTicket(db, ticketID)
            return try Self.fetchBotDecisions(db, "WHERE ticket_id = ? ORDER BY id", [ticketID])
        }
    }

    static func fetchBotDecisions(_ db: Database, _ clause: String, _ args: StatementArguments) throws -> [BotDecision] {
        try Row.fetchAll(db, sql: "SELECT * FROM bot_decisions \(clause)", arguments: args).map { row in
            BotDecision(
                id: row["id"], ticketID: row["ticket_id"], messageID: row["message_id"],
                action: BotAction(rawValue: row["action"]) ?? .handedOver, reason: BotReason(rawValue: row["reason"]) ?? .lowConfidence,
                locale: Article.Locale(rawValue: row["locale"]) ?? .en, query: row["query"],
                candidates: JSONText.decode([BotCandidate].self, row["candidates"], default: []),
                articleID: row["article_id"], replyMessageID: row["reply_message_id"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
        }
    }
}
