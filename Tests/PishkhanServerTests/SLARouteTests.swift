import Foundation
import Hummingbird
import HummingbirdTesting
import PishkhanChannels
import PishkhanCore
import PishkhanServer
import PishkhanStore
import Testing

/// `/api/v1/sla`: who may read and change what, and what a supervisor sees.
@Suite struct SLARouteTests {
    static let shipped = Repository.root.appendingPathComponent("SLA/sla.yaml")

    @Test func theShippedSLAFileIsValidAndCoversEveryTicket() throws {
        let config = try SLAFile.load(from: Self.shipped)
        #expect(config.calendars.map(\.id) == ["tehran", "berlin", "24x7"])
        #expect(config.policies.last?.match == SLAPolicy.Match(), "the last policy catches every ticket")
        #expect(throws: SLAFileError.self) { try SLAFile.parse("policies:\n  - id: x\n    calendar: none\n    targets: {firstResponse: 1h}\n", file: "sla.yaml") }
        do {
            _ = try SLAFile.parse("policies:\n  - id: x\n    calendar: none\n    targets: {firstResponse: soon}\n", file: "sla.yaml")
            Issue.record("a malformed duration was accepted")
        } catch let error as SLAFileError {
            #expect(error.field == "policies[0].targets.firstResponse")
        }
    }

    @Test func agentsReadPoliciesAndOnlyAdminsChangeThem() async throws {
        let app = try await TestApp.make()
        _ = try await app.store.seedSLAIfNew(try SLAFile.load(from: Self.shipped))
        try await app.run { c in
            let read = try await c.call(.get, "/api/v1/sla/policies", as: .agent)
            #expect(read.status == .ok)
            let policies = try #require(read["policies"] as? [[String: Any]])
            #expect(policies.map { $0["id"] as? String } == ["urgent", "vip", "high", "standard"])
            #expect(try await c.call(.get, "/api/v1/sla/calendars", as: .agent).status == .ok)
            try await c.call(.get, "/api/v1/sla/policies", as: .integration).expectProblem(.forbidden)
            try await c.call(.get, "/api/v1/sla/policies", as: nil).expectProblem(.unauthorized)

            let body = """
                {"policies":[{"id":"all","calendar":"24x7","targets":{"firstResponse":"2h","resolution":86400},
                 "breachActions":[{"action":"notify-supervisors"}]}]}
                """
            try await c.call(.put, "/api/v1/sla/policies", as: .agent, body: body).expectProblem(.forbidden)
            try await c.call(.put, "/api/v1/sla/policies", as: .supervisor, body: body).expectProblem(.forbidden)
            let put = try await c.call(.put, "/api/v1/sla/policies", as: .admin, body: body)
            #expect(put.status == .ok, "\(put.text)")
            #expect(put.int("recalculatedTickets") == 0)
            let stored = try #require((try await c.call(.get, "/api/v1/sla/policies", as: .agent))["policies"] as? [[String: Any]])
            #expect(stored.count == 1)
            #expect((stored[0]["targets"] as? [String: Any])?["resolution"] as? String == "24h")

            try await c.call(.put, "/api/v1/sla/policies", as: .admin, body: """
                {"policies":[{"id":"all","calendar":"mars","targets":{"firstResponse":"2h"}}]}
                """).expectProblem(.unprocessableContent, field: "policies[0].calendar")
            try await c.call(.put, "/api/v1/sla/policies", as: .admin, body: """
                {"policies":[{"id":"all","calendar":"24x7","targets":{"firstResponse":"2h"},"breachActions":[{"action":"page-the-ceo"}]}]}
                """).expectProblem(.unprocessableContent)
            // Removing the calendar a policy uses is refused.
            try await c.call(.put, "/api/v1/sla/calendars", as: .admin, body: """
                {"calendars":[{"id":"tehran","timeZone":"Asia/Tehran","week":{"saturday":[{"start":"08:00","end":"16:00"}]}}]}
                """).expectProblem(.unprocessableContent, field: "policies[0].calendar")
            try await c.call(.put, "/api/v1/sla/calendars", as: .supervisor, body: "{\"calendars\":[]}").expectProblem(.forbidden)
            try await c.call(.put, "/api/v1/sla/calendars", as: .admin, body: """
                {"calendars":[{"id":"24x7","timeZone":"UTC"},{"id":"x","timeZone":"Mars/Olympus"}]}
                """).expectProblem(.unprocessableContent, field: "calendars[1].timeZone")
        }
    }

