import Foundation
import Logging
import PishkhanCore
import PostgresNIO

extension PostgresStore: BotStore {
    public func botTurns(channels: Set<String>, limit: Int) async throws -> BotWork {
        try await client.withConnection { connection in
            guard let watermark = try await connection.value(
                String.self, "SELECT value FROM settings WHERE key = \(BotInbox.watermarkKey)", logger: logger).flatMap({ Int64($0) })
            else { return BotWork(turns: [], watermark: try await Self.startingBotWatermark(connection, logger)) }
            guard !channels.isEmpty else { return BotWork(turns: [], watermark: try await Self.newestEventSeq(connection, logger)) }
            var query = SQLBuilder()
            let parameters = [query.bind(watermark), query.bind(Int64(max(1, limit)))]
            query.append(BotInbox.eventsSQL({ parameters[$0 - 1] }, messageID: Self.eventMessageID))
            let rows = try await connection.rows(query.query, logger: logger)
            let inbox = BotInbox(try rows.compactMap { row in
                guard let id = try row["id"] as Int64? else { return nil }
                return BotInbox.Message(id: id, ticketID: try row["ticket_id"], channel: try row["channel"], kind: try row["kind"],
                                        automated: try row.bool("automated"), subject: try row["subject"], text: try row["body_text"])
            }, channels: channels)
            var turns: [BotTurn] = []
            for ticketID in inbox.tickets {
                let ticket = try await PGTickets.fetch(connection, logger: logger, ticketID)
                guard try await Self.botMayTake(connection, logger, ticket) else { continue }
                let last = try await connection.value(String.self, """
                    SELECT action FROM bot_decisions WHERE ticket_id = \(ticketID) ORDER BY id DESC LIMIT 1
                    """, logger: logger)
                let answers = try await connection.value(Int64.self, """
                    SELECT COUNT(*) FROM bot_decisions WHERE ticket_id = \(ticketID) AND action = 'answered'
                    """, logger: logger) ?? 0
                if let turn = inbox.turn(ticket, answersBefore: Int(answers), lastAction: last) { turns.append(turn) }
            }
            return BotWork(turns: turns, watermark: try rows.last.map { try $0["seq"] as Int64 } ?? watermark)
        }
    }

    static func eventMessageID(_ data: String) -> String { "(\(data)::jsonb ->> 'messageID')::bigint" }

    static func newestEventSeq(_ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        try await connection.value(Int64.self, "SELECT seq FROM event_head WHERE id = 1", logger: logger) ?? 0
    }

    /// As `SQLiteStore.startingBotWatermark`: where a watermark kept as a message id left off, or the newest event.
    static func startingBotWatermark(_ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        if let legacy = try await connection.value(
            String.self, "SELECT value FROM settings WHERE key = \(BotInbox.legacyWatermarkKey)", logger: logger).flatMap({ Int64($0) }) {
            var query = SQLBuilder()
            let parameter = query.bind(legacy)
            query.append(BotInbox.legacyWatermarkSQL({ _ in parameter }, messageID: eventMessageID))
            if let seq = try await connection.value(Int64.self, query.query, logger: logger) { return seq }
        }
        return try await newestEventSeq(connection, logger)
    }

    static func botMayTake(_ connection: PostgresConnection, _ logger: Logger, _ ticket: Ticket) async throws -> Bool {
        var query = SQLBuilder()
        let parameters = [query.bind(ticket.id), query.bind(ticket.id)]
        query.append(BotInbox.personTookSQL { parameters[$0 - 1] })
        let person = try await connection.value(Bool.self, query.query, logger: logger) ?? false
        return BotInbox.mayTake(ticket, personTook: person)
    }

