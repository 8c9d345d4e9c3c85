import Foundation
import Logging
import PishkhanCore
import PostgresNIO

/// A row read by column name, the way the SQLite side reads GRDB rows.
struct PGRow {
    private let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    subscript<T: PostgresDecodable>(_ column: String) -> T {
        get throws { try row[column].decode(T.self) }
    }

    func date(_ column: String) throws -> Date { Date(timeIntervalSince1970: try self[column] as Double) }
    func int(_ column: String) throws -> Int { Int(try self[column] as Int64) }
    func int(_ column: String) throws -> Int? { (try self[column] as Int64?).map(Int.init) }
}

extension PostgresConnection {
    /// Every row of `query`, read by column name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PGRow] {
        var rows: [PGRow] = []
        for try await row in try await self.query(query, logger: logger) { rows.append(PGRow(row)) }
        return rows
    }
}

extension PostgresClient {
    /// Every row of `query` on a pooled connection, read by column name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PGRow] {
        var rows: [PGRow] = []
        for try await row in try await self.query(query, logger: logger) { rows.append(PGRow(row)) }
        return rows
    }
}

/// Rows to models, as `Rows` does for SQLite.
enum PGRows {
    static func agent(_ row: PGRow) throws -> Agent {
        Agent(
            id: try row["id"], name: try row["name"], email: try row["email"], role: Role(rawValue: try row["role"]) ?? .agent,
            groups: JSONText.decode([String].self, try row["groups"], default: []), capacity: try row.int("capacity"),
            available: (try row["available"] as Int32) != 0, createdAt: try row.date("created_at"))
    }
}

enum PGAudit {
    static func write(_ connection: PostgresConnection, logger: Logger, at: Date, actor: Int64?, action: String,
                      targetType: String, targetID: Int64?, details: [String: JSONValue]) async throws {
        try await connection.query("""
            INSERT INTO audit_log (at, actor_agent_id, action, target_type, target_id, details)
            VALUES (\(at.seconds), \(actor), \(action), \(targetType), \(targetID), \(JSONText.encode(details)))
            """, logger: logger)
    }
}