    @Test func supervisorsSeeAtRiskTicketsBreachesAndASummary() async throws {
        let clock = ManualWallClock(Date(timeIntervalSince1970: 1_790_000_000))
        let app = try await TestApp.make(clock: clock)
        _ = try await app.store.seedSLAIfNew(try SLAFile.load(from: Self.shipped))
        try await app.run { c in
            let created = try await c.inbound("e1", subject: "URGENT: charged twice")
            let id = try #require(created.int("ticketID"))

            let risk = try await c.call(.get, "/api/v1/sla/at-risk?within=2h", as: .agent)
            let tickets = try #require(risk["tickets"] as? [[String: Any]])
            #expect(tickets.count == 1)
            #expect((tickets.first?["clocks"] as? [[String: Any]])?.compactMap { $0["metric"] as? String } == ["first-response", "resolution"])
            try await c.call(.get, "/api/v1/sla/at-risk?within=soon", as: .agent).expectProblem(.unprocessableContent, field: "within")

            let detail = try await c.call(.get, "/api/v1/tickets/\(id)", as: .agent)
            let sla = try #require(detail["sla"] as? [String: Any])
            #expect(sla["policy"] as? String == "urgent")
            #expect((sla["clocks"] as? [[String: Any]])?.first?["remaining"] as? Double == 3600)

            // Ninety minutes later, with the scheduler run by hand: one warning, one breach.
            clock.advance(by: 5400)
            let scheduler = SLAScheduler(store: app.store, clock: clock, logger: .init(label: "test"))
            try await scheduler.rebuild()
            let fired = try await scheduler.fireDue()
            #expect(fired.map(\.kind) == [.warning, .breach])

            let breaches = try #require((try await c.call(.get, "/api/v1/sla/breaches?policy=urgent", as: .agent))["breaches"] as? [[String: Any]])
            #expect(breaches.count == 1)
            #expect(breaches.first?["metric"] as? String == "first-response")
            #expect(breaches.first?["actions"] as? [String] == ["notify-supervisors"])
            let none = try #require((try await c.call(.get, "/api/v1/sla/breaches?channel=sms", as: .agent))["breaches"] as? [[String: Any]])
            #expect(none.isEmpty)

            let explained = try await c.call(.get, "/api/v1/tickets/\(id)/sla", as: .agent)
            let history = try #require(explained["history"] as? [[String: Any]])
            #expect(history.compactMap { $0["kind"] as? String } == ["activated", "activated", "warned", "breached"])

            let summary = try await c.call(.get, "/api/v1/sla/summary?from=2026-09-01T00:00:00Z&to=2026-10-01T00:00:00Z", as: .agent)
            #expect(summary.status == .ok, "\(summary.text)")
            let overall = try #require(summary["overall"] as? [String: Any])
            #expect(overall["tickets"] as? Int == 1)
            #expect(overall["openBreaches"] as? Int == 1)
            try await c.call(.get, "/api/v1/sla/summary?from=2026-10-01T00:00:00Z&to=2026-09-01T00:00:00Z", as: .agent)
                .expectProblem(.unprocessableContent, field: "from")
            try await c.call(.get, "/api/v1/sla/summary?from=yesterday", as: .agent).expectProblem(.unprocessableContent, field: "from")
        }
    }
}

/// The scheduler across restarts and over a simulated month, with time injected.
@Suite struct SLASchedulerTests {
    static let hour: TimeInterval = 3600
    static let config = try! SLAConfiguration(calendars: [.twentyFourSeven], policies: [
        SLAPolicy(id: "standard", calendar: "24x7",
                  targets: .init(firstResponse: .init(seconds: 4 * hour), resolution: .init(seconds: 24 * hour)), warnAt: 0.75),
    ])
    static let email = ChannelSettings(id: "support-email", kind: .email)

    static func message(_ i: Int) -> InboundMessage {
        InboundMessage(channel: "support-email", channelKind: .email, externalID: "m\(i)", sender: .init(address: "c\(i)@example.com"),
                       subject: "Question \(i)", text: "Hello")
    }

