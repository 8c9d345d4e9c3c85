import Foundation
import PostgresNIO

extension PostgresStore: LeaseStore {
    /// Atomic in one statement: of processes asking at once, one is granted; the others see its row.
    public func acquireLease(_ name: String, holder: String, for duration: TimeInterval) async throws -> Lease? {
        let now = clock().seconds
        var binds = PostgresBindings()
        binds.append(name, context: .default)
        binds.append(holder, context: .default)
        binds.append(now + duration, context: .default)
        binds.append(now, context: .default)
        return try await client.rows(PostgresQuery(unsafeSQL: Lease.upsert { "$\($0)" }, binds: binds), logger: logger).first.map {
            Lease(name: name, holder: holder, generation: try $0["generation"], expiresAt: try $0.date("expires_at"))
        }
    }

    public func releaseLease(_ name: String, holder: String) async throws {
        try await client.query("DELETE FROM leases WHERE name = \(name) AND holder = \(holder)", logger: logger)
    }
}
