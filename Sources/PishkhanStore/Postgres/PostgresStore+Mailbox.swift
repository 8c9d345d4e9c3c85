import Crypto
import Foundation
import Logging
import PishkhanCore
import PostgresNIO

extension PostgresStore: MailboxStore {
    // MARK: Raw messages

    /// Stores the files in `blobs` at once (committed, so durable): every process can read them, and a
    /// retry stores nothing new.
    public func stageFiles(_ files: [Data]) async throws -> [String] {
        let hashed = files.map { (hash: Hex.encode(SHA256.hash(data: $0)), data: $0) }
        let now = clock()
        try await client.withConnection { connection in
            try await PGBlobs.insert(connection, logger: logger, hashed, at: now)
        }
        return hashed.map(\.hash)
    }

    /// Nothing to do: staged files were committed when they were staged.
    public func syncStagedFiles() async throws {}

    public func raw(sha256: String) async throws -> Data {
        guard AttachmentFiles.isHash(sha256),
              let bytes = try await client.withConnection({ connection in
                  try await connection.value(ByteBuffer.self, "SELECT data FROM blobs WHERE sha256 = \(sha256)", logger: logger)
              })
        else { throw StoreError.notFound("raw message \(sha256) is not stored") }
        return Data(buffer: bytes)
    }

    // MARK: Mailbox state

    public func channelStates() async throws -> [ChannelState] {
        try await client.rows("SELECT * FROM channel_state ORDER BY channel", logger: logger).map(Self.channelState)
    }

    public func channelState(_ channel: String) async throws -> ChannelState? {
        try await client.rows("SELECT * FROM channel_state WHERE channel = \(channel)", logger: logger).first.map(Self.channelState)
    }

    static func channelState(_ row: PGRow) throws -> ChannelState {
        ChannelState(
            channel: try row["channel"], uidValidity: (try row["uid_validity"] as Int64?).map { UInt32(truncatingIfNeeded: $0) },
            watermark: UInt32(truncatingIfNeeded: try row["watermark"] as Int64), lastPollAt: try row.date("last_poll_at"),
            lastSuccessAt: try row.date("last_success_at"), lastError: try row["last_error"],
            lastErrorAt: try row.date("last_error_at"), fetched: try row.int("fetched"), stored: try row.int("stored"),
            duplicates: try row.int("duplicates"), quarantined: try row.int("quarantined"), sent: try row.int("sent"),
            sendFailures: try row.int("send_failures"))
    }

    public func recordPoll(channel: String, _ report: PollReport) async throws {
        let t = clock().seconds
        let succeeded: Double? = report.error == nil ? t : nil
        let failed: Double? = report.error == nil ? nil : t
        try await client.query("""
            INSERT INTO channel_state (channel, uid_validity, watermark, last_poll_at, last_success_at, last_error, last_error_at,
                fetched, stored, duplicates, quarantined)
            VALUES (\(channel), \(Int64(report.uidValidity)), \(Int64(report.watermark)), \(t), \(succeeded), \(report.error), \(failed),
                \(Int64(report.fetched)), \(Int64(report.stored)), \(Int64(report.duplicates)), \(Int64(report.quarantined)))
            ON CONFLICT (channel) DO UPDATE SET uid_validity = excluded.uid_validity, watermark = excluded.watermark,
                last_poll_at = excluded.last_poll_at,
                last_success_at = COALESCE(excluded.last_success_at, channel_state.last_success_at),
                last_error = excluded.last_error,
                last_error_at = COALESCE(excluded.last_error_at, channel_state.last_error_at),
                fetched = channel_state.fetched + excluded.fetched, stored = channel_state.stored + excluded.stored,
                duplicates = channel_state.duplicates + excluded.duplicates,
                quarantined = channel_state.quarantined + excluded.quarantined
            """, logger: logger)
    }

