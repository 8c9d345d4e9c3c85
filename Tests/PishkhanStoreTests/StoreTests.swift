import Foundation
import PishkhanCore
import PishkhanStore
import Testing

@Suite struct MigrationTests {
    @Test func anEmptyDatabaseFileIsMigratedAndReopenedWithoutChange() throws {
        let dir = Fixture.tempDirectory()
        let path = dir.appendingPathComponent("p.sqlite").path
        let first = try SQLiteStore(path: path, attachmentsDirectory: nil)
        #expect(try first.appliedMigrations() == ["2026-11-23-core", "2026-11-24-sla", "2026-11-24-mailbox", "2026-11-25-automated-messages", "2026-11-25-knowledge", "2026-11-26-answer-bot", "2026-11-26-sms", "2026-11-27-chat-webhooks", "2026-11-28-leases"])
        let second = try SQLiteStore(path: path, attachmentsDirectory: nil)
        #expect(try second.appliedMigrations() == ["2026-11-23-core", "2026-11-24-sla", "2026-11-24-mailbox", "2026-11-25-automated-messages", "2026-11-25-knowledge", "2026-11-26-answer-bot", "2026-11-26-sms", "2026-11-27-chat-webhooks", "2026-11-28-leases"])
    }
}

@Suite struct AgentTokenTests {
    @Test func tokensAreStoredOnlyAsHashes() async throws {
        let dir = Fixture.tempDirectory()
        let path = dir.appendingPathComponent("p.sqlite").path
        let store = try SQLiteStore(path: path, attachmentsDirectory: nil)
        let (agent, token) = try await store.createAgent(name: "Sara", role: .supervisor, email: nil, groups: [], capacity: nil)
        #expect(try await store.agent(bearerToken: token)?.id == agent.id)
        #expect(try await store.agent(bearerToken: token + "x") == nil)
        #expect(try await store.agent(bearerToken: "pk_" + String(repeating: "A", count: 43)) == nil)
        // The token's text appears nowhere in the database file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path)) + ((try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data())
        #expect(bytes.range(of: Data(token.utf8)) == nil)
    }
}

@Suite(.timeLimit(.minutes(2))) struct TicketStoreTests {
    let clock = TestClock()

    @Test(arguments: Backend.allCases) func listFiltersAndPagesWithoutGapsOrRepeats(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let me = try await store.createAgent(name: "Agent", role: .agent, email: nil, groups: [], capacity: nil).0
            var ids: [Int64] = []
            for i in 0..<25 {
                clock.advance(1)
                let r = try await store.ingest(Fixture.email("m\(i)", from: "c\(i)@example.com", subject: i % 5 == 0 ? "Refund فوری" : "Hello \(i)"), channel: Fixture.email, rules: Fixture.rules)
                ids.append(r.ticketID)
            }
            clock.advance(1)
            _ = try await store.updateTicket(id: ids[3], TicketPatch(status: .open, assigneeID: .some(me.id), tags: ["VIP", "vip", " billing "]), actor: me.id)
            var seen: [Int64] = []
            var query = TicketQuery()
            query.limit = 7
            query.sort = .updated
            repeat {
                let page = try await store.tickets(query)
                seen += page.items.map(\.id)
                query.cursor = page.nextCursor
            } while query.cursor != nil
            #expect(seen.count == 25 && Set(seen).count == 25)
            #expect(seen.first == ids[3])

            var byStatus = TicketQuery()
            byStatus.statuses = [.open]
            #expect(try await store.tickets(byStatus).items.map(\.id) == [ids[3]])
            var byTag = TicketQuery()
            byTag.tag = "billing"
            #expect(try await store.tickets(byTag).items.map(\.id) == [ids[3]])
            #expect(try await store.ticket(id: ids[3]).tags == ["vip", "billing"])
            var mine = TicketQuery()
            mine.assignee = .agent(me.id)
            #expect(try await store.tickets(mine).items.count == 1)
            var urgent = TicketQuery()
            urgent.priorities = [.urgent]
            #expect(try await store.tickets(urgent).items.count == 5)
            var text = TicketQuery()
            text.text = "فوري"  // Arabic yeh finds Persian yeh
            #expect(try await store.tickets(text).items.count == 5)
            text.text = "#\(ids[9])"
            #expect(try await store.tickets(text).items.map(\.id) == [ids[9]])
        }
    }

    @Test(arguments: Backend.allCases) func replyIsStoredWithItsOutboxRowAndStartsQueued(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let me = try await store.createAgent(name: "Agent", role: .agent, email: nil, groups: [], capacity: nil).0
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let reply = try await store.reply(ticketID: r.ticketID, ReplyInput(text: "On its way", status: .pending), actor: me.id)
            #expect(reply.kind == .outbound && reply.deliveryStatus == .queued)
            let outbox = try await store.outbox(status: .queued, limit: 10)
            #expect(outbox.map(\.messageID) == [reply.id])
            #expect(outbox.first?.recipient == "ali@example.com")
            let ticket = try await store.ticket(id: r.ticketID)
            #expect(ticket.status == .pending && ticket.firstRespondedAt != nil)
            // A customer answer puts it back to open.
            _ = try await store.ingest(Fixture.email("m2", subject: "Re: [#\(r.ticketID)]"), channel: Fixture.email, rules: Fixture.rules)
            #expect(try await store.ticket(id: r.ticketID).status == .open)
        }
    }

    @Test(arguments: Backend.allCases) func notesNeverReachTheOutbox(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let me = try await store.createAgent(name: "Agent", role: .agent, email: nil, groups: [], capacity: nil).0
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let note = try await store.addNote(ticketID: r.ticketID, text: "customer sounds upset", actor: me.id)
            #expect(note.kind == .note && note.deliveryStatus == nil)
            #expect(try await store.outbox(status: nil, limit: 10).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases) func impossibleTransitionsAndClosedRepliesConflict(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let me = try await store.createAgent(name: "Agent", role: .agent, email: nil, groups: [], capacity: nil).0
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            _ = try await store.updateTicket(id: r.ticketID, TicketPatch(status: .closed), actor: me.id)
            await #expect(throws: StoreError.self) { try await store.updateTicket(id: r.ticketID, TicketPatch(status: .open), actor: me.id) }
            await #expect(throws: StoreError.self) { try await store.reply(ticketID: r.ticketID, ReplyInput(text: "hi"), actor: me.id) }
            await #expect(throws: StoreError.notFound("ticket 999 does not exist")) { try await store.ticket(id: 999) }
        }
    }

    @Test(arguments: Backend.allCases) func ticketsOfDifferentCustomersCannotBeMerged(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let me = try await store.createAgent(name: "Agent", role: .agent, email: nil, groups: [], capacity: nil).0
            let a = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let b = try await store.ingest(Fixture.email("m2", from: "eve@example.com"), channel: Fixture.email, rules: Fixture.rules)
            await #expect(throws: StoreError.self) { try await store.mergeTicket(id: a.ticketID, into: b.ticketID, actor: me.id) }
        }
    }
}
