import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    // MARK: Raw messages

    /// Writes files content-addressed without syncing them; `syncStagedFiles()` makes them durable. For
    /// batches: a mailbox poll stages every message's raw bytes and attachments, syncs once, then commits.
    public func stageFiles(_ files: [Data]) async throws -> [String] {
        guard let attachments else { throw StoreError.invalid(ValidationError(field: "raw", reason: "this store keeps no files")) }
        return try await attachments.write(files, durable: false)
    }

    public func syncStagedFiles() async throws {
        try await attachments?.sync()
    }

    public func raw(sha256: String) throws -> Data {
        guard let attachments, sha256.range(of: "^[0-9a-f]{64}$", options: .regularExpression) != nil,
              let data = try? Data(contentsOf: attachments.url(for: sha256)) else {
            throw StoreError.notFound("raw message \(sha256) is not stored")
        }
        return data
    }

    // MARK: Mailbox state

    public func channelStates() async throws -> [ChannelState] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM channel_state ORDER BY channel").map(Self.channelState) }
    }

    public func channelState(_ channel: String) async throws -> ChannelState? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM channel_state WHERE channel = ?", arguments: [channel]).map(Self.channelState) }
    }

    static func channelState(_ row: Row) -> ChannelState {
        ChannelState(
            channel: row["channel"], uidValidity: (row["uid_validity"] as Int64?).map { UInt32(truncatingIfNeeded: $0) },
            watermark: UInt32(truncatingIfNeeded: row["watermark"] as Int64), lastPollAt: (row["last_poll_at"] as Double?).date,
            lastSuccessAt: (row["last_success_at"] as Double?).date, lastError: row["last_error"],
            lastErrorAt: (row["last_error_at"] as Double?).date, fetched: row["fetched"], stored: row["stored"],
            duplicates: row["duplicates"], quarantined: row["quarantined"], sent: row["sent"], sendFailures: row["send_failures"])
    }

    /// Records a poll: the mailbox's UIDVALIDITY and watermark as they now are, and the counts added.
    public func recordPoll(channel: String, _ report: PollReport) async throws {
        let t = clock().seconds
        try await write { db, _ in
            try db.execute(sql: """
                INSERT INTO channel_state (channel, uid_validity, watermark, last_poll_at, last_success_at, last_error, last_error_at,
                    fetched, stored, duplicates, quarantined)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(channel) DO UPDATE SET uid_validity = excluded.uid_validity, watermark = excluded.watermark,
                    last_poll_at = excluded.last_poll_at,
                    last_success_at = COALESCE(excluded.last_success_at, channel_state.last_success_at),
                    last_error = excluded.last_error,
                    last_error_at = COALESCE(excluded.last_error_at, channel_state.last_error_at),
                    fetched = channel_state.fetched + excluded.fetched, stored = channel_state.stored + excluded.stored,
                    duplicates = channel_state.duplicates + excluded.duplicates,
                    quarantined = channel_state.quarantined + excluded.quarantined
                """, arguments: [
                    channel, Int64(report.uidValidity), Int64(report.watermark), t, report.error == nil ? t : nil, report.error,
                    report.error == nil ? nil : t, report.fetched, report.stored, report.duplicates, report.quarantined,
                ])
        }
    }

    /// Records a connection or server error that stopped a poll before it could read the mailbox.
    public func recordChannelError(channel: String, _ error: String) async throws {
        let t = clock().seconds
        try await write { db, _ in
            try db.execute(sql: """
                INSERT INTO channel_state (channel, last_poll_at, last_error, last_error_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(channel) DO UPDATE SET last_poll_at = excluded.last_poll_at, last_error = excluded.last_error,
                    last_error_at = excluded.last_error_at
                """, arguments: [channel, t, error, t])
        }
    }

    // MARK: Quarantine

    /// Keeps a message that could not be stored, with the reason; the same source again only updates it.
    @discardableResult
    public func quarantine(channel: String, sourceRef: String, rawSHA256: String, size: Int, reason: String) async throws -> QuarantineItem {
        let t = clock().seconds
        return try await write { db, _ in
            try db.execute(sql: """
                INSERT INTO quarantine (channel, source_ref, raw_sha256, size, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(channel, source_ref) DO UPDATE SET reason = excluded.reason, updated_at = excluded.updated_at,
                    attempts = quarantine.attempts + 1
                """, arguments: [channel, sourceRef, rawSHA256, size, reason, t, t])
            return try Self.quarantineRow(db, sql: "SELECT * FROM quarantine WHERE channel = ? AND source_ref = ?", [channel, sourceRef])!
        }
    }

    /// Unresolved items first-in first-out; with `all`, the resolved ones too.
    public func quarantined(channel: String, all: Bool, limit: Int) async throws -> [QuarantineItem] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM quarantine WHERE channel = ? \(all ? "" : "AND resolved_at IS NULL") ORDER BY id LIMIT ?
                """, arguments: [channel, limit]).map(Self.quarantineItem)
        }
    }

    public func quarantineItem(id: Int64) async throws -> QuarantineItem {
        try await read { db in
            guard let item = try Self.quarantineRow(db, sql: "SELECT * FROM quarantine WHERE id = ?", [id]) else {
                throw StoreError.notFound("quarantined message \(id) does not exist")
            }
            return item
        }
    }

    /// Marks an item resolved: a retry stored it on `ticketID`.
    public func resolveQuarantine(id: Int64, ticketID: Int64) async throws -> QuarantineItem {
        let t = clock().seconds
        return try await write { db, _ in
            try db.execute(sql: "UPDATE quarantine SET resolved_at = ?, updated_at = ?, ticket_id = ? WHERE id = ?", arguments: [t, t, ticketID, id])
            guard let item = try Self.quarantineRow(db, sql: "SELECT * FROM quarantine WHERE id = ?", [id]) else {
                throw StoreError.notFound("quarantined message \(id) does not exist")
            }
            return item
        }
    }

    static func quarantineRow(_ db: Database, sql: String, _ args: StatementArguments) throws -> QuarantineItem? {
        try Row.fetchOne(db, sql: sql, arguments: args).map(quarantineItem)
    }

    static func quarantineItem(_ row: Row) -> QuarantineItem {
        QuarantineItem(
            id: row["id"], channel: row["channel"], sourceRef: row["source_ref"], rawSHA256: row["raw_sha256"], size: row["size"],
            reason: row["reason"], attempts: row["attempts"], createdAt: (row["created_at"] as Double).date,
            updatedAt: (row["updated_at"] as Double).date, resolvedAt: (row["resolved_at"] as Double?).date, ticketID: row["ticket_id"])
    }

    // MARK: Outbound email

    /// Claims up to `limit` email deliveries that are due, for `lease` seconds: a worker that dies
    /// mid-send leaves them to be claimed again after the lease. Fixes each message's Message-ID at the
    /// first claim, so customers' replies thread by header and a resend is the same message.
    /// `domains` maps each channel to the domain of its From address, for the Message-IDs.
    public func claimOutboundEmail(domains: [String: String], limit: Int, lease: TimeInterval) async throws -> [OutboundEmail] {
        let channels = Set(domains.keys)
        guard !channels.isEmpty else { return [] }
        let now = clock().seconds
        return try await write { db, _ in
            let placeholders = channels.map { _ in "?" }.joined(separator: ",")
            var args: StatementArguments = [now]
            for c in channels.sorted() { _ = args.append(contentsOf: [c]) }
            _ = args.append(contentsOf: [limit])
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.id AS outbox_id, o.message_id, o.channel, o.recipient, o.attempts, m.ticket_id, m.subject, m.body_text, m.body_html,
                    m.message_id_header
                FROM outbox o JOIN messages m ON m.id = o.message_id
                WHERE o.status IN ('queued', 'sending') AND o.next_attempt_at <= ? AND o.channel IN (\(placeholders))
                ORDER BY o.next_attempt_at, o.id LIMIT ?
                """, arguments: args)
            var jobs: [OutboundEmail] = []
            for row in rows {
                let outboxID: Int64 = row["outbox_id"], messageID: Int64 = row["message_id"], ticketID: Int64 = row["ticket_id"]
                let channel: String = row["channel"]
                var header: String? = row["message_id_header"]
                if header == nil {
                    let random = Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255) })
                    header = "<pishkhan.\(ticketID).\(messageID).\(random)@\(domains[channel] ?? "pishkhan.invalid")>"
                    try db.execute(sql: "UPDATE messages SET message_id_header = ? WHERE id = ?", arguments: [header, messageID])
                }
                try db.execute(sql: "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                               arguments: [now + lease, outboxID])
                try db.execute(sql: "UPDATE messages SET delivery_status = 'sending' WHERE id = ?", arguments: [messageID])
                let thread = try String.fetchAll(db, sql: """
                    SELECT message_id_header FROM messages WHERE ticket_id = ? AND message_id_header IS NOT NULL AND id < ? ORDER BY id
                    """, arguments: [ticketID, messageID])
                let lastInbound = try String.fetchOne(db, sql: """
                    SELECT message_id_header FROM messages WHERE ticket_id = ? AND kind = 'inbound' AND message_id_header IS NOT NULL
                    ORDER BY id DESC LIMIT 1
                    """, arguments: [ticketID])
                jobs.append(OutboundEmail(
                    outboxID: outboxID, messageID: messageID, ticketID: ticketID, channel: channel, recipient: row["recipient"],
                    subject: row["subject"] ?? "", text: row["body_text"] ?? "", html: row["body_html"], messageIDHeader: header!,
                    inReplyTo: lastInbound ?? thread.last, references: Array(thread.suffix(20)), attempts: (row["attempts"] as Int) + 1))
            }
            return jobs
        }
    }

    /// The message went out: outbox and message say `sent`.
    public func markOutboundSent(_ job: OutboundEmail) async throws {
        let now = clock()
        try await write { db, log in
            try db.execute(sql: "UPDATE outbox SET status = 'sent', last_error = NULL WHERE id = ?", arguments: [job.outboxID])
            try db.execute(sql: "UPDATE messages SET delivery_status = 'sent', sent_at = ? WHERE id = ?", arguments: [now.seconds, job.messageID])
            try db.execute(sql: """
                INSERT INTO channel_state (channel, sent) VALUES (?, 1)
                ON CONFLICT(channel) DO UPDATE SET sent = channel_state.sent + 1
                """, arguments: [job.channel])
            try log.append(db, .messageDelivery, ticket: job.ticketID, customer: nil, at: now, data: [
                "messageID": .int(job.messageID), "status": .string("sent"),
            ])
        }
    }

    /// The attempt failed: retried at `retryAt`, or failed for good (a permanent refusal, or too many
    /// attempts) when `retryAt` is nil. The reason shows on the outbox item.
    public func markOutboundFailed(_ job: OutboundEmail, reason: String, retryAt: Date?) async throws {
        let now = clock()
        try await write { db, log in
            let status = retryAt == nil ? "failed" : "queued"
            try db.execute(sql: "UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
                           arguments: [status, String(reason.prefix(1000)), (retryAt ?? now).seconds, job.outboxID])
            try db.execute(sql: "UPDATE messages SET delivery_status = ? WHERE id = ?", arguments: [status, job.messageID])
            try db.execute(sql: """
                INSERT INTO channel_state (channel, send_failures) VALUES (?, 1)
                ON CONFLICT(channel) DO UPDATE SET send_failures = channel_state.send_failures + 1
                """, arguments: [job.channel])
            if retryAt == nil {
                try log.append(db, .messageDelivery, ticket: job.ticketID, customer: nil, at: now, data: [
                    "messageID": .int(job.messageID), "status": .string("failed"), "reason": .string(String(reason.prefix(300))),
                ])
            }
        }
    }
}