    public func recordChannelError(channel: String, _ error: String) async throws {
        let t = clock().seconds
        try await client.query("""
            INSERT INTO channel_state (channel, last_poll_at, last_error, last_error_at) VALUES (\(channel), \(t), \(error), \(t))
            ON CONFLICT (channel) DO UPDATE SET last_poll_at = excluded.last_poll_at, last_error = excluded.last_error,
                last_error_at = excluded.last_error_at
            """, logger: logger)
    }

    // MARK: Quarantine

    @discardableResult
    public func quarantine(channel: String, sourceRef: String, rawSHA256: String, size: Int, reason: String) async throws -> QuarantineItem {
        let t = clock().seconds
        return try Self.quarantineItem(try await client.rows("""
            INSERT INTO quarantine (channel, source_ref, raw_sha256, size, reason, created_at, updated_at)
            VALUES (\(channel), \(sourceRef), \(rawSHA256), \(Int64(size)), \(reason), \(t), \(t))
            ON CONFLICT (channel, source_ref) DO UPDATE SET reason = excluded.reason, updated_at = excluded.updated_at,
                attempts = quarantine.attempts + 1
            RETURNING *
            """, logger: logger)[0])
    }

    public func quarantined(channel: String, all: Bool, limit: Int) async throws -> [QuarantineItem] {
        let limit = Int64(max(0, limit))
        let rows = all
            ? try await client.rows("SELECT * FROM quarantine WHERE channel = \(channel) ORDER BY id LIMIT \(limit)", logger: logger)
            : try await client.rows("""
                SELECT * FROM quarantine WHERE channel = \(channel) AND resolved_at IS NULL ORDER BY id LIMIT \(limit)
                """, logger: logger)
        return try rows.map(Self.quarantineItem)
    }

    public func quarantineItem(id: Int64) async throws -> QuarantineItem {
        guard let row = try await client.rows("SELECT * FROM quarantine WHERE id = \(id)", logger: logger).first else {
            throw StoreError.notFound("quarantined message \(id) does not exist")
        }
        return try Self.quarantineItem(row)
    }

    public func resolveQuarantine(id: Int64, ticketID: Int64) async throws -> QuarantineItem {
        let t = clock().seconds
        guard let row = try await client.rows("""
            UPDATE quarantine SET resolved_at = \(t), updated_at = \(t), ticket_id = \(ticketID) WHERE id = \(id) RETURNING *
            """, logger: logger).first else {
            throw StoreError.notFound("quarantined message \(id) does not exist")
        }
        return try Self.quarantineItem(row)
    }

