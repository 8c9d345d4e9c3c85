import Foundation
import GRDB

extension SQLiteStore {
    /// For benchmarks and load tests only: opens every `every`-th ticket and gives it a first-response due
    /// time spread over `spreadDueOver` seconds, as the SLA engine would, in one statement instead of a
    /// million API calls. Writes no events.
    public func benchmarkMarkOpen(every: Int, spreadDueOver: Double) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                UPDATE tickets SET status = 'open',
                    first_response_due_at = created_at + ((id * 7919) % ?),
                    due_sort = created_at + ((id * 7919) % ?)
                WHERE id % ? = 0
                """, arguments: [Int(spreadDueOver), Int(spreadDueOver), every])
        }
        // Fold the seeding's large WAL into the database file, as a running system's checkpoints would.
        try await writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// For benchmarks: folds the WAL into the database file, as a running system's checkpoints would.
    public func benchmarkCheckpoint() async throws {
        try await writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// For benchmarks: breaches recorded so far.
    public func benchmarkAlertCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sla_alerts WHERE kind = 'breach'") ?? 0 }
    }

    /// For benchmarks: seconds from each breach's due time to when it was stored.
    public func benchmarkAlertLags() async throws -> [Double] {
        try await read { db in try Double.fetchAll(db, sql: "SELECT recorded_at - due_at FROM sla_alerts WHERE kind = 'breach'") }
    }
}