    @Test func aBreachThatFellDueWhileTheServerWasDownIsRecordedOnceAfterRestart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-sla-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("p.sqlite").path
        let clock = ManualWallClock(Date(timeIntervalSince1970: 1_790_000_000))
        func start() async throws -> (SQLiteStore, SLAScheduler) {
            let store = try SQLiteStore(path: path, attachmentsDirectory: nil, clock: { clock.now() })
            let scheduler = SLAScheduler(store: store, clock: clock, logger: .init(label: "test"))
            try await scheduler.rebuild()
            return (store, scheduler)
        }
        do {
            let (store, scheduler) = try await start()
            _ = try await store.seedSLAIfNew(Self.config)
            let r = try await store.ingest(Self.message(1), channel: Self.email, rules: .standard)
            #expect(scheduler.pending == 2)
            clock.advance(by: Self.hour)
            #expect(try await scheduler.fireDue().isEmpty)
            _ = r
        }
        // Down for ten hours: the warning (3 h) and the breach (4 h) of first response fell due meanwhile.
        clock.advance(by: 10 * Self.hour)
        do {
            let (_, scheduler) = try await start()
            #expect(try await scheduler.fireDue().map(\.kind) == [.warning, .breach])
        }
        // Restarted again at once: nothing fires twice.
        let (store, scheduler) = try await start()
        #expect(try await scheduler.fireDue().isEmpty)
        #expect(scheduler.pending == 1, "only resolution's warning is still ahead")
        #expect(try await store.slaBreaches(SLABreachQuery()).count == 1)
    }

    @Test func aMonthOfTicketsWarnsAndBreachesExactlyWhenAndAsOftenAsItShould() async throws {
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let clock = ManualWallClock(start)
        let store = try SQLiteStore.inMemory(clock: { clock.now() })
        _ = try await store.seedSLAIfNew(Self.config)
        let agent = try await store.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0
        let scheduler = SLAScheduler(store: store, clock: clock, logger: .init(label: "test"))
        try await scheduler.rebuild()

        // A ticket every 6 hours for 30 days, each answered after (i * 7 % 40) ten-minute ticks.
        let tick: TimeInterval = 600, ticks = 30 * 24 * 6
        var tickets: [Int: Int64] = [:]
        func delay(_ i: Int) -> Int { i * 7 % 40 }
        for t in 0...ticks {
            clock.set(start + Double(t) * tick)
            if t % 36 == 0 {
                let i = t / 36
                tickets[i] = try await store.ingest(Self.message(i), channel: Self.email, rules: .standard).ticketID
            }
            for (i, id) in tickets where i * 36 + delay(i) == t {
                _ = try await store.reply(ticketID: id, ReplyInput(text: "Answer"), actor: agent.id)
            }
            _ = try await scheduler.fireDue()
        }
        let alerts = try await store.slaBreaches(SLABreachQuery(limit: 1000))
        var expectedFirstResponse = Set<Int64>()
        var expectedResolution = Set<Int64>()
        for (i, id) in tickets {
            if delay(i) > 24 { expectedFirstResponse.insert(id) }
            if Double(i * 36) * tick + 24 * Self.hour <= Double(ticks) * tick { expectedResolution.insert(id) }
        }
        let firstResponse = alerts.filter { $0.metric == .firstResponse }.map(\.ticketID)
        let resolution = alerts.filter { $0.metric == .resolution }.map(\.ticketID)
        #expect(firstResponse.count == Set(firstResponse).count && Set(firstResponse) == expectedFirstResponse)
        #expect(resolution.count == Set(resolution).count && Set(resolution) == expectedResolution)
        // Every breach is recorded exactly at its due instant: the simulated scheduler had no lag.
        #expect(alerts.allSatisfy { $0.recordedAt.timeIntervalSince($0.dueAt) < tick })
        let warnings = try await store.events(after: 0, limit: 10_000).filter { $0.type == .slaWarning }
        let expectedWarnings = tickets.keys.filter { delay($0) > 18 }.count
            + tickets.keys.filter { Double($0 * 36) * tick + 18 * Self.hour <= Double(ticks) * tick }.count
        #expect(warnings.count == expectedWarnings)
    }
}
