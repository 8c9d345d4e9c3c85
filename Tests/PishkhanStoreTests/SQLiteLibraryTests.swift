import Foundation
import GRDB
import GRDBSQLite
@testable import PishkhanStore
import Testing

@Suite struct SQLiteLibraryTests {
    /// The store runs with SQLite's process-wide settings, here: no global memory statistics (and, from GRDB,
    /// no mutex per connection). Every place that opens SQLite in this process applies them first, so they
    /// are in force whatever order tests run in.
    @Test func storeConnectionsRunWithoutMemoryStatistics() async throws {
        #expect(SQLiteLibrary.configured)
        let path = Fixture.tempDirectory().appendingPathComponent("library.sqlite").path
        let store = try SQLiteStore(path: path, attachmentsDirectory: nil)
        try await store.writer.write { db in
            #expect(sqlite3_db_mutex(db.sqliteConnection) == nil)
            try db.execute(sql: "CREATE TABLE scratch (text TEXT)")
            try db.execute(sql: "INSERT INTO scratch VALUES (?)", arguments: [String(repeating: "x", count: 100_000)])
        }
        try await store.writer.read { db in
            #expect(sqlite3_db_mutex(db.sqliteConnection) == nil)
        }
        var used: sqlite3_int64 = 0, highest: sqlite3_int64 = 0
        #expect(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &used, &highest, 0) == SQLITE_OK)
        #expect(used == 0 && highest == 0, "SQLite counted its memory: the statistics are still on")
    }
}
