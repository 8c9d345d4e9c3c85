import Foundation
import Logging
import PishkhanCore
import PostgresNIO

extension PostgresStore {
    // MARK: Policies and calendars

    public func slaConfiguration() -> SLAConfiguration {
        sla.withLock { $0 }
    }

    /// Reads the calendars and policies in force into memory; run at start and whenever any process
    /// announces a change on `pishkhan_configuration`.
    func reloadSLAConfiguration() async throws {
        let calendars = try await client.rows("SELECT definition FROM sla_calendars ORDER BY position", logger: logger).map {
            try JSONDecoder().decode(BusinessCalendar.self, from: Data((try $0["definition"] as String).utf8))
        }
        let policies = try await client.rows("SELECT definition FROM sla_policies ORDER BY position", logger: logger).map {
            try JSONDecoder().decode(SLAPolicy.self, from: Data((try $0["definition"] as String).utf8))
        }
        let configuration = try SLAConfiguration(calendars: calendars, policies: policies)
        sla.withLock { $0 = configuration }
    }

    /// Stores `configuration` unless SLA settings were ever stored before (see `SQLiteStore.seedSLAIfNew`).
    /// Several processes starting at once on a fresh database seed it once: the settings row is locked first.
    public func seedSLAIfNew(_ configuration: SLAConfiguration) async throws -> Bool {
        let seeded = try await write { connection, _ -> Bool in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended('sla.configured', 0))", logger: logger)
            guard try await connection.value(String.self, "SELECT value FROM settings WHERE key = 'sla.configured'", logger: logger) == nil
            else { return false }
            try await storeSLA(connection, configuration)
            return true
        }
        try await reloadSLAConfiguration()
        return seeded
    }

    /// Writes the configuration and tells every process (this one included) to reload it after commit.
    func storeSLA(_ connection: PostgresConnection, _ configuration: SLAConfiguration) async throws {
        let t = clock().seconds
        try await connection.query("DELETE FROM sla_calendars", logger: logger)
        try await connection.query("DELETE FROM sla_policies", logger: logger)
        for (i, calendar) in configuration.calendars.enumerated() {
            try await connection.query("""
                INSERT INTO sla_calendars (id, position, definition, updated_at) VALUES (\(calendar.id), \(Int64(i)), \(JSONText.encode(calendar)), \(t))
                """, logger: logger)
        }
        for (i, policy) in configuration.policies.enumerated() {
            try await connection.query("""
                INSERT INTO sla_policies (id, position, definition, updated_at) VALUES (\(policy.id), \(Int64(i)), \(JSONText.encode(policy)), \(t))
                """, logger: logger)
        }
        try await connection.query("""
            INSERT INTO settings (key, value) VALUES ('sla.configured', \(String(t))) ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, logger: logger)
        try await connection.query("SELECT pg_notify(\(Self.configurationChannel), '')", logger: logger)
    }
}
