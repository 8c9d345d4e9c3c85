import Foundation
import GRDB
@testable import PishkhanStore
import Testing

@Suite struct WALCheckpointerTests {
    /// The writer no longer copies the WAL back itself: after a commit the checkpointer does it from its own
    /// connection and thread, and what it copies is in the database file.
    @Test func aCommitStartsACheckpointOffTheWriter() throws {
        let path = Fixture.tempDirectory().appendingPathComponent("w.sqlite").path
        _ = SQLiteLibrary.configured
        let pool = try DatabasePool(path: path)
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)")
            for i in 0..<500 { try db.execute(sql: "INSERT INTO t (text) VALUES (?)", arguments: [String(repeating: "x", count: 100 + i)]) }
        }
        let size = { try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) }
        let before = try size()

        let checkpointer = try WALCheckpointer(path: path, interval: .zero)
        checkpointer.committed()
        checkpointer.waitForCheckpoint()

        #expect(try size() > before)
        let (frames, copied) = try checkpointer.checkpoint()
        #expect(frames > 0 && copied == frames)
        #expect(try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 500)
    }
}
