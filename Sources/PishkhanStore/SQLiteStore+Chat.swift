import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    // MARK: Web chat

    /// The stored value of `key`; stores `value` first when there is none, so concurrent callers (and
    /// servers sharing the database) agree on the first one written.
    public func setting(_ key: String, insertingIfAbsent value: String) async throws -> String {
        try await write { db, _ in
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", arguments: [key, value])
            return try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) ?? value
        }
    }

    /// Agent replies and bot answers after message id `after` on `channel`'s tickets of the customer the
    /// chat visitor `visitor` is, oldest first. Empty for a visitor who never wrote.
    public func chatMessages(channel: String, visitor: String, after: Int64, limit: Int) async throws -> [Message] {
        try await read { db in
            guard let customerID = try Int64.fetchOne(db, sql: "SELECT customer_id FROM identities WHERE kind = ? AND value = ?",
                                                      arguments: [IdentityKind.chat.rawValue, visitor]) else { return [] }
            return try Self.fetchMessages(db, sql: """
                SELECT m.* FROM messages m JOIN tickets t ON t.id = m.ticket_id
                WHERE t.customer_id = ? AND t.channel = ? AND m.kind IN ('outbound', 'bot') AND m.id > ?
                ORDER BY m.id LIMIT ?
                """, [customerID, channel, after, limit])
        }
    }

    /// Agent replies and bot answers with id above `after` on tickets of these chat channels, oldest
    /// first, each with the chat visitors of the ticket's customer: what one follower per server pushes
    /// to every open visitor connection after a commit.
    public func chatReplies(channels: Set<String>, after: Int64, limit: Int) async throws -> [ChatReply] {
        guard !channels.isEmpty else { return [] }
        let sorted = channels.sorted()
        return try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT m.*, t.channel AS ticket_channel, t.customer_id AS ticket_customer FROM messages m
                JOIN tickets t ON t.id = m.ticket_id
                WHERE m.id > ? AND m.kind IN ('outbound', 'bot') AND t.channel IN (\(sorted.map { _ in "?" }.joined(separator: ",")))
                ORDER BY m.id LIMIT ?
                """, arguments: [after] + StatementArguments(sorted) + [limit])
            guard !rows.isEmpty else { return [] }
            let messages = try Self.fetchMessages(db, sql: """
                SELECT * FROM messages WHERE id IN (\(rows.map { _ in "?" }.joined(separator: ","))) ORDER BY id
                """, StatementArguments(rows.map { $0["id"] as Int64 }))
            let customers = Set(rows.map { $0["ticket_customer"] as Int64 }).sorted()
            var visitors: [Int64: [String]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT customer_id, value FROM identities WHERE kind = ? AND customer_id IN (\(customers.map { _ in "?" }.joined(separator: ",")))
                ORDER BY value
                """, arguments: [IdentityKind.chat.rawValue] + StatementArguments(customers)) {
                visitors[row["customer_id"], default: []].append(row["value"])
            }
            return zip(rows, messages).map { row, message in
                ChatReply(channel: row["ticket_channel"], visitors: visitors[row["ticket_customer"]] ?? [], message: message)
            }
        }
    }

    /// The highest message id stored; 0 when there is none.
    public func latestMessageID() async throws -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM messages") ?? 0 }
    }

    /// These chat messages reached the visitor (written to an open connection, or kept for their replay):
    /// their outbox rows and the messages become `sent`, once; others are left as they are.
    public func markChatSent(messageIDs: [Int64]) async throws {
        guard !messageIDs.isEmpty else { return }
        let now = clock()
        try await write { db, log in
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.id, o.message_id, o.channel, m.ticket_id FROM outbox o JOIN messages m ON m.id = o.message_id
                WHERE o.channel_kind = 'chat' AND o.status IN ('queued', 'sending')
                    AND o.message_id IN (\(messageIDs.map { _ in "?" }.joined(separator: ",")))
                """, arguments: StatementArguments(messageIDs))
            for row in rows {
                let messageID: Int64 = row["message_id"]
                try db.execute(sql: "UPDATE outbox SET status = 'sent', last_error = NULL WHERE id = ?", arguments: [row["id"] as Int64])
                try db.execute(sql: "UPDATE messages SET delivery_status = 'sent', sent_at = ? WHERE id = ?", arguments: [now.seconds, messageID])
                try db.execute(sql: """
                    INSERT INTO channel_state (channel, sent) VALUES (?, 1)
                    ON CONFLICT(channel) DO UPDATE SET sent = channel_state.sent + 1
                    """, arguments: [row["channel"] as String])
                try log.append(db, .messageDelivery, ticket: row["ticket_id"], customer: nil, at: now, data: [
                    "messageID": .int(messageID), "status": .string("sent"),
                ])
            }
        }
    }
}

extension SQLiteStore {
    /// Every reply still queued on these chat channels is kept in the messages table for the visitor's
    /// replay, so it is `sent`; returns how many were marked.
    public func markStoredChatRepliesSent(channels: Set<String>, limit: Int) async throws -> Int {
        guard !channels.isEmpty else { return 0 }
        let sorted = channels.sorted()
        let ids = try await read { db in
            try Int64.fetchAll(db, sql: """
                SELECT message_id FROM outbox WHERE status IN ('queued', 'sending') AND channel_kind = 'chat'
                    AND channel IN (\(sorted.map { _ in "?" }.joined(separator: ","))) ORDER BY id LIMIT ?
                """, arguments: StatementArguments(sorted) + [limit])
        }
        try await markChatSent(messageIDs: ids)
        return ids.count
    }
}
