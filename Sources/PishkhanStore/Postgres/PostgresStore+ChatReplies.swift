import Foundation
import Logging
import PishkhanCore
import PostgresNIO

extension PostgresStore: ChatWebhookStore {
    /// Claims due replies on these chat-webhook and Telegram channels, as `SQLiteStore.claimChatReplies`
    /// does; rows another process is claiming are skipped, never sent twice.
    public func claimChatReplies(channels: Set<String>, limit: Int, lease: TimeInterval) async throws -> [OutboundChatReply] {
        guard !channels.isEmpty else { return [] }
        let now = clock().seconds
        return try await write { connection, _ in
            try await Self.claimDueOutbox(connection, logger, channels: channels, limit: limit, lease: lease, now: now,
                                          extraColumns: OutboxOutcome.conversationColumn).map { row in
                OutboundChatReply(
                    outboxID: try row["outbox_id"], messageID: try row["message_id"], ticketID: try row["ticket_id"],
                    channel: try row["channel"], channelKind: ChannelKind(rawValue: try row["channel_kind"]) ?? .webhook,
                    kind: MessageKind(rawValue: try row["kind"]) ?? .outbound, recipient: try row["recipient"],
                    conversationID: try row["conversation_id"], text: try row["body_text"] ?? "", partsSent: try row.int("parts_sent"),
                    attempts: try row.int("attempts") + 1)
            }
        }
    }

    public func recordChatReplyPart(_ job: OutboundChatReply, part: Int, providerID: String?) async throws {
        try await write { connection, _ in
            try await connection.query("UPDATE outbox SET parts_sent = GREATEST(parts_sent, \(Int64(part + 1))) WHERE id = \(job.outboxID)",
                                       logger: logger)
            if let providerID {
                try await connection.query("UPDATE messages SET provider_id = \(providerID) WHERE id = \(job.messageID)", logger: logger)
            }
        }
    }

    public func markChatReplySent(_ job: OutboundChatReply, providerID: String?, providerStatus: String?) async throws {
        try await markSent(job, providerID: providerID, providerStatus: providerStatus)
    }

    public func markChatReplyFailed(_ job: OutboundChatReply, reason: String, retryAt: Date?) async throws {
        try await markFailed(job, reason: reason, retryAt: retryAt)
    }
}

extension PostgresStore {
    // MARK: Outbox claims and outcomes

    /// Claims up to `limit` due outbox rows on these channels for `lease` seconds, as
    /// `SQLiteStore.claimDueOutbox` does. `FOR UPDATE SKIP LOCKED`: processes claiming at once each take
    /// different rows, and a row one of them is claiming is left to it.
    static func claimDueOutbox(_ connection: PostgresConnection, _ logger: Logger, channels: Set<String>, limit: Int, lease: TimeInterval,
                               now: Double, extraColumns: String = "") async throws -> [PGRow] {
        var select = SQLBuilder("SELECT \(OutboxOutcome.claimColumns)\(extraColumns) FROM outbox o JOIN messages m ON m.id = o.message_id ")
        select.append("WHERE o.status IN ('queued', 'sending') AND o.next_attempt_at <= \(select.bind(now)) ")
        select.append("AND o.channel = ANY(\(select.bind(channels.sorted()))) ")
        select.append("ORDER BY o.next_attempt_at, o.id LIMIT \(select.bind(Int64(max(0, limit)))) FOR UPDATE OF o SKIP LOCKED")
        let rows = try await connection.rows(select.query, logger: logger)
        guard !rows.isEmpty else { return [] }
        let outbox = try rows.map { try $0["outbox_id"] as Int64 }
        let messages = try rows.map { try $0["message_id"] as Int64 }
        try await connection.query("""
            UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = \(now + lease) WHERE id = ANY(\(outbox))
            """, logger: logger)
        try await connection.query("UPDATE messages SET delivery_status = 'sending' WHERE id = ANY(\(messages))", logger: logger)
        return rows
    }

    /// A provider accepted the job's message: outbox and message `sent`, the provider's id and status on the
    /// message, the channel's sent count, and the delivery event (see `SQLiteStore.markOutboxSent`).
    func markSent(_ job: some OutboxJob, providerID: String?, providerStatus: String?) async throws {
        let now = clock()
        try await write { connection, log in
            try await connection.query("UPDATE outbox SET status = 'sent', last_error = NULL WHERE id = \(job.outboxID)", logger: logger)
            try await connection.query("""
                UPDATE messages SET delivery_status = 'sent', sent_at = \(now.seconds), provider_id = COALESCE(\(providerID), provider_id),
                    provider_status = \(providerStatus), delivery_error = NULL
                WHERE id = \(job.messageID)
                """, logger: logger)
            try await Self.countSent(connection, logger, channel: job.channel)
            log.append(.messageDelivery, ticket: job.ticketID, customer: nil, at: now,
                       data: OutboxOutcome.sentEventData(messageID: job.messageID, providerID: providerID))
        }
    }

    /// An attempt failed: queued again for `retryAt`, or failed for good (see `SQLiteStore.markOutboxFailed`).
    func markFailed(_ job: some OutboxJob, reason: String, retryAt: Date?) async throws {
        let now = clock()
        let failure = OutboxOutcome.Failure(messageID: job.messageID, reason: reason, retryAt: retryAt, now: now)
        try await write { connection, log in
            try await connection.query("""
                UPDATE outbox SET status = \(failure.status), last_error = \(failure.reason), next_attempt_at = \(failure.nextAttemptAt)
                WHERE id = \(job.outboxID)
                """, logger: logger)
            try await connection.query("""
                UPDATE messages SET delivery_status = \(failure.status), delivery_error = \(failure.messageError) WHERE id = \(job.messageID)
                """, logger: logger)
            try await connection.query("""
                INSERT INTO channel_state (channel, send_failures) VALUES (\(job.channel), 1)
                ON CONFLICT (channel) DO UPDATE SET send_failures = channel_state.send_failures + 1
                """, logger: logger)
            if let event = failure.event { log.append(.messageDelivery, ticket: job.ticketID, customer: nil, at: now, data: event) }
        }
    }

    /// One more message sent on `channel`.
    static func countSent(_ connection: PostgresConnection, _ logger: Logger, channel: String) async throws {
        try await connection.query("""
            INSERT INTO channel_state (channel, sent) VALUES (\(channel), 1) ON CONFLICT (channel) DO UPDATE SET sent = channel_state.sent + 1
            """, logger: logger)
    }
}
