import Foundation
import Logging
import PishkhanCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The PostgreSQL backend: several `pishkhan serve` processes share one database.
///
/// A pool of connections (`PostgresClient`) runs the transactions; one more connection per process
/// LISTENs on `pishkhan_events`, so events any process commits reach this process's followers. The
/// notification carries only the newest sequence number: followers read the events themselves from the
/// table, so a listener that reconnects loses nothing. Run the store as a service (`run()`), next to the
/// server's other services.
public final class PostgresStore: Sendable, Service {
    public static let eventChannel = "pishkhan_events"
    /// Notified when SLA calendars or policies change, so every process reloads them.
    static let configurationChannel = "pishkhan_configuration"

    public let url: PostgresURL
    public let events = EventHub()
    /// Clock changes this process made, for its SLA scheduler. Changes other processes make reach the
    /// scheduler through its periodic rebuild from `sla_clocks`.
    public let slaTimers = SLATimerFeed()
    let client: PostgresClient
    let logger: Logger
    let clock: @Sendable () -> Date
    let normalizer: IdentityNormalizer
    /// The SLA policies and calendars in force: loaded by `prepare()`, reloaded when any process changes them.
    let sla = Mutex(try! SLAConfiguration())

    public init(url: PostgresURL, normalizer: IdentityNormalizer = IdentityNormalizer(), logger: Logger,
                clock: @escaping @Sendable () -> Date = Date.init) throws {
        self.url = url
        self.logger = logger
        self.clock = clock
        self.normalizer = normalizer
        self.client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: logger)
    }

    /// Runs the connection pool and the event listener until cancelled or the service group shuts down.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.listenForEvents() }
            // Until the service group shuts down (the server's services, listed after the store, stop first)
            // or the task is cancelled.
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// What went wrong talking to the database, in words (a `PSQLError` prints only a generic text, so that
    /// nothing sensitive leaks): its kind, the server's message or the connection's failure. Never the password.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        var parts = ["\(error.code)"]
        if let message = error.serverInfo?[.message] { parts.append(message) }
        if let underlying = error.underlying { parts.append("\(underlying)") }
        return parts.joined(separator: ": ")
    }

    /// Runs `body` with the store's pool running, for commands and tests that use the store without a
    /// service group; the pool stops when `body` returns.
    public static func withStore<T: Sendable>(
        url: PostgresURL, normalizer: IdentityNormalizer = IdentityNormalizer(), logger: Logger, clock: @escaping @Sendable () -> Date = Date.init,
        migrate: Bool = true, _ body: @Sendable (PostgresStore) async throws -> T
    ) async throws -> T {
        let store = try PostgresStore(url: url, normalizer: normalizer, logger: logger, clock: clock)
        // The body waits until the pool's `run()` has been called, so no lease is asked of a pool not yet running.
        let (started, starting) = AsyncStream<Void>.makeStream()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                starting.finish()
                try await store.run()
                return nil
            }
            defer { group.cancelAll() }
            for await _ in started {}
            if migrate { try await store.migrate() }
            try await store.prepare()
            return try await body(store)
        }
    }

    // MARK: Migrations

    /// Every migration this build knows, oldest first.
    public static var migrationNames: [String] { PostgresSchema.migrations.map(\.name) }

    /// Names of the migrations applied, oldest first; empty on a fresh database.
    public func appliedMigrations() async throws -> [String] {
        try await client.withConnection { connection in
            try await Self.appliedMigrations(connection, logger: logger)
        }
    }

    public func pendingMigrations() async throws -> [String] {
        let applied = Set(try await appliedMigrations())
        return Self.migrationNames.filter { !applied.contains($0) }
    }

    /// Applies the pending migrations, each in its own transaction, and returns their names. Several
    /// processes starting at once take turns on an advisory lock; the later ones find nothing to do.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock))", logger: logger)
            do {
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at double precision NOT NULL)
                    """, logger: logger)
                let applied = Set(try await Self.appliedMigrations(connection, logger: logger))
                var now: [String] = []
                for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                    // One statement (a DO block: the extended protocol takes one at a time), in one transaction
                    // with its row in schema_migrations.
                    try await connection.withTransaction(logger: logger) { connection in
                        try await connection.query(PostgresQuery(unsafeSQL: "DO $migration$ BEGIN\n\(migration.sql)\nEND $migration$"), logger: logger)
                        try await connection.query(
                            "INSERT INTO schema_migrations (name, applied_at) VALUES (\(migration.name), \(Date().timeIntervalSince1970))",
                            logger: logger)
                    }
                    now.append(migration.name)
                    logger.info("Applied PostgreSQL migration", metadata: ["migration": "\(migration.name)"])
                }
                try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                return now
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                throw error
            }
        }
    }

    /// An arbitrary constant: the advisory lock key that serializes `migrate()` across processes.
    static let migrationLock: Int64 = 0x7069_7368_6b68_616e  // "pishkhan"

    private static func appliedMigrations(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
            .decode(Bool.self).reduce(false) { $0 || $1 }
        guard exists else { return [] }
        var names: [String] = []
        for try await name in try await connection.query("SELECT name FROM schema_migrations ORDER BY name", logger: logger).decode(String.self) {
            names.append(name)
        }
        return names
    }

    /// Loads what the store keeps in memory (the SLA configuration) once the schema is migrated; on a
    /// database not migrated yet there is nothing to load.
    public func prepare() async throws {
        guard try await pendingMigrations().isEmpty else { return }
        try await reloadSLAConfiguration()
    }

    // MARK: Health

    /// Cheap round trip to the database, for `/healthz`.
    public func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    // MARK: Transactions and events

    /// Runs one transaction and tells this process's followers about the events it wrote, after commit.
    /// Other processes learn of them from the notification the commit delivers.
    func write<T: Sendable>(_ body: (PostgresConnection, inout PostgresEventLog) async throws -> T) async throws -> T {
        let (value, maxSeq, timers): (T, Int64, [SLATimerUpdate])
        do {
            (value, maxSeq, timers) = try await client.withTransaction(logger: logger) { connection -> (T, Int64, [SLATimerUpdate]) in
                var log = PostgresEventLog()
                let value = try await body(connection, &log)
                let maxSeq = try await log.flush(connection, logger: logger)
                return (value, maxSeq, log.timers)
            }
        } catch let error as PostgresTransactionError {
            // The caller's own error (not found, conflict, invalid) is what it expects to see; the wrapper
            // only adds where the transaction was. A failed BEGIN, COMMIT or ROLLBACK is rethrown as it is.
            if let closureError = error.closureError, error.rollbackError == nil { throw closureError }
            throw error
        }
        if maxSeq > 0 { events.publish(maxSeq) }
        slaTimers.publish(timers)
        return value
    }

}

extension PostgresStore: Store {}

extension PostgresStore: EventStore {
    public func auditLog(limit: Int) async throws -> [AuditEntry] {
        try await client.rows("SELECT * FROM audit_log ORDER BY id DESC LIMIT \(Int64(max(0, limit)))", logger: logger).map { row in
            AuditEntry(
                id: try row["id"], at: try row.date("at"), actorAgentID: try row["actor_agent_id"], action: try row["action"],
                targetType: try row["target_type"], targetID: try row["target_id"],
                details: JSONText.decode([String: JSONValue].self, try row["details"], default: [:]))
        }
    }

    public func events(after seq: Int64, limit: Int) async throws -> [Event] {
        let rows = try await client.query("""
            SELECT seq, type, version, ticket_id, customer_id, data, occurred_at FROM events
            WHERE seq > \(seq) ORDER BY seq LIMIT \(max(1, min(limit, 1000)))
            """, logger: logger)
        var events: [Event] = []
        for try await (seq, type, version, ticket, customer, data, occurredAt) in rows.decode(
            (Int64, String, Int64, Int64?, Int64?, String, Double).self)
        {
            guard let type = EventType(rawValue: type) else { continue }
            let payload = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(data.utf8))) ?? [:]
            events.append(Event(
                seq: seq, type: type, version: Int(version), ticketID: ticket, customerID: customer,
                occurredAt: Date(timeIntervalSince1970: occurredAt), data: payload))
        }
        return events
    }

    public func latestEventSeq() async throws -> Int64 {
        try await client.query("SELECT seq FROM event_head WHERE id = 1", logger: logger)
            .decode(Int64.self).reduce(0) { max($0, $1) }
    }
}

extension PostgresStore {
    /// Follows `pishkhan_events` and `pishkhan_configuration` on a connection of its own. On every
    /// (re)connection it first publishes the newest sequence number and reloads the SLA configuration, so
    /// whatever was committed while it was away reaches this process.
    private func listenForEvents() async {
        var delay: Duration = .milliseconds(100)
        while !Task.isCancelled {
            do {
                let configuration = try url.connectionConfiguration()
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                do {
                    try await connection.listen(on: Self.configurationChannel) { changes in
                        try await connection.listen(on: Self.eventChannel) { notifications in
                            // Before the first migration there is no counter yet, and nothing to catch up on.
                            let migrated = try await connection.query("SELECT to_regclass('event_head') IS NOT NULL", logger: logger)
                                .decode(Bool.self).reduce(false) { $0 || $1 }
                            if migrated {
                                let latest = try await connection.query("SELECT seq FROM event_head WHERE id = 1", logger: logger)
                                    .decode(Int64.self).reduce(0) { max($0, $1) }
                                if latest > 0 { events.publish(latest) }
                                try await reloadSLAConfiguration()
                            }
                            delay = .milliseconds(100)
                            let reloading = Task {
                                for try await _ in changes { try await self.reloadSLAConfiguration() }
                            }
                            defer { reloading.cancel() }
                            for try await notification in notifications {
                                if let seq = Int64(notification.payload) { events.publish(seq) }
                            }
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                logger.warning("Event listener lost its connection; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }
}

/// The events one transaction writes, numbered at its end.
///
/// Sequence numbers come from the one-row `event_head` counter, updated just before commit: the row lock
/// makes transactions that write events number them in commit order, with no gaps, so a follower that has
/// read up to `seq` never later finds a smaller number committed. The lock is held only for the final
/// insert and the commit. `pg_notify` in the same transaction is delivered on commit, and not at all on
/// rollback.
struct PostgresEventLog {
    private struct Pending {
        var type: EventType
        var ticket: Int64?
        var customer: Int64?
        var at: Date
        var data: String
    }
    private var pending: [Pending] = []
    /// Clock changes to hand this process's SLA scheduler after commit.
    var timers: [SLATimerUpdate] = []

    mutating func append(_ type: EventType, ticket: Int64?, customer: Int64?, at: Date, data: [String: JSONValue]) {
        pending.append(Pending(type: type, ticket: ticket, customer: customer, at: at, data: JSONValue.object(data).jsonText))
    }

    /// Numbers and inserts the pending events; returns the highest sequence number, or 0 when there were none.
    mutating func flush(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        guard !pending.isEmpty else { return 0 }
        let count = Int64(pending.count)
        let last = try await connection.query(
            "UPDATE event_head SET seq = seq + \(count) WHERE id = 1 RETURNING seq", logger: logger)
            .decode(Int64.self).reduce(0) { max($0, $1) }
        var insert = SQLBuilder("INSERT INTO events (seq, type, version, ticket_id, customer_id, data, occurred_at) VALUES ")
        for (offset, event) in pending.enumerated() {
            if offset > 0 { insert.append(", ") }
            let values = [
                insert.bind(last - count + 1 + Int64(offset)), insert.bind(event.type.rawValue), "1",
                insert.bind(event.ticket), insert.bind(event.customer), insert.bind(event.data),
                insert.bind(event.at.timeIntervalSince1970),
            ]
            insert.append("(\(values.joined(separator: ", ")))")
        }
        try await connection.query(insert.query, logger: logger)
        try await connection.query("SELECT pg_notify(\(PostgresStore.eventChannel), \(String(last)))", logger: logger)
        pending.removeAll()
        return last
    }
}
