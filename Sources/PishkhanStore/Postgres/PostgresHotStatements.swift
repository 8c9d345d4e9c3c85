import Foundation
import Logging
import PostgresNIO
import Synchronization

/// A fixed-shape statement that intake runs for nearly every message, prepared once per connection: sent
/// as an unnamed statement it would be parsed, analysed and planned again on every call, which a profile
/// put at about 40% of PostgreSQL's CPU during ingest.
///
/// Each names the type of every `$n`, so a NULL in the call that prepares it cannot leave a parameter
/// typed differently from what later calls send. Columns are listed, never `*`: a prepared statement
/// whose result shape changes under it (a migration by another process) fails.
protocol PGHotStatement {
    static var sql: String { get }
    static var types: [PostgresDataType] { get }
}

/// postgres-nio's prepared statement for a `PGHotStatement`: prepared on a connection's first use, under
/// the statement's own name, then only bound and executed.
///
/// postgres-nio remembers a failed preparation for the life of the connection and answers every later
/// use of that name with the same error, so one preparation that failed for a passing reason (a lock
/// timeout behind another process's migration, a cancelled query) would make every ingest on that pooled
/// connection fail. The name therefore carries a generation, moved on by any failure that may have come
/// from preparing (`PGHotStatements.failed`): the next use prepares afresh under a new name.
struct PGPrepared<Statement: PGHotStatement>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { "pishkhan.\(Statement.self).\(PGHotStatements.generation)" }
    static var sql: String { Statement.sql }
    static var bindingDataTypes: [PostgresDataType] { Statement.types }

    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

enum PGHotStatements {
    private static let current = Atomic<Int>(0)

    static var generation: Int { current.load(ordering: .relaxed) }

    /// After a failed hot statement: unless the error is one only executing can raise (a constraint, a
    /// deadlock, a serialization failure), later uses prepare under a new name.
    static func failed(_ error: any Error) {
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState],
           state.hasPrefix("23") || state.hasPrefix("40") || state.hasPrefix("22") {
            return
        }
        current.add(1, ordering: .relaxed)
    }
}

extension PostgresConnection {
    /// Every row of the prepared `statement` with `values` as `$1`, `$2`, … (nil is NULL).
    func rows<S: PGHotStatement>(_ statement: S.Type, _ values: [(any PostgresThrowingDynamicTypeEncodable)?],
                                 logger: Logger) async throws -> [PGRow] {
        do {
            var rows: [PGRow] = []
            for try await row in try await execute(PGPrepared<S>(bindings: try Self.bindings(S.self, values)), logger: logger) {
                rows.append(PGRow(row))
            }
            return rows
        } catch {
            PGHotStatements.failed(error)
            throw error
        }
    }

    /// The only column of the first row of the prepared `statement`, if any.
    func value<T: PostgresDecodable, S: PGHotStatement>(_ type: T.Type, _ statement: S.Type,
                                                         _ values: [(any PostgresThrowingDynamicTypeEncodable)?],
                                                         logger: Logger) async throws -> T? {
        do {
            var value: T?
            for try await row in try await execute(PGPrepared<S>(bindings: try Self.bindings(S.self, values)), logger: logger)
            where value == nil {
                value = try row.decode(T.self)
            }
            return value
        } catch {
            PGHotStatements.failed(error)
            throw error
        }
    }

    private static func bindings<S: PGHotStatement>(_ statement: S.Type,
                                                    _ values: [(any PostgresThrowingDynamicTypeEncodable)?]) throws -> PostgresBindings {
        precondition(values.count == S.types.count, "\(S.self) takes \(S.types.count) values")
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            if let value { try bindings.append(value) } else { bindings.appendNull() }
        }
        return bindings
    }
}

/// Intake's hot statements (`PGIntake`), each the same SQL as the unnamed statement it replaces.
enum PGIntakeSQL {
    enum InsertCustomer: PGHotStatement {
        static let sql = """
            INSERT INTO customers (name, search_name, tier, first_seen_at, last_contact_at, created_at, updated_at)
            VALUES ($1, $2, 'standard', $3, $3, $3, $3) RETURNING id
            """
        static let types: [PostgresDataType] = [.text, .text, .float8]
    }

    enum TicketByRecency: PGHotStatement {
        static let sql = """
            SELECT id, status FROM tickets
            WHERE customer_id = $1 AND channel = $2 AND status IN ('new', 'open', 'pending')
              AND last_activity_at >= $3 AND merged_into IS NULL
            ORDER BY last_activity_at DESC LIMIT 1
            """
        static let types: [PostgresDataType] = [.int8, .text, .float8]
    }

    enum LockTicket: PGHotStatement {
        static let sql = "SELECT status, first_responded_at IS NOT NULL AS answered FROM tickets WHERE id = $1 FOR UPDATE"
        static let types: [PostgresDataType] = [.int8]
    }

    /// A customer's message on an existing ticket: `$2` the status after it, `$4` whether that changed it.
    enum TouchTicket: PGHotStatement {
        static let sql = """
            UPDATE tickets SET status = $2, last_activity_at = $3, last_customer_message_at = $3, updated_at = $3,
                message_count = message_count + 1, resolved_at = CASE WHEN $4 THEN NULL ELSE resolved_at END
            WHERE id = $1
            """
        static let types: [PostgresDataType] = [.int8, .text, .float8, .bool]
    }

    enum InsertTicket: PGHotStatement {
        static let sql = """
            INSERT INTO tickets (subject, search_text, status, priority, channel, channel_kind, customer_id, assignee_id, tags,
                last_customer_message_at, last_activity_at, message_count, created_at, updated_at,
                sla_policy, first_response_due_at, next_response_due_at, resolution_due_at, due_sort)
            VALUES ($1, $2, 'new', $3, $4, $5, $6, $7, $8, $9, $9, 1, $9, $9, $10, $11, $12, $13, $14)
            RETURNING id
            """
        static let types: [PostgresDataType] = [
            .text, .text, .text, .text, .text, .int8, .int8, .text, .float8, .text, .float8, .float8, .float8, .float8,
        ]
    }

    enum InsertMessage: PGHotStatement {
        static let sql = """
            INSERT INTO messages (ticket_id, kind, channel, external_id, message_id_header, conversation_id, customer_id,
                subject, body_text, body_html, sent_at, created_at, automated, media)
            VALUES ($1, 'inbound', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            RETURNING id
            """
        static let types: [PostgresDataType] = [
            .int8, .text, .text, .text, .text, .int8, .text, .text, .text, .float8, .float8, .int4, .text,
        ]
    }

    /// What the SLA clocks need of a ticket, the ticket locked (`PGClockBook.facts`).
    enum ClockFacts: PGHotStatement {
        static let sql = """
            SELECT t.priority, t.channel, t.channel_kind, t.tags, c.tier, t.status, t.created_at,
                t.first_responded_at IS NOT NULL AS responded
            FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.id = $1 FOR UPDATE OF t
            """
        static let types: [PostgresDataType] = [.int8]
    }
}
