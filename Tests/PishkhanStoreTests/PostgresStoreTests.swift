import Foundation
import Logging
import PishkhanCore
@testable import PishkhanStore
import PishkhanTestSupport
import Synchronization
import Testing

@Suite("PostgreSQL URL")
struct PostgresURLTests {
    @Test func readsEveryPartAndDecodesThePassword() throws {
        let url = try PostgresURL("postgres://pish%40khan:p%3Ass%2Fw@db.internal:6543/helpdesk?pool_size=40&pool_min=4&connect_timeout=3&sslmode=require")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.user == "pish@khan")
        #expect(url.password == "p:ss/w")
        #expect(url.database == "helpdesk")
        #expect(url.poolSize == 40)
        #expect(url.poolMinimum == 4)
        #expect(url.connectTimeout == .seconds(3))
        #expect(url.tls == .require)
        #expect(url.redacted == "postgres://pish@khan@db.internal:6543/helpdesk")
    }

    @Test func defaultsPreferTLSExceptOnLoopback() throws {
        let remote = try PostgresURL("postgresql://app@db.example.com/pishkhan")
        #expect(remote.port == 5432)
        #expect(remote.password == nil)
        #expect(remote.tls == .prefer)
        #expect(remote.poolSize == 20)
        #expect(try PostgresURL("postgres://app:x@127.0.0.1:5432/pishkhan").tls == .disable)
    }

    @Test(arguments: [
        "sqlite:///var/lib/pishkhan.sqlite", "postgres://host/db", "postgres://user@/db", "postgres://user@host/",
        "postgres://user@host/db?pool_size=0", "postgres://user@host/db?pool_size=many", "postgres://user@host/db?sslmode=maybe",
        "postgres://user@host/db?poolsize=3", "postgres://user@host/db?pool_size=2&pool_min=2",
    ])
    func refusesWhatItCannotUse(_ text: String) {
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL(text) }
    }
}

/// Against a real PostgreSQL started for the suite (initdb in a temporary directory, loopback port, stopped by pid).
@Suite("PostgreSQL store", .serialized, .timeLimit(.minutes(2)))
struct PostgresStoreTests {
    static let logger: Logger = {
        var logger = Logger(label: "pishkhan.test.postgres")
        logger.logLevel = .warning
        return logger
    }()

    @Test func migrationsApplyOnceEvenWhenThreeProcessesStartTogether() async throws {
        try await PostgresServer.with { server async throws in
            let url = try PostgresURL(try server.createDatabase())
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await PostgresStore.withStore(url: url, logger: Self.logger, migrate: false) { store async throws in
                            #expect(try await store.pendingMigrations().count <= PostgresStore.migrationNames.count)
                            return try await store.migrate()
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(applied == PostgresStore.migrationNames, "each migration applied by exactly one of the three")
            try await PostgresStore.withStore(url: url, logger: Self.logger, migrate: false) { store async throws in
                #expect(try await store.pendingMigrations().isEmpty)
                #expect(try await store.appliedMigrations() == PostgresStore.migrationNames)
                #expect(try await store.migrate().isEmpty)
                try await store.ping()
            }
            let tables = try server.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", database: url.database)
            #expect(Int(tables.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 25)
        }
    }

    @Test func aFreshDatabaseReportsEveryMigrationPending() async throws {
        try await PostgresServer.with { server async throws in
            let url = try PostgresURL(try server.createDatabase())
            try await PostgresStore.withStore(url: url, logger: Self.logger, migrate: false) { store async throws in
                #expect(try await store.appliedMigrations().isEmpty)
                #expect(try await store.pendingMigrations() == PostgresStore.migrationNames)
            }
        }
    }

    /// Two processes' stores writing events at once: numbered 1…n with no gaps, in commit order, and every
    /// one reaches the other store's followers through LISTEN/NOTIFY.
    @Test func eventsFromEveryProcessReachEveryFollowerInCommitOrder() async throws {
        try await PostgresServer.with { server async throws in
            let url = try PostgresURL(try server.createDatabase())
            try await PostgresStore.withStore(url: url, logger: Self.logger) { writerA async throws in
                try await PostgresStore.withStore(url: url, logger: Self.logger, migrate: false) { writerB async throws in
                    try await PostgresStore.withStore(url: url, logger: Self.logger, migrate: false) { follower async throws in
                        let transactions = 40, perTransaction = 3
                        let total = Int64(transactions * 2 * perTransaction)
                        let reader = Task { try await Self.follow(follower, until: total) }
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for writer in [writerA, writerB] {
                                for t in 0..<transactions {
                                    group.addTask {
                                        try await writer.write { _, log in
                                            for e in 0..<perTransaction {
                                                log.append(.ticketUpdated, ticket: Int64(t), customer: nil, at: Date(), data: ["e": .number(Double(e))])
                                            }
                                        }
                                    }
                                }
                            }
                            try await group.waitForAll()
                        }
                        let seen = try await reader.value
                        #expect(seen == Array(1...total), "every event once, in order, with no gaps")
                        #expect(try await follower.latestEventSeq() == total)
                        let stored = try await follower.events(after: 0, limit: 1000)
                        #expect(stored.count == Int(total))
                        #expect(stored.first?.type == .ticketUpdated)
                        #expect(stored.first?.data["e"] != nil)
                    }
                }
            }
        }
    }

