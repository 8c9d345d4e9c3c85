import Foundation
import PishkhanTestSupport
import Testing

/// `pishkhan migrate` as an operator runs it before starting servers: `--check` reports and changes
/// nothing (exit 1 while something is pending), a plain run applies, and a second check is clean.
@Suite struct MigrateCommandTests {
    /// The command's output and exit status.
    static func migrate(_ data: URL, check: Bool = false) throws -> (status: Int32, output: String) {
        let arguments = [ServerProcess.binary.path, "migrate", "--data", data.path] + (check ? ["--check"] : [])
        do {
            return (0, try ProcessRunner.run(arguments))
        } catch let failure as ProcessRunner.Failure {
            return (failure.status, failure.output)
        }
    }

    @Test func checkReportsAndMigrateApplies() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-migrate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let database = data.appendingPathComponent("pishkhan.sqlite")

        let before = try Self.migrate(data, check: true)
        #expect(before.status == 1, "\(before.output)")
        #expect(before.output.contains("Pending: 2026-11-23-core"), "\(before.output)")
        #expect(!FileManager.default.fileExists(atPath: database.path), "a check creates nothing")

        let applied = try Self.migrate(data)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(applied.output.contains("Applied now: 2026-11-23-core"), "\(applied.output)")
        #expect(FileManager.default.fileExists(atPath: database.path))

        let after = try Self.migrate(data, check: true)
        #expect(after.status == 0 && after.output.contains("Up to date."), "\(after.output)")
        let again = try Self.migrate(data)
        #expect(again.output.contains("Nothing to apply."), "\(again.output)")
    }
}