    /// Stores a decision once, as `SQLiteStore.recordBotDecision` does. The ticket row is locked first: bots
    /// of two processes deciding the same turn take turns, and the second finds the first's decision.
    public func recordBotDecision(_ input: BotDecisionInput) async throws -> BotDecision? {
        guard let messageID = input.turn.messageIDs.last else { return nil }
        let now = clock()
        return try await write { connection, log in
            let ticket = try await PGTickets.fetch(connection, logger: logger, input.turn.ticket.id, forUpdate: true)
            guard try await connection.value(Int64.self, "SELECT id FROM bot_decisions WHERE message_id = \(messageID)", logger: logger) == nil,
                  try await Self.botMayTake(connection, logger, ticket)
            else { return nil }
            // The customer wrote again while the bot was deciding: the next turn decides.
            let newer = try await connection.value(Bool.self, """
                SELECT EXISTS (SELECT 1 FROM messages WHERE ticket_id = \(ticket.id) AND kind = 'inbound' AND automated = 0 AND id > \(messageID))
                """, logger: logger) ?? false
            guard !newer else { return nil }
            let status = BotInbox.status(after: input.action)
            var replyID: Int64?
            if let text = input.replyText {
                replyID = try await insertAgentMessage(connection, log: &log, ticket: ticket, kind: .bot, text: text, html: input.replyHTML,
                                                       status: status, actor: nil, now: now)
            } else if status != ticket.status, ticket.status.canTransition(to: status) {
                try await setStatusByBot(connection, log: &log, ticket: ticket, to: status, now: now)
            }
            let row = try await connection.rows("""
                INSERT INTO bot_decisions (ticket_id, message_id, action, reason, locale, query, candidates, article_id, reply_message_id, created_at)
                VALUES (\(ticket.id), \(messageID), \(input.action.rawValue), \(input.reason.rawValue), \(input.locale.rawValue),
                    \(BotInbox.query(input)), \(JSONText.encode(input.candidates)), \(input.articleID), \(replyID), \(now.seconds))
                RETURNING *
                """, logger: logger)[0]
            let decision = try Self.botDecision(row)
            log.append(.botDecision, ticket: ticket.id, customer: ticket.customerID, at: now,
                       data: BotInbox.decisionEventData(input, decisionID: decision.id, messageID: messageID))
            return decision
        }
    }

    /// A status change the bot makes without a message (the customer confirmed an answer helped).
    private func setStatusByBot(_ connection: PostgresConnection, log: inout PostgresEventLog, ticket: Ticket, to status: TicketStatus,
                                now: Date) async throws {
        let t = now.seconds
        try await connection.query("""
            UPDATE tickets SET status = \(status.rawValue), updated_at = \(t),
                resolved_at = CASE WHEN \(status == .resolved) THEN \(t) ELSE resolved_at END
            WHERE id = \(ticket.id)
            """, logger: logger)
        try await PGClockBook(connection: connection, logger: logger, config: slaConfiguration(), now: now).apply(ticketID: ticket.id, log: &log) { _ in
            [.statusChanged(from: ticket.status, to: status)]
        }
        log.append(.ticketUpdated, ticket: ticket.id, customer: ticket.customerID, at: now,
                   data: BotInbox.statusEventData(from: ticket.status, to: status))
    }

    /// Moves the watermark forward in one statement, so processes advancing it at once never move it back.
    public func advanceBotWatermark(to seq: Int64) async throws {
        try await client.query("""
            INSERT INTO settings (key, value) VALUES (\(BotInbox.watermarkKey), \(String(seq)))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE settings.value::bigint < excluded.value::bigint
            """, logger: logger)
    }

    public func botDecisions(ticketID: Int64) async throws -> [BotDecision] {
        try await client.withConnection { connection in
            _ = try await PGTickets.fetch(connection, logger: logger, ticketID)
            return try await connection.rows("SELECT * FROM bot_decisions WHERE ticket_id = \(ticketID) ORDER BY id", logger: logger)
                .map(Self.botDecision)
        }
    }

    static func botDecision(_ row: PGRow) throws -> BotDecision {
        BotDecision(
            id: try row["id"], ticketID: try row["ticket_id"], messageID: try row["message_id"],
            action: BotAction(rawValue: try row["action"]) ?? .handedOver, reason: BotReason(rawValue: try row["reason"]) ?? .lowConfidence,
            locale: Article.Locale(rawValue: try row["locale"]) ?? .en, query: try row["query"],
            candidates: JSONText.decode([BotCandidate].self, try row["candidates"], default: []),
            articleID: try row["article_id"], replyMessageID: try row["reply_message_id"], createdAt: try row.date("created_at"))
    }
}
