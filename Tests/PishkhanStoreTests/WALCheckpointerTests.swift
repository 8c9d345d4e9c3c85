import Foundation
import PishkhanCore
@testable import PishkhanStore
import Testing

@Suite struct WALCheckpointerTests {
    /// The writer no longer has to copy the WAL back itself: a commit hands that to the checkpointer's
    /// own connection and thread, and what it copies is in the database file.
    @Test func aCommitStartsACheckpointOffTheWriter() async throws {
        let dir = Fixture.tempDirectory()
        let path = dir.appendingPathComponent("p.sqlite").path
        let store = try SQLiteStore(path: path, attachmentsDirectory: nil)
        for i in 0..<20 { _ = try await store.ingest(Fixture.sms("c\(i)", from: "0912345\(1000 + i)"), channel: Fixture.sms, rules: Fixture.rules) }
        let before = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)

        let checkpointer = try WALCheckpointer(path: path, interval: .zero)
        checkpointer.committed()
        checkpointer.waitForCheckpoint()

        let after = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(after > before)
        let (frames, copied) = try checkpointer.checkpoint()
        #expect(frames > 0 && copied == frames)
    }
}
