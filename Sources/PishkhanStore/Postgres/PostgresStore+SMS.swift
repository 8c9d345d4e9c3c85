import Foundation
import PishkhanCore
import PostgresNIO

extension PostgresStore: SMSStore {
    /// Claims due deliveries on these SMS channels, as `SQLiteStore.claimOutboundSMS` does; rows another
    /// process is claiming are skipped, never sent twice.
    public func claimOutboundSMS(channels: Set<String>, limit: Int, lease: TimeInterval) async throws -> [OutboundSMS] {
        guard !channels.isEmpty else { return [] }
        let now = clock().seconds
        return try await write { connection, _ in
            var claimed: [OutboundSMS] = []
            for row in try await Self.claimDueOutbox(connection, logger, channels: channels, limit: limit, lease: lease, now: now) {
                let messageID: Int64 = try row["message_id"]
                let text: String = try row["body_text"] ?? ""
                let count = SMSSegments.count(text)
                try await connection.query("UPDATE messages SET segments = \(Int64(count.segments)) WHERE id = \(messageID)", logger: logger)
                claimed.append(OutboundSMS(
                    outboxID: try row["outbox_id"], messageID: messageID, ticketID: try row["ticket_id"], channel: try row["channel"],
                    recipient: try row["recipient"], text: text, encoding: count.encoding, segments: count.segments,
                    attempts: try row.int("attempts") + 1))
            }
            return claimed
        }
    }

    public func markSMSAccepted(_ job: OutboundSMS, providerID: String, providerStatus: String?) async throws {
        try await markSent(job, providerID: providerID, providerStatus: providerStatus)
    }

    public func markSMSFailed(_ job: OutboundSMS, reason: String, retryAt: Date?) async throws {
        try await markFailed(job, reason: reason, retryAt: retryAt)
    }

    /// Applies a provider's delivery report (see `OutboxOutcome.Report`). The message row is locked first, so
    /// reports for one message handled by two processes at once apply one after the other.
    public func recordSMSStatus(channel: String, providerID: String, providerStatus: String, status: DeliveryStatus?,
                                error: String?) async throws -> SMSStatusUpdate? {
        let now = clock()
        return try await write { connection, log in
            guard let row = try await connection.first("""
                SELECT id, ticket_id, delivery_status FROM messages WHERE channel = \(channel) AND provider_id = \(providerID) ORDER BY id LIMIT 1 FOR UPDATE
                """, logger: logger) else { return nil }
            let messageID: Int64 = try row["id"], ticketID: Int64 = try row["ticket_id"]
            let report = OutboxOutcome.Report(
                messageID: messageID, ticketID: ticketID, current: (try row["delivery_status"] as String?).flatMap(DeliveryStatus.init(rawValue:)),
                status: status, providerStatus: providerStatus, error: error)
            guard report.update.changed, let status = report.update.deliveryStatus else { return report.update }
            try await connection.query("""
                UPDATE messages SET delivery_status = \(status.rawValue), provider_status = \(providerStatus), delivery_error = \(report.error)
                WHERE id = \(messageID)
                """, logger: logger)
            try await connection.query("""
                UPDATE outbox SET status = \(status.rawValue), last_error = COALESCE(\(report.error), last_error) WHERE message_id = \(messageID)
                """, logger: logger)
            if let event = report.event { log.append(.messageDelivery, ticket: ticketID, customer: nil, at: now, data: event) }
            return report.update
        }
    }
}
