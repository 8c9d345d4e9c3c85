import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    // MARK: Outbox claims

    /// Claims up to `limit` due outbox rows on these channels for `lease` seconds: each becomes `sending` with
    /// one more attempt, and so does its message; a worker that dies mid-send leaves them to be claimed again
    /// when the lease ends. Rows carry the outbox and message columns a sender needs (`attempts` as it was
    /// before this claim), plus `extraColumns`.
    static func claimDueOutbox(_ db: Database, channels: Set<String>, limit: Int, lease: TimeInterval, now: Double,
                               extraColumns: String = "") throws -> [Row] {
        var args: StatementArguments = [now]
        for c in channels.sorted() { _ = args.append(contentsOf: [c]) }
        _ = args.append(contentsOf: [limit])
        let rows = try Row.fetchAll(db, sql: """
            SELECT \(OutboxOutcome.claimColumns)\(extraColumns)
            FROM outbox o JOIN messages m ON m.id = o.message_id
            WHERE o.status IN ('queued', 'sending') AND o.next_attempt_at <= ?
                AND o.channel IN (\(channels.map { _ in "?" }.joined(separator: ",")))
            ORDER BY o.next_attempt_at, o.id LIMIT ?
            """, arguments: args)
        for row in rows {
            try db.execute(sql: "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                           arguments: [now + lease, row["outbox_id"] as Int64])
            try db.execute(sql: "UPDATE messages SET delivery_status = 'sending' WHERE id = ?", arguments: [row["message_id"] as Int64])
        }
        return rows
    }

    // MARK: Outbound SMS

    /// Claims up to `limit` due deliveries on these SMS channels for `lease` seconds (a worker that dies
    /// mid-send leaves them to be claimed again), whatever kind of message they carry: agent replies and
    /// bot answers alike. Counts each text's segments and stores the count on the message.
    public func claimOutboundSMS(channels: Set<String>, limit: Int, lease: TimeInterval) async throws -> [OutboundSMS] {
        guard !channels.isEmpty else { return [] }
        let now = clock().seconds
        return try await write { db, _ in
            try Self.claimDueOutbox(db, channels: channels, limit: limit, lease: lease, now: now).map { row in
                let messageID: Int64 = row["message_id"]
                let text: String = row["body_text"] ?? ""
                let count = SMSSegments.count(text)
                try db.execute(sql: "UPDATE messages SET segments = ? WHERE id = ?", arguments: [count.segments, messageID])
                return OutboundSMS(
                    outboxID: row["outbox_id"], messageID: messageID, ticketID: row["ticket_id"], channel: row["channel"],
                    recipient: row["recipient"], text: text, encoding: count.encoding, segments: count.segments,
                    attempts: (row["attempts"] as Int) + 1)
            }
        }
    }

    /// The provider took the message: it is `sent` (handed over) and carries the provider's id and status,
    /// by which later delivery reports find it.
    public func markSMSAccepted(_ job: OutboundSMS, providerID: String, providerStatus: String?) async throws {
        let now = clock()
        try await write { db, log in
            try Self.markOutboxSent(db, log: &log, outboxID: job.outboxID, messageID: job.messageID, ticketID: job.ticketID,
                                    channel: job.channel, providerID: providerID, providerStatus: providerStatus, now: now)
        }
    }

    /// The attempt failed: retried at `retryAt`, or failed for good when `retryAt` is nil, with the reason
    /// on the outbox item and, once final, on the message.
    public func markSMSFailed(_ job: OutboundSMS, reason: String, retryAt: Date?) async throws {
        let now = clock()
        try await write { db, log in
            try Self.markOutboxFailed(db, log: &log, outboxID: job.outboxID, messageID: job.messageID, ticketID: job.ticketID,
                                      channel: job.channel, reason: reason, retryAt: retryAt, now: now)
        }
    }

    /// Applies a provider's delivery report to the outbound message with that provider id on `channel`;
    /// nil when no message has it. Reports may arrive out of order, so a status never moves back
    /// (`sent` after `delivered` changes nothing); `delivered` and `failed` are final.
    public func recordSMSStatus(channel: String, providerID: String, providerStatus: String, status: DeliveryStatus?,
                                error: String?) async throws -> SMSStatusUpdate? {
        let now = clock()
        return try await write { db, log in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, ticket_id, delivery_status FROM messages WHERE channel = ? AND provider_id = ?
                """, arguments: [channel, providerID]) else { return nil }
            let messageID: Int64 = row["id"], ticketID: Int64 = row["ticket_id"]
            let current = (row["delivery_status"] as String?).flatMap(DeliveryStatus.init(rawValue:))
            func rank(_ s: DeliveryStatus?) -> Int {
                switch s {
                case nil, .queued?, .sending?: 0
                case .sent?: 1
                case .delivered?, .failed?: 2
                }
            }
            guard rank(current) < 2, let status, rank(status) >= rank(current) else {
                return SMSStatusUpdate(messageID: messageID, ticketID: ticketID, deliveryStatus: current, providerStatus: providerStatus, changed: false)
            }
            let reason = error.map { String($0.prefix(1000)) }
            try db.execute(sql: "UPDATE messages SET delivery_status = ?, provider_status = ?, delivery_error = ? WHERE id = ?",
                           arguments: [status.rawValue, providerStatus, status == .failed ? reason : nil, messageID])
            try db.execute(sql: "UPDATE outbox SET status = ?, last_error = COALESCE(?, last_error) WHERE message_id = ?",
                           arguments: [status.rawValue, status == .failed ? reason : nil, messageID])
            if status != current {
                var data: [String: JSONValue] = [
                    "messageID": .int(messageID), "status": .string(status.rawValue), "providerStatus": .string(providerStatus),
                ]
                if status == .failed, let reason { data["reason"] = .string(String(reason.prefix(300))) }
                try log.append(db, .messageDelivery, ticket: ticketID, customer: nil, at: now, data: data)
            }
            return SMSStatusUpdate(messageID: messageID, ticketID: ticketID, deliveryStatus: status, providerStatus: providerStatus, changed: true)
        }
    }
}
