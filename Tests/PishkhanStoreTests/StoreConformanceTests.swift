import Foundation
import Logging
import PishkhanCore
@testable import PishkhanStore
import PishkhanTestSupport
import Testing

/// The store conformance suite: every store test takes a `Backend` and runs the same assertions on each, SQLite
/// in memory and a database of its own on a real PostgreSQL (one server for the test process, stopped by pid
/// at exit).
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    typealias Conforming = Store

    /// Runs `body` with a fresh, migrated store on this backend.
    func withStore<T: Sendable>(clock: TestClock = TestClock(), _ body: @Sendable (any Conforming) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            return try await body(try SQLiteStore.inMemory(attachmentsDirectory: Fixture.tempDirectory(), clock: clock.function))
        case .postgres:
            let server = try await PostgresServer.shared()
            let url = try PostgresURL(try server.createDatabase())
            var logger = Logger(label: "pishkhan.test.postgres")
            logger.logLevel = .warning
            return try await PostgresStore.withStore(url: url, logger: logger, clock: clock.function) { store in
                try await body(store)
            }
        }
    }
}

/// Two stores on one fresh PostgreSQL database: two processes of a cluster.
enum PostgresPair {
    static let logger: Logger = {
        var logger = Logger(label: "pishkhan.test.postgres")
        logger.logLevel = .warning
        return logger
    }()

    static func with(clock: TestClock = TestClock(), _ body: @Sendable (PostgresStore, PostgresStore) async throws -> Void) async throws {
        let server = try await PostgresServer.shared()
        let url = try PostgresURL(try server.createDatabase())
        try await PostgresStore.withStore(url: url, logger: logger, clock: clock.function) { a async throws in
            try await PostgresStore.withStore(url: url, logger: logger, clock: clock.function, migrate: false) { b async throws in
                try await body(a, b)
            }
        }
    }

    /// Waits until `count` sessions of the test's database wait on a lock.
    static func waitForLockWaiters(_ store: PostgresStore, count: Int64) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let waiting = try await store.client.query("""
                SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                """, logger: store.logger).decode(Int64.self).reduce(0, +)
            if waiting >= count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("\(count) sessions never waited on a lock")
    }

    /// Runs `claim` on both stores at once, each until it finds nothing more; every id either claimed.
    static func claimAll(_ a: PostgresStore, _ b: PostgresStore,
                         _ claim: @escaping @Sendable (PostgresStore) async throws -> [Int64]) async throws -> [Int64] {
        try await withThrowingTaskGroup(of: [Int64].self) { group in
            for store in [a, b] {
                group.addTask {
                    var claimed: [Int64] = []
                    while true {
                        let batch = try await claim(store)
                        if batch.isEmpty { return claimed }
                        claimed += batch
                    }
                }
            }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
    }
}

@Suite("Store conformance: agents and events", .timeLimit(.minutes(2)))
struct StoreConformanceTests {
    @Test(arguments: Backend.allCases)
    func agentTokensAreShownOnceAndFoundByTheirHash(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let (agent, token) = try await store.createAgent(name: "  Sara  ", role: .supervisor, email: "sara@example.com",
                                                            groups: ["Billing", "billing", " vip ", ""], capacity: 12)
            #expect(agent.name == "Sara")
            #expect(agent.role == .supervisor)
            #expect(agent.groups == ["billing", "vip"])
            #expect(agent.capacity == 12)
            #expect(agent.available)
            #expect(token.hasPrefix("pk_") && token.count == 46)
            #expect(try await store.agent(bearerToken: token) == agent)
            var other = Array(token)
            other[10] = other[10] == "A" ? "B" : "A"
            #expect(try await store.agent(bearerToken: String(other)) == nil, "a different token of the same shape")
            #expect(try await store.agent(bearerToken: "pk_short") == nil)
            #expect(try await store.agent(bearerToken: "") == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func agentsAreValidatedListedCountedAndAudited(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            await #expect(throws: StoreError.self) { try await store.createAgent(name: "   ", role: .agent, email: nil, groups: [], capacity: nil) }
            await #expect(throws: StoreError.self) { try await store.createAgent(name: "Reza", role: .agent, email: nil, groups: [], capacity: -1) }
            let (reza, _) = try await store.createAgent(name: "Reza", role: .agent, email: nil, groups: [], capacity: nil)
            let (bridge, _) = try await store.createAgent(name: "CRM bridge", role: .integration, email: nil, groups: [], capacity: nil)
            let (mina, _) = try await store.createAgent(name: "مینا", role: .admin, email: "mina@example.com", groups: ["فروش"], capacity: 3)
            #expect(try await store.agents().map(\.id) == [reza.id, bridge.id, mina.id])
            #expect(try await store.agents().last?.groups == ["فروش"])
            #expect(try await store.agentCount() == 2, "integrations are not agents on the floor")

            let away = try await store.setAgentAvailability(id: reza.id, available: false)
            #expect(!away.available)
            #expect(try await store.agents().first?.available == false)
            #expect(try await store.setAgentAvailability(id: reza.id, available: true).available)
            await #expect(throws: StoreError.notFound("agent 999999 does not exist")) {
                try await store.setAgentAvailability(id: 999_999, available: false)
            }

            let audit = try await store.auditLog(limit: 10)
            #expect(audit.map(\.action) == ["agent.create", "agent.create", "agent.create"])
            #expect(audit.first?.targetID == mina.id, "newest first")
            #expect(audit.first?.details["role"] == .string("admin"))
            #expect(try await store.auditLog(limit: 1).count == 1)
            #expect(try await store.agentWorkload().isEmpty, "no tickets yet")
            try await store.ping()
        }
    }

    @Test(arguments: Backend.allCases)
    func anEmptyStoreHasNoEvents(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            #expect(try await store.latestEventSeq() == 0)
            #expect(try await store.events(after: 0, limit: 100).isEmpty)
        }
    }
}
