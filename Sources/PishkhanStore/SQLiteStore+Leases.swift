import Foundation
import GRDB

extension SQLiteStore {
    public func acquireLease(_ name: String, holder: String, for duration: TimeInterval) async throws -> Lease? {
        let now = clock().seconds
        return try await write { db, _ in
            try Row.fetchOne(db, sql: Lease.upsert { _ in "?" }, arguments: [name, holder, now + duration, now]).map {
                Lease(name: name, holder: holder, generation: $0["generation"], expiresAt: ($0["expires_at"] as Double).date)
            }
        }
    }

    public func releaseLease(_ name: String, holder: String) async throws {
        try await write { db, _ in
            try db.execute(sql: "DELETE FROM leases WHERE name = ? AND holder = ?", arguments: [name, holder])
        }
    }
}

extension Lease {
    /// One statement for both backends (`placeholder(n)` writes parameter n: `?` for SQLite, `$n` for
    /// PostgreSQL): insert, renew one's own, or take over a lease that ran out; a row comes back only when
    /// granted. Parameters: 1 name, 2 holder, 3 expires_at, 4 now.
    static func upsert(_ placeholder: (Int) -> String) -> String {
        """
        INSERT INTO leases (name, holder, generation, expires_at) VALUES (\(placeholder(1)), \(placeholder(2)), 1, \(placeholder(3)))
        ON CONFLICT (name) DO UPDATE SET
            generation = CASE WHEN leases.holder = excluded.holder THEN leases.generation ELSE leases.generation + 1 END,
            holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leases.holder = excluded.holder OR leases.expires_at <= \(placeholder(4))
        RETURNING generation, expires_at
        """
    }
}
