import Foundation
import GRDB
import GRDBSQLite

/// Binds values straight onto one of GRDB's cached prepared statements and runs it. Intake runs a dozen
/// statements per message inside the single writer; building `StatementArguments` from arrays of
/// existentials was a measured eighth of that writer's time. Everything else goes through GRDB as usual.
struct Binder {
    private let statement: OpaquePointer
    private var index: Int32 = 1

    private init(_ statement: OpaquePointer) {
        self.statement = statement
    }

    mutating func int(_ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
        index += 1
    }

    mutating func bool(_ value: Bool) { int(value ? 1 : 0) }

    mutating func double(_ value: Double?) {
        if let value { sqlite3_bind_double(statement, index, value) } else { sqlite3_bind_null(statement, index) }
        index += 1
    }

    mutating func text(_ value: String?) {
        if var value {
            value.withUTF8 { bytes in
                _ = sqlite3_bind_text(statement, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(bytes.count), sqliteTransient)
            }
        } else {
            sqlite3_bind_null(statement, index)
        }
        index += 1
    }

    /// Runs a statement that returns no rows.
    static func execute(_ db: Database, _ sql: String, _ bind: (inout Binder) -> Void) throws {
        let statement = try db.cachedStatement(sql: sql)
        let handle = try prepare(statement, bind)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw error(db, code, sql) }
        sqlite3_reset(handle)
    }

    /// Runs a query and reads its first row, if any, with `read`.
    static func first<T>(_ db: Database, _ sql: String, _ bind: (inout Binder) -> Void, read: (Columns) -> T) throws -> T? {
        let statement = try db.cachedStatement(sql: sql)
        let handle = try prepare(statement, bind)
        defer { sqlite3_reset(handle) }
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return read(Columns(statement: handle))
        case SQLITE_DONE: return nil
        case let code: throw error(db, code, sql)
        }
    }

    /// Runs a query and hands every row to `read`.
    static func each(_ db: Database, _ sql: String, _ bind: (inout Binder) -> Void, read: (Columns) throws -> Void) throws {
        let statement = try db.cachedStatement(sql: sql)
        let handle = try prepare(statement, bind)
        defer { sqlite3_reset(handle) }
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW: try read(Columns(statement: handle))
            case SQLITE_DONE: return
            case let code: throw error(db, code, sql)
            }
        }
    }

    private static func prepare(_ statement: Statement, _ bind: (inout Binder) -> Void) throws -> OpaquePointer {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        var binder = Binder(handle)
        bind(&binder)
        return handle
    }

    private static func error(_ db: Database, _ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
    }

    /// The current row's columns, by position.
    struct Columns {
        let statement: OpaquePointer
        func int(_ i: Int32) -> Int64 { sqlite3_column_int64(statement, i) }
        func optionalInt(_ i: Int32) -> Int64? { sqlite3_column_type(statement, i) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, i) }
        func double(_ i: Int32) -> Double { sqlite3_column_double(statement, i) }
        func date(_ i: Int32) -> Date? {
            sqlite3_column_type(statement, i) == SQLITE_NULL ? nil : Date(timeIntervalSince1970: sqlite3_column_double(statement, i))
        }
        /// The first byte of a text column, for decoding short enum codes without building a String.
        func firstByte(_ i: Int32) -> UInt8? { sqlite3_column_text(statement, i)?.pointee }
        func text(_ i: Int32) -> String? {
            guard let p = sqlite3_column_text(statement, i) else { return nil }
            return String(cString: p)
        }
    }
}

/// SQLite copies bound text before `sqlite3_bind_text` returns (`SQLITE_TRANSIENT`, a C macro Swift cannot import).
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
