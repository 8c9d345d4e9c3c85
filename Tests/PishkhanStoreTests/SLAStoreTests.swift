import Foundation
import PishkhanCore
import PishkhanStore
import Testing

enum SLAFixture {
    static let hour: TimeInterval = 3600
    static let config = try! SLAConfiguration(calendars: [.twentyFourSeven, .tehran], policies: [
        SLAPolicy(id: "urgent", match: .init(priorities: [.urgent]), calendar: "24x7",
                  targets: .init(firstResponse: .init(seconds: hour), nextResponse: .init(seconds: hour), resolution: .init(seconds: 8 * hour)),
                  warnAt: 0.5, breachActions: [.notifySupervisors]),
        SLAPolicy(id: "standard", calendar: "24x7",
                  targets: .init(firstResponse: .init(seconds: 4 * hour), nextResponse: .init(seconds: 2 * hour), resolution: .init(seconds: 24 * hour)),
                  warnAt: 0.75, breachActions: [.raisePriority, .assignGroup("support"), .notifySupervisors]),
    ])
}

/// Clocks kept by the store through a ticket's life, with an injected clock.
@Suite(.timeLimit(.minutes(2))) struct SLAStoreTests {
    let clock = TestClock()
    let hour = SLAFixture.hour

    static func clocks(_ store: any Backend.Conforming, _ ticket: Int64) async throws -> [SLAMetric: SLAClockView] {
        Dictionary(uniqueKeysWithValues: try await store.slaClocks(ticketID: ticket).map { ($0.metric, $0) })
    }

    @Test(arguments: Backend.allCases) func clocksFollowATicketsWholeLife(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            #expect(try await store.seedSLAIfNew(SLAFixture.config))
            let agent = try await store.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0
            let start = clock.date
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            var c = try await Self.clocks(store, r.ticketID)
            #expect(c[.firstResponse]?.dueAt == start + 4 * hour)
            #expect(c[.resolution]?.dueAt == start + 24 * hour)
            #expect(try await store.ticket(id: r.ticketID).dueAt == start + 4 * hour)

            // A note is not a response.
            clock.advance(hour)
            _ = try await store.addNote(ticketID: r.ticketID, text: "checking the courier", actor: agent.id)
            #expect(try await Self.clocks(store, r.ticketID)[.firstResponse]?.status == .running)

            // The first public reply fulfils first response after 2 hours.
            clock.advance(hour)
            _ = try await store.reply(ticketID: r.ticketID, ReplyInput(text: "It ships today"), actor: agent.id)
            c = try await Self.clocks(store, r.ticketID)
            #expect(c[.firstResponse]?.status == .fulfilled)
            #expect(c[.firstResponse]?.elapsed == 2 * hour)
            #expect(c[.firstResponse]?.met == true)

            // The customer writes back: next response owes an answer within 2 hours.
            clock.advance(hour)
            _ = try await store.ingest(Fixture.email("m2", subject: "Re: Order late [#\(r.ticketID)]"), channel: Fixture.email, rules: Fixture.rules)
            c = try await Self.clocks(store, r.ticketID)
            #expect(c[.nextResponse]?.status == .running)
            #expect(c[.nextResponse]?.dueAt == clock.date + 2 * hour)

            // Reply and leave it pending on the customer: resolution pauses at 4 hours elapsed.
            clock.advance(hour)
            _ = try await store.reply(ticketID: r.ticketID, ReplyInput(text: "Tracking number attached", status: .pending), actor: agent.id)
            c = try await Self.clocks(store, r.ticketID)
            #expect(c[.nextResponse]?.status == .fulfilled)
            #expect(c[.resolution]?.status == .paused)
            #expect(c[.resolution]?.elapsed == 4 * hour)
            #expect(try await store.ticket(id: r.ticketID).resolutionDueAt == nil)

            // Two days later the customer answers: the ticket reopens and resolution resumes with 20 hours left.
            clock.advance(48 * hour)
            _ = try await store.ingest(Fixture.email("m3", subject: "Re: Order late [#\(r.ticketID)]"), channel: Fixture.email, rules: Fixture.rules)
            c = try await Self.clocks(store, r.ticketID)
            #expect(c[.resolution]?.status == .running)
            #expect(c[.resolution]?.dueAt == clock.date + 20 * hour)
            #expect(c[.nextResponse]?.cycle == 2)

            clock.advance(hour)
            _ = try await store.updateTicket(id: r.ticketID, TicketPatch(status: .resolved), actor: agent.id)
            c = try await Self.clocks(store, r.ticketID)
            #expect(c[.resolution]?.status == .fulfilled)
            #expect(c[.resolution]?.elapsed == 5 * hour)
            #expect(c[.nextResponse]?.status == .stopped)
            #expect(try await store.ticket(id: r.ticketID).dueAt == nil)

            let history = try await store.slaHistory(ticketID: r.ticketID)
            #expect(history.map { "\($0.metric.rawValue) \($0.kind.rawValue) \($0.cause)" } == [
                "first-response activated ticket-created",
                "resolution activated ticket-created",
                "first-response fulfilled agent-reply",
                "next-response activated customer-message",
                "next-response fulfilled agent-reply",
                "resolution paused status:pending",
                "resolution resumed status:open",
                "next-response activated customer-message",
                "resolution fulfilled status:resolved",
                "next-response stopped status:resolved",
            ])
        }
    }

    @Test(arguments: Backend.allCases) func raisingPriorityMovesTheTicketUnderTheUrgentPolicyAndExplainsWhy(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            #expect(try await store.seedSLAIfNew(SLAFixture.config))
            let start = clock.date
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            clock.advance(0.5 * hour)
            _ = try await store.updateTicket(id: r.ticketID, TicketPatch(priority: .urgent), actor: nil)
            let c = try await Self.clocks(store, r.ticketID)
            #expect(c[.firstResponse]?.policy == "urgent")
            #expect(c[.firstResponse]?.dueAt == start + hour)
            #expect(try await store.ticket(id: r.ticketID).slaPolicy == "urgent")
            let last = try await store.slaHistory(ticketID: r.ticketID).last
            #expect(last?.kind == .recalculated)
            #expect(last?.cause == "priority-changed")
        }
    }

    @Test(arguments: Backend.allCases) func aBreachIsRecordedOnceWithItsActionsInTheSameTransaction(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            #expect(try await store.seedSLAIfNew(SLAFixture.config))
            let supervisor = try await store.createAgent(name: "Nasrin", role: .supervisor, email: nil, groups: ["support"], capacity: nil).0
            let start = clock.date
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let key = SLATimerQueue.Key(ticketID: r.ticketID, metric: .firstResponse)

            clock.advance(3 * hour)
            let warning = try await store.fireSLA([key])
            #expect(warning.map(\.kind) == [.warning])
            #expect(warning.first?.dueAt == start + 3 * hour)

            clock.advance(1.5 * hour)
            let breach = try await store.fireSLA([key])
            #expect(breach.map(\.kind) == [.breach])
            #expect(breach.first?.actions == ["raise-priority:high", "assign-group:support:\(supervisor.id)", "notify-supervisors"])
            let ticket = try await store.ticket(id: r.ticketID)
            #expect(ticket.priority == .high)
            #expect(ticket.assigneeID == supervisor.id)

            // Firing again, or concurrently, records nothing more.
            async let a = store.fireSLA([key])
            async let b = store.fireSLA([key, key])
            let (again, twice) = try await (a, b)
            #expect(again.isEmpty && twice.isEmpty)
            let breaches = try await store.slaBreaches(SLABreachQuery())
            #expect(breaches.count == 1)
            #expect(breaches.first?.assigneeID == nil, "the assignee when it fired, before the action")
            let events = try await store.events(after: 0, limit: 100).filter { $0.type == .slaBreached }
            #expect(events.count == 1)
            #expect(events.first?.data["notify"] == .array([.int(supervisor.id)]))
        }
    }

    @Test(arguments: Backend.allCases) func atRiskListsEveryRunningClockMostUrgentFirst(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            #expect(try await store.seedSLAIfNew(SLAFixture.config))
            let calm = try await store.ingest(Fixture.email("m1", from: "a@example.com"), channel: Fixture.email, rules: Fixture.rules)
            clock.advance(60)
            let hurry = try await store.ingest(Fixture.email("m2", from: "b@example.com", subject: "URGENT: charged twice"), channel: Fixture.email, rules: Fixture.rules)
            #expect(try await store.ticket(id: hurry.ticketID).priority == .urgent)
            let within1h = try await store.slaAtRisk(within: hour, limit: 10)
            #expect(within1h.map(\.ticket.id) == [hurry.ticketID])
            #expect(within1h.first?.clocks.map(\.metric) == [.firstResponse, .resolution])
            let within5h = try await store.slaAtRisk(within: 5 * hour, limit: 10)
            #expect(within5h.map(\.ticket.id) == [hurry.ticketID, calm.ticketID])
        }
    }

    @Test(arguments: Backend.allCases) func theSummaryReportsComplianceAndBusinessTimes(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            #expect(try await store.seedSLAIfNew(SLAFixture.config))
            let agent = try await store.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0
            let from = clock.date
            var ids: [Int64] = []
            for i in 0..<4 {
                ids.append(try await store.ingest(Fixture.email("m\(i)", from: "c\(i)@example.com"), channel: Fixture.email, rules: Fixture.rules).ticketID)
            }
            // Answered after 1, 2 and 3 hours; the fourth breaches at 4 hours and is answered at 6.
            for (i, id) in ids.prefix(3).enumerated() {
                clock.set(from + Double(i + 1) * hour)
                _ = try await store.reply(ticketID: id, ReplyInput(text: "hi"), actor: agent.id)
            }
            clock.set(from + 5 * hour)
            _ = try await store.fireSLA(ids.map { SLATimerQueue.Key(ticketID: $0, metric: .firstResponse) })
            _ = try await store.fireSLA(ids.map { SLATimerQueue.Key(ticketID: $0, metric: .firstResponse) })
            clock.set(from + 6 * hour)
            _ = try await store.reply(ticketID: ids[3], ReplyInput(text: "sorry"), actor: agent.id)
            let summary = try await store.slaSummary(from: from, to: from + 24 * hour)
            let fr = try #require(summary.overall.metrics[.firstResponse])
            #expect(summary.overall.tickets == 4)
            #expect(fr.decided == 4)
            #expect(fr.met == 3)
            #expect(fr.metPercent == 75)
            #expect(fr.median == 2 * hour)
            #expect(fr.p90 == 6 * hour)
            // The breach raised priority to high; there is no high policy, so the ticket stays on standard.
            #expect(summary.byPolicy.map(\.key) == ["standard"])
            // Nobody is in the support group, so the breach's assign-group action found no one.
            #expect(summary.byAgent.map(\.key) == ["unassigned"])
            #expect(summary.byChannel.first?.metrics[.firstResponse]?.breached == 1)
            #expect(summary.overall.metrics[.resolution]?.decided == 0)
        }
    }

    @Test(arguments: Backend.allCases) func replacingPoliciesRecalculatesOpenTicketsAndIsAudited(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            #expect(try await store.seedSLAIfNew(SLAFixture.config))
            let start = clock.date
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            var policies = SLAFixture.config.policies
            policies[1].targets.firstResponse = .init(seconds: 2 * hour)
            clock.advance(60)
            let (config, recalculated) = try await store.replaceSLA(calendars: nil, policies: policies, actor: nil)
            #expect(config.policies[1].targets.firstResponse?.seconds == 2 * hour)
            #expect(recalculated == 1)
            #expect(try await Self.clocks(store, r.ticketID)[.firstResponse]?.dueAt == start + 2 * hour)
            #expect(try await store.auditLog(limit: 5).first?.action == "sla.policies.replace")
            // A policy on a calendar that does not exist is refused, naming the field.
            policies[0].calendar = "mars"
            await #expect(throws: StoreError.invalid(ValidationError(field: "policies[0].calendar", reason: "\"mars\" is not a defined calendar"))) {
                try await store.replaceSLA(calendars: nil, policies: policies, actor: nil)
            }
            // The shipped file is not applied over an admin's choice.
            #expect(try await store.seedSLAIfNew(SLAFixture.config) == false)
            #expect(store.slaConfiguration().policies[1].targets.firstResponse?.seconds == 2 * hour)
        }
    }

    @Test(arguments: Backend.allCases) func aTehranTicketIsDueInTehranBusinessTime(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            #expect(try await store.seedSLAIfNew(SLAFixture.config))
            let config = try SLAConfiguration(calendars: [.tehran], policies: [
                SLAPolicy(id: "office", calendar: "tehran", targets: .init(firstResponse: .init(seconds: 8 * hour))),
            ])
            _ = try await store.replaceSLA(calendars: config.calendars, policies: config.policies, actor: nil)
            // Wednesday 1404-12-27 (2026-03-18) 15:00 Tehran: one hour left, Thursday 08:00–12:00, Friday
            // off, then Nowruz 1405-01-01..04 (21–24 March) closes Saturday to Tuesday; the rest is due
            // Wednesday 1405-01-05 at 11:00 Tehran (07:30 UTC).
            clock.set(Date(timeIntervalSince1970: 1_773_833_400))
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            #expect(try await Self.clocks(store, r.ticketID)[.firstResponse]?.dueAt == Date(timeIntervalSince1970: 1_774_423_800))
        }
    }
}
