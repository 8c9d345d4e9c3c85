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

    /// The same against PostgreSQL (`PISHKHAN_DATABASE_URL=postgres://…`): three deploy scripts migrating at
    /// once apply each migration once between them.
    @Test(.timeLimit(.minutes(2))) func postgresCheckReportsAndThreeConcurrentMigratesApplyOnce() async throws {
        try await PostgresServer.with { server async throws in
            let url = try server.createDatabase()
            func migrate(check: Bool = false) throws -> (status: Int32, output: String) {
                let arguments = ["env", "PISHKHAN_DATABASE_URL=\(url)", ServerProcess.binary.path, "migrate"] + (check ? ["--check"] : [])
                do {
                    return (0, try ProcessRunner.run(arguments))
                } catch let failure as ProcessRunner.Failure {
                    return (failure.status, failure.output)
                }
            }
            let before = try migrate(check: true)
            #expect(before.status == 1, "\(before.output)")
            #expect(before.output.contains("Pending: 2026-11-28-core"), "\(before.output)")
            #expect(!before.output.contains(PostgresServer.password), "the password is never printed")

            let runs = try await withThrowingTaskGroup(of: (status: Int32, output: String).self) { group in
                for _ in 0..<3 { group.addTask { try migrate() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(runs.allSatisfy { $0.status == 0 }, "\(runs.map(\.output))")
            #expect(runs.filter { $0.output.contains("Applied now: 2026-11-28-core") }.count == 1, "\(runs.map(\.output))")
            #expect(runs.filter { $0.output.contains("Nothing to apply.") }.count == 2, "\(runs.map(\.output))")

            let after = try migrate(check: true)
            #expect(after.status == 0 && after.output.contains("Up to date."), "\(after.output)")
        }
    }

    /// A database that cannot be reached stops the start with a sentence naming it (never its password).
    @Test func serveOnAnUnreachablePostgresSaysWhichAndStops() throws {
        let arguments = ["env", "PISHKHAN_DATABASE_URL=postgres://app:s3cret-pw@127.0.0.1:1/db?connect_timeout=2", ServerProcess.binary.path,
                         "serve", "--port", "0", "--log-level", "critical"]
        do {
            try ProcessRunner.run(arguments)
            Issue.record("serve started without its database")
        } catch let failure as ProcessRunner.Failure {
            #expect(failure.status != 0)
            #expect(failure.output.contains("postgres://app@127.0.0.1:1/db"), "\(failure.output)")
            #expect(!failure.output.contains("s3cret-pw"), "the password is never printed")
        }
    }
}