    static func quarantineItem(_ row: PGRow) throws -> QuarantineItem {
        QuarantineItem(
            id: try row["id"], channel: try row["channel"], sourceRef: try row["source_ref"], rawSHA256: try row["raw_sha256"],
            size: try row.int("size"), reason: try row["reason"], attempts: try row.int("attempts"), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"), resolvedAt: try row.date("resolved_at"), ticketID: try row["ticket_id"])
    }

    // MARK: Outbound email

    /// Claims due email deliveries for `lease` seconds. Rows another process is claiming at this moment are
    /// skipped (`SKIP LOCKED`), never waited for and never claimed twice.
    public func claimOutboundEmail(domains: [String: String], limit: Int, lease: TimeInterval) async throws -> [OutboundEmail] {
        let channels = domains.keys.sorted()
        guard !channels.isEmpty else { return [] }
        let now = clock().seconds
        return try await write { connection, _ in
            var claim = SQLBuilder()
            claim.append("""
                SELECT o.id AS outbox_id, o.message_id, o.channel, o.recipient, o.attempts, m.ticket_id, m.subject, m.body_text, m.body_html,
                    m.message_id_header
                FROM outbox o JOIN messages m ON m.id = o.message_id
                WHERE o.status IN ('queued', 'sending') AND o.next_attempt_at <= \(claim.bind(now))
                  AND o.channel IN (\(channels.map { claim.bind($0) }.joined(separator: ", ")))
                ORDER BY o.next_attempt_at, o.id LIMIT \(Int64(max(0, limit)))
                FOR UPDATE OF o SKIP LOCKED
                """)
            var jobs: [OutboundEmail] = []
            for row in try await connection.rows(claim.query, logger: logger) {
                let outboxID: Int64 = try row["outbox_id"], messageID: Int64 = try row["message_id"], ticketID: Int64 = try row["ticket_id"]
                let channel: String = try row["channel"]
                var header: String? = try row["message_id_header"]
                if header == nil {
                    let random = Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255) })
                    header = "<pishkhan.\(ticketID).\(messageID).\(random)@\(domains[channel] ?? "pishkhan.invalid")>"
                    try await connection.query("UPDATE messages SET message_id_header = \(header) WHERE id = \(messageID)", logger: logger)
                }
                try await connection.query("""
                    UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = \(now + lease) WHERE id = \(outboxID)
                    """, logger: logger)
                try await connection.query("UPDATE messages SET delivery_status = 'sending' WHERE id = \(messageID)", logger: logger)
                var thread: [String] = []
                for try await id in try await connection.query("""
                    SELECT message_id_header FROM messages WHERE ticket_id = \(ticketID) AND message_id_header IS NOT NULL AND id < \(messageID)
                    ORDER BY id
                    """, logger: logger).decode(String.self) { thread.append(id) }
                let lastInbound = try await connection.value(String.self, """
                    SELECT message_id_header FROM messages WHERE ticket_id = \(ticketID) AND kind = 'inbound' AND message_id_header IS NOT NULL
                    ORDER BY id DESC LIMIT 1
                    """, logger: logger)
                jobs.append(OutboundEmail(
                    outboxID: outboxID, messageID: messageID, ticketID: ticketID, channel: channel, recipient: try row["recipient"],
                    subject: try row["subject"] ?? "", text: try row["body_text"] ?? "", html: try row["body_html"], messageIDHeader: header!,
                    inReplyTo: lastInbound ?? thread.last, references: Array(thread.suffix(20)), attempts: try row.int("attempts") + 1))
            }
            return jobs
        }
    }

    public func markOutboundSent(_ job: OutboundEmail) async throws {
        let now = clock()
        try await write { connection, log in
            try await connection.query("UPDATE outbox SET status = 'sent', last_error = NULL WHERE id = \(job.outboxID)", logger: logger)
            try await connection.query("UPDATE messages SET delivery_status = 'sent', sent_at = \(now.seconds) WHERE id = \(job.messageID)", logger: logger)
            try await connection.query("""
                INSERT INTO channel_state (channel, sent) VALUES (\(job.channel), 1)
                ON CONFLICT (channel) DO UPDATE SET sent = channel_state.sent + 1
                """, logger: logger)
            log.append(.messageDelivery, ticket: job.ticketID, customer: nil, at: now, data: [
                "messageID": .int(job.messageID), "status": .string("sent"),
            ])
        }
    }

    public func markOutboundFailed(_ job: OutboundEmail, reason: String, retryAt: Date?) async throws {
        let now = clock()
        try await write { connection, log in
            let status = retryAt == nil ? "failed" : "queued"
            try await connection.query("""
                UPDATE outbox SET status = \(status), last_error = \(String(reason.prefix(1000))), next_attempt_at = \((retryAt ?? now).seconds)
                WHERE id = \(job.outboxID)
                """, logger: logger)
            try await connection.query("UPDATE messages SET delivery_status = \(status) WHERE id = \(job.messageID)", logger: logger)
            try await connection.query("""
                INSERT INTO channel_state (channel, send_failures) VALUES (\(job.channel), 1)
                ON CONFLICT (channel) DO UPDATE SET send_failures = channel_state.send_failures + 1
                """, logger: logger)
            if retryAt == nil {
                log.append(.messageDelivery, ticket: job.ticketID, customer: nil, at: now, data: [
                    "messageID": .int(job.messageID), "status": .string("failed"), "reason": .string(String(reason.prefix(300))),
                ])
            }
        }
    }
}
