import Foundation
import PishkhanCore
import PostgresNIO

extension PostgresStore: ChatStore {
    /// The stored value of `key`; stores `value` first when there is none. Of processes storing at once, the
    /// first to commit wins and the others read its value.
    public func setting(_ key: String, insertingIfAbsent value: String) async throws -> String {
        try await write { connection, _ in
            if let inserted = try await connection.value(String.self, """
                INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO NOTHING RETURNING value
                """, logger: logger) {
                return inserted
            }
            return try await connection.value(String.self, "SELECT value FROM settings WHERE key = \(key)", logger: logger) ?? value
        }
    }

    /// Agent replies and bot answers after `after` on `channel`'s tickets of the chat visitor's customer, as
    /// `SQLiteStore.chatMessages` does.
    public func chatMessages(channel: String, visitor: String, after: Int64, limit: Int) async throws -> [Message] {
        try await client.withConnection { connection in
            guard let customerID = try await connection.value(Int64.self, """
                SELECT customer_id FROM identities WHERE kind = \(IdentityKind.chat.rawValue) AND value = \(visitor)
                """, logger: logger) else { return [] }
            return try await PGTickets.messages(connection, logger: logger, """
                SELECT m.* FROM messages m JOIN tickets t ON t.id = m.ticket_id
                WHERE t.customer_id = \(customerID) AND t.channel = \(channel) AND m.kind IN ('outbound', 'bot') AND m.id > \(after)
                ORDER BY m.id LIMIT \(Int64(max(0, limit)))
                """)
        }
    }

    /// Agent replies and bot answers above `after` on these chat channels with the visitors to push them to,
    /// as `SQLiteStore.chatReplies` does.
    public func chatReplies(channels: Set<String>, after: Int64, limit: Int) async throws -> [ChatReply] {
        guard !channels.isEmpty else { return [] }
        return try await client.withConnection { connection in
            let rows = try await connection.rows("""
                SELECT m.id, t.channel AS ticket_channel, t.customer_id AS ticket_customer FROM messages m
                JOIN tickets t ON t.id = m.ticket_id
                WHERE m.id > \(after) AND m.kind IN ('outbound', 'bot') AND t.channel = ANY(\(channels.sorted()))
                ORDER BY m.id LIMIT \(Int64(max(0, limit)))
                """, logger: logger)
            guard !rows.isEmpty else { return [] }
            let ids = try rows.map { try $0["id"] as Int64 }
            let messages = try await PGTickets.messages(connection, logger: logger, "SELECT * FROM messages WHERE id = ANY(\(ids)) ORDER BY id")
            let customers = Array(Set(try rows.map { try $0["ticket_customer"] as Int64 })).sorted()
            var visitors: [Int64: [String]] = [:]
            for row in try await connection.rows("""
                SELECT customer_id, value FROM identities WHERE kind = \(IdentityKind.chat.rawValue) AND customer_id = ANY(\(customers))
                ORDER BY value COLLATE "C"
                """, logger: logger) {
                visitors[try row["customer_id"], default: []].append(try row["value"])
            }
            return try zip(rows, messages).map { row, message in
                ChatReply(channel: try row["ticket_channel"], visitors: visitors[try row["ticket_customer"]] ?? [], message: message)
            }
        }
    }

    public func latestMessageID() async throws -> Int64 {
        try await client.query("SELECT COALESCE(MAX(id), 0) FROM messages", logger: logger).decode(Int64.self).reduce(0) { max($0, $1) }
    }

    /// These chat messages reached the visitor: their outbox rows and the messages become `sent`, once. The
    /// outbox rows are locked in id order; a process marking the same rows at once waits, then finds them
    /// sent and leaves them.
    public func markChatSent(messageIDs: [Int64]) async throws {
        guard !messageIDs.isEmpty else { return }
        let now = clock()
        try await write { connection, log in
            let rows = try await connection.rows("""
                SELECT o.id, o.message_id, o.channel, m.ticket_id FROM outbox o JOIN messages m ON m.id = o.message_id
                WHERE o.channel_kind = 'chat' AND o.status IN ('queued', 'sending') AND o.message_id = ANY(\(messageIDs))
                ORDER BY o.id FOR UPDATE OF o
                """, logger: logger)
            for row in rows {
                let messageID: Int64 = try row["message_id"]
                try await connection.query("UPDATE outbox SET status = 'sent', last_error = NULL WHERE id = \(try row["id"] as Int64)", logger: logger)
                try await connection.query("UPDATE messages SET delivery_status = 'sent', sent_at = \(now.seconds) WHERE id = \(messageID)", logger: logger)
                try await Self.countSent(connection, logger, channel: try row["channel"])
                log.append(.messageDelivery, ticket: try row["ticket_id"], customer: nil, at: now, data: [
                    "messageID": .int(messageID), "status": .string("sent"),
                ])
            }
        }
    }

    public func markStoredChatRepliesSent(channels: Set<String>, limit: Int) async throws -> Int {
        guard !channels.isEmpty else { return 0 }
        let ids = try await client.rows("""
            SELECT message_id FROM outbox WHERE status IN ('queued', 'sending') AND channel_kind = 'chat'
                AND channel = ANY(\(channels.sorted())) ORDER BY id LIMIT \(Int64(max(0, limit)))
            """, logger: logger).map { try $0["message_id"] as Int64 }
        try await markChatSent(messageIDs: ids)
        return ids.count
    }
}
