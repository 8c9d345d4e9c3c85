import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    // MARK: Chat webhooks and Telegram

    /// Claims up to `limit` due replies (agents' and the bot's) on these chat-webhook and Telegram channels
    /// for `lease` seconds, with the conversation they answer: the one of the customer's latest message on
    /// the ticket that names one.
    public func claimChatReplies(channels: Set<String>, limit: Int, lease: TimeInterval) async throws -> [OutboundChatReply] {
        guard !channels.isEmpty else { return [] }
        let now = clock().seconds
        return try await write { db, _ in
            try Self.claimDueOutbox(db, channels: channels, limit: limit, lease: lease, now: now,
                                    extraColumns: OutboxOutcome.conversationColumn).map { row in
                OutboundChatReply(
                    outboxID: row["outbox_id"], messageID: row["message_id"], ticketID: row["ticket_id"],
                    channel: row["channel"], channelKind: ChannelKind(rawValue: row["channel_kind"]) ?? .webhook,
                    kind: MessageKind(rawValue: row["kind"]) ?? .outbound, recipient: row["recipient"],
                    conversationID: row["conversation_id"], text: row["body_text"] ?? "", partsSent: row["parts_sent"],
                    attempts: (row["attempts"] as Int) + 1)
            }
        }
    }

    /// Part `part` (from 0) of a split reply was accepted: a retry starts after it.
    public func recordChatReplyPart(_ job: OutboundChatReply, part: Int, providerID: String?) async throws {
        try await write { db, _ in
            try db.execute(sql: "UPDATE outbox SET parts_sent = MAX(parts_sent, ?) WHERE id = ?", arguments: [part + 1, job.outboxID])
            if let providerID {
                try db.execute(sql: "UPDATE messages SET provider_id = ? WHERE id = ?", arguments: [providerID, job.messageID])
            }
        }
    }

    /// The platform took the whole reply: it is `sent`, with the platform's id (of the last part) and status.
    public func markChatReplySent(_ job: OutboundChatReply, providerID: String?, providerStatus: String?) async throws {
        let now = clock()
        try await write { db, log in
            try Self.markOutboxSent(db, log: &log, outboxID: job.outboxID, messageID: job.messageID, ticketID: job.ticketID,
                                    channel: job.channel, providerID: providerID, providerStatus: providerStatus, now: now)
        }
    }

    /// The attempt failed: retried at `retryAt`, or failed for good when `retryAt` is nil.
    public func markChatReplyFailed(_ job: OutboundChatReply, reason: String, retryAt: Date?) async throws {
        let now = clock()
        try await write { db, log in
            try Self.markOutboxFailed(db, log: &log, outboxID: job.outboxID, messageID: job.messageID, ticketID: job.ticketID,
                                      channel: job.channel, reason: reason, retryAt: retryAt, now: now)
        }
    }

    /// A provider accepted an outbound message: outbox and message `sent`, the provider's id and status on
    /// the message, the channel's sent count, and the delivery event.
    static func markOutboxSent(_ db: Database, log: inout EventLog, outboxID: Int64, messageID: Int64, ticketID: Int64, channel: String,
                               providerID: String?, providerStatus: String?, now: Date) throws {
        try db.execute(sql: "UPDATE outbox SET status = 'sent', last_error = NULL WHERE id = ?", arguments: [outboxID])
        try db.execute(sql: """
            UPDATE messages SET delivery_status = 'sent', sent_at = ?, provider_id = COALESCE(?, provider_id), provider_status = ?,
                delivery_error = NULL
            WHERE id = ?
            """, arguments: [now.seconds, providerID, providerStatus, messageID])
        try db.execute(sql: """
            INSERT INTO channel_state (channel, sent) VALUES (?, 1)
            ON CONFLICT(channel) DO UPDATE SET sent = channel_state.sent + 1
            """, arguments: [channel])
        try log.append(db, .messageDelivery, ticket: ticketID, customer: nil, at: now,
                       data: OutboxOutcome.sentEventData(messageID: messageID, providerID: providerID))
    }

    /// An attempt to hand a message to a provider failed: queued again for `retryAt`, or failed for good
    /// (nil) with the reason on the message.
    static func markOutboxFailed(_ db: Database, log: inout EventLog, outboxID: Int64, messageID: Int64, ticketID: Int64, channel: String,
                                 reason: String, retryAt: Date?, now: Date) throws {
        let failure = OutboxOutcome.Failure(messageID: messageID, reason: reason, retryAt: retryAt, now: now)
        try db.execute(sql: "UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
                       arguments: [failure.status, failure.reason, failure.nextAttemptAt, outboxID])
        try db.execute(sql: "UPDATE messages SET delivery_status = ?, delivery_error = ? WHERE id = ?",
                       arguments: [failure.status, failure.messageError, messageID])
        try db.execute(sql: """
            INSERT INTO channel_state (channel, send_failures) VALUES (?, 1)
            ON CONFLICT(channel) DO UPDATE SET send_failures = channel_state.send_failures + 1
            """, arguments: [channel])
        if let event = failure.event {
            try log.append(db, .messageDelivery, ticket: ticketID, customer: nil, at: now, data: event)
        }
    }
}