    /// Two processes handed messages from the same new people at once (and the same message twice, as a
    /// webhook retried against another process): one customer per person, one message per key.
    @Test func twoProcessesIngestingTheSamePeopleCreateEachCustomerOnce() async throws {
        let server = try await PostgresServer.shared()
        let url = try PostgresURL(try server.createDatabase())
        try await PostgresStore.withStore(url: url, logger: Self.logger) { a async throws in
            try await PostgresStore.withStore(url: url, logger: Self.logger, migrate: false) { b async throws in
                let channel = ChannelSettings(id: "sms", kind: .sms, threadWindow: 3600)
                let results = try await withThrowingTaskGroup(of: IngestResult.self) { group in
                    for person in 0..<10 {
                        for copy in 0..<4 {
                            let store = copy % 2 == 0 ? a : b
                            let message = InboundMessage(channel: "sms", channelKind: .sms, externalID: "SM-\(person)-\(copy / 2)",
                                                         sender: .init(address: "0912000\(String(format: "%04d", person))"), text: "hi \(copy)")
                            group.addTask { try await store.ingest(message, channel: channel, rules: .standard) }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results.filter(\.customerCreated).count == 10)
                #expect(Set(results.map(\.customerID)).count == 10)
                #expect(Set(results.map(\.messageID)).count == 20)
                #expect(results.filter(\.duplicate).count == 20)
                #expect(Set(results.map(\.ticketID)).count == 10, "each person's second message joins their SMS ticket")
                #expect(try await b.tickets(TicketQuery()).items.count == 10)
            }
        }
    }

    /// Three processes' schedulers all fire the same due breach at the same moment: recorded once, its
    /// actions applied once, one event.
    @Test func aBreachFiredByThreeProcessesAtOnceIsRecordedOnce() async throws {
        let server = try await PostgresServer.shared()
        let url = try PostgresURL(try server.createDatabase())
        let clock = TestClock()
        try await PostgresStore.withStore(url: url, logger: Self.logger, clock: clock.function) { a async throws in
            try await PostgresStore.withStore(url: url, logger: Self.logger, clock: clock.function, migrate: false) { b async throws in
                try await PostgresStore.withStore(url: url, logger: Self.logger, clock: clock.function, migrate: false) { c async throws in
                    #expect(try await a.seedSLAIfNew(SLAFixture.config))
                    try await b.prepare()
                    try await c.prepare()
                    var tickets: [Int64] = []
                    for i in 0..<20 {
                        tickets.append(try await a.ingest(Fixture.email("m\(i)", from: "c\(i)@example.com"), channel: Fixture.email, rules: Fixture.rules).ticketID)
                    }
                    let keys = tickets.map { SLATimerQueue.Key(ticketID: $0, metric: .firstResponse) }
                    func fireEverywhere() async throws -> [SLAAlert] {
                        try await withThrowingTaskGroup(of: [SLAAlert].self) { group in
                            for store in [a, b, c] { group.addTask { try await store.fireSLA(keys.shuffled()) } }
                            return try await group.reduce(into: []) { $0 += $1 }
                        }
                    }
                    clock.advance(3 * SLAFixture.hour)
                    let warnings = try await fireEverywhere()
                    #expect(warnings.count == 20 && warnings.allSatisfy { $0.kind == .warning })
                    clock.advance(2 * SLAFixture.hour)
                    let breaches = try await fireEverywhere()
                    #expect(breaches.count == 20 && breaches.allSatisfy { $0.kind == .breach }, "each ticket's breach once, whichever process recorded it")
                    #expect(Set(breaches.map(\.ticketID)) == Set(tickets))
                    #expect(try await c.slaBreaches(SLABreachQuery(limit: 100)).count == 20)
                    #expect(try await a.events(after: 0, limit: 1000).filter { $0.type == .slaBreached }.count == 20)
                    var all = TicketQuery()
                    all.limit = 100
                    #expect(try await b.tickets(all).items.map(\.priority) == Array(repeating: .high, count: 20), "raised once, not twice")
                }
            }
        }
    }

    /// Three processes draining one outbound queue at once: every reply claimed by exactly one of them.
    @Test func threeProcessesClaimingOutboundMailNeverShareAReply() async throws {
        let server = try await PostgresServer.shared()
        let url = try PostgresURL(try server.createDatabase())
        try await PostgresStore.withStore(url: url, logger: Self.logger) { a async throws in
            try await PostgresStore.withStore(url: url, logger: Self.logger, migrate: false) { b async throws in
                try await PostgresStore.withStore(url: url, logger: Self.logger, migrate: false) { c async throws in
                    let agent = try await a.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0
                    var replies: Set<Int64> = []
                    for i in 0..<30 {
                        let r = try await a.ingest(Fixture.email("m\(i)", from: "c\(i)@example.com"), channel: Fixture.email, rules: Fixture.rules)
                        for n in 0..<5 {
                            replies.insert(try await a.reply(ticketID: r.ticketID, ReplyInput(text: "reply \(n)"), actor: agent.id).id)
                        }
                    }
                    let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                        for store in [a, b, c] {
                            group.addTask {
                                var mine: [Int64] = []
                                while true {
                                    let jobs = try await store.claimOutboundEmail(domains: ["support-email": "bazaarche.example"], limit: 7, lease: 600)
                                    if jobs.isEmpty { return mine }
                                    for job in jobs { try await store.markOutboundSent(job) }
                                    mine += jobs.map(\.messageID)
                                }
                            }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                    let all = claimed.flatMap { $0 }
                    #expect(all.count == 150 && Set(all) == replies, "each reply claimed once")
                    #expect(claimed.filter { !$0.isEmpty }.count >= 2, "the work was shared")
                    #expect(try await c.channelState("support-email")?.sent == 150)
                }
            }
        }
    }

    /// The listener's connection is killed on the server; events committed meanwhile still reach followers.
    /// postgres-nio remembers a failed preparation for the life of the connection; intake's prepared
    /// statements must not stay broken on a pooled connection after one passing failure (here a lock
    /// timeout behind another session's lock, as behind another process's migration).
    @Test func aStatementWhosePreparationFailedIsPreparedAgainOnTheSameConnection() async throws {
        try await PostgresPair.with { a, b in
            try await b.client.withConnection { locker in
                _ = try await locker.query("BEGIN", logger: Self.logger)
                _ = try await locker.query("LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE", logger: Self.logger)
                try await a.client.withConnection { connection in
                    _ = try await connection.query("BEGIN", logger: Self.logger)
                    _ = try await connection.query("SET LOCAL lock_timeout = '200ms'", logger: Self.logger)
                    await #expect(throws: (any Error).self) {
                        try await connection.rows(PGIntakeSQL.LockTicket.self, [Int64(1)], logger: Self.logger)
                    }
                    _ = try await connection.query("ROLLBACK", logger: Self.logger)
                    _ = try await locker.query("ROLLBACK", logger: Self.logger)
                    let stored = try await b.ingest(Fixture.email("after-the-lock", text: "hello"), channel: Fixture.email, rules: Fixture.rules)
                    let rows = try await connection.rows(PGIntakeSQL.LockTicket.self, [stored.ticketID], logger: Self.logger)
                    #expect(try rows.first?["status"] as String? == "new")
                }
            }
        }
    }

    @Test func aListenerThatLosesItsConnectionCatchesUp() async throws {
        try await PostgresServer.with { server async throws in
            let url = try PostgresURL(try server.createDatabase())
            try await PostgresStore.withStore(url: url, logger: Self.logger) { writer async throws in
                try await PostgresStore.withStore(url: url, logger: Self.logger, migrate: false) { follower async throws in
                    let updates = follower.events.subscribe()
                    try await writer.write { _, log in log.append(.ticketCreated, ticket: 1, customer: 1, at: Date(), data: [:]) }
                    #expect(try await Self.next(updates, atLeast: 1))
                    // Kill every listening backend (the follower's and the writer's listeners), then write while
                    // they reconnect.
                    try server.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()", database: url.database)
                    try await writer.write { _, log in log.append(.ticketUpdated, ticket: 1, customer: 1, at: Date(), data: [:]) }
                    #expect(try await Self.next(updates, atLeast: 2), "the follower learned of seq 2 after reconnecting")
                    #expect(try await follower.events(after: 1, limit: 10).map(\.seq) == [2])
                }
            }
        }
    }

    /// Reads events the way the server's followers do: wake on the hub, read after the last seen.
    static func follow(_ store: PostgresStore, until last: Int64) async throws -> [Int64] {
        var seen: [Int64] = []
        var after: Int64 = 0
        let deadline = ContinuousClock.now + .seconds(30)
        for await _ in store.events.subscribe() {
            while true {
                let batch = try await store.events(after: after, limit: 100)
                guard !batch.isEmpty else { break }
                seen += batch.map(\.seq)
                after = batch.last!.seq
            }
            if after >= last || ContinuousClock.now > deadline { break }
        }
        return seen
    }

    static func next(_ updates: AsyncStream<Int64>, atLeast seq: Int64) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await value in updates where value >= seq { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(for: .seconds(15))
                return false
            }
            let result = try await group.next() ?? false
            group.cancelAll()
            return result
        }
    }
}
