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

@Suite struct CustomerStoreTests {
    let clock = TestClock()
    let dir = Fixture.tempDirectory()
    let store: SQLiteStore
    init() throws { store = try SQLiteStore.inMemory(attachmentsDirectory: dir, clock: clock.function) }

    @Test func searchFindsByNameEmailAndPhoneInAnyScript() async throws {
        let e = try await store.ingest(Fixture.email("m1", from: "ali@example.com", name: "علي رضايي"), channel: Fixture.email, rules: Fixture.rules)
        let s = try await store.ingest(Fixture.sms("s1", from: "09121112233"), channel: Fixture.sms, rules: Fixture.rules)
        #expect(try await store.customers(search: "علی", limit: 10, cursor: nil).items.map(\.id) == [e.customerID])
        #expect(try await store.customers(search: "ALI@example", limit: 10, cursor: nil).items.map(\.id) == [e.customerID])
        #expect(try await store.customers(search: "۰۹۱۲۱۱۱۲۲۳۳", limit: 10, cursor: nil).items.map(\.id) == [s.customerID])
        #expect(try await store.customers(search: nil, limit: 10, cursor: nil).items.count == 2)
    }

    @Test func mergeMovesEverythingAndUndoPutsItBack() async throws {
        let e = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
        let s = try await store.ingest(Fixture.sms("s1"), channel: Fixture.sms, rules: Fixture.rules)
        _ = try await store.updateCustomer(id: s.customerID, CustomerPatch(tier: .vip, tags: ["wholesale"]), actor: nil)
        _ = try await store.addCustomerEvent(customerID: s.customerID, CustomerEventInput(type: "order.placed", title: "Order 1001", data: nil, occurredAt: nil, externalID: "1001"), actor: nil)
        let merge = try await store.mergeCustomer(id: s.customerID, into: e.customerID, actor: nil)
        let merged = try await store.customerProfile(id: e.customerID, timelineLimit: 50, timelineCursor: nil)
        #expect(Set(merged.identities.map(\.kind)) == [.email, .phone])
        #expect(merged.tickets.count == 2 && merged.channelsUsed == ["sms", "support-email"])
        #expect(merged.customer.tier == .vip && merged.customer.tags == ["wholesale"])
        #expect(merged.timeline.items.contains { $0.kind == .event && $0.title == "Order 1001" })
        #expect(merged.timeline.items.first?.eventType == "customer.merged")
        let summary = try await store.customerSummary(id: e.customerID)
        #expect(summary.openTickets == 2 && summary.identities.count == 2 && summary.tier == .vip)
        // A new SMS from the merged phone lands on the surviving customer.
        let later = try await store.ingest(Fixture.sms("s2"), channel: Fixture.sms, rules: Fixture.rules)
        #expect(later.customerID == e.customerID)

        _ = try await store.undoCustomerMerge(customerID: e.customerID, mergeID: merge.id, actor: nil)
        let back = try await store.customerProfile(id: s.customerID, timelineLimit: 50, timelineCursor: nil)
        #expect(back.customer.mergedInto == nil && back.identities.map(\.kind) == [.phone] && back.tickets.count == 1)
        let original = try await store.customerProfile(id: e.customerID, timelineLimit: 50, timelineCursor: nil)
        #expect(original.customer.tier == .standard && original.identities.map(\.kind) == [.email])
        await #expect(throws: StoreError.self) { try await store.undoCustomerMerge(customerID: e.customerID, mergeID: merge.id, actor: nil) }
    }

    @Test func timelinePagesNewestFirstAcrossChannels() async throws {
        let e = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
        for i in 0..<9 {
            clock.advance(60)
            _ = try await store.ingest(Fixture.email("m\(i + 2)", subject: "Re: [#\(e.ticketID)]", text: "message \(i)"), channel: Fixture.email, rules: Fixture.rules)
        }
        var cursor: String?
        var all: [TimelineEntry] = []
        repeat {
            let p = try await store.customerProfile(id: e.customerID, timelineLimit: 4, timelineCursor: cursor)
            all += p.timeline.items
            cursor = p.timeline.nextCursor
        } while cursor != nil
        let messages = all.filter { $0.kind == .message }
        #expect(messages.count == 10)
        #expect(messages.first?.text == "message 8")
        #expect(all.map(\.at) == all.map(\.at).sorted(by: >))
    }

    @Test func erasureRemovesPersonalDataAndKeepsStatistics() async throws {
        var m = Fixture.email("m1", messageID: "<e@mail>")
        m.attachments = [.init(name: "id-card.jpg", contentType: "image/jpeg", content: Data("secret-scan".utf8))]
        let r = try await store.ingest(m, channel: Fixture.email, rules: Fixture.rules)
        let hash = try #require(try await store.messages(ticketID: r.ticketID).first?.attachments.first?.sha256)
        let agent = try await store.createAgent(name: "A", role: .agent, email: nil, groups: [], capacity: nil).0
        _ = try await store.reply(ticketID: r.ticketID, ReplyInput(text: "hello"), actor: agent.id)
        try await store.eraseCustomer(id: r.customerID, actor: nil)
        #expect(try await store.outbox(status: nil, limit: 10).map(\.recipient) == [nil])

        let profile = try await store.customerProfile(id: r.customerID, timelineLimit: 10, timelineCursor: nil)
        #expect(profile.customer.name == nil && profile.customer.erasedAt != nil && profile.identities.isEmpty)
        let ticket = try await store.ticket(id: r.ticketID)
        #expect(ticket.subject == "(erased)" && ticket.messageCount == 2 && ticket.status == .open)
        let message = try #require(try await store.messages(ticketID: r.ticketID).first)
        #expect(message.text == nil && message.subject == nil && message.attachments.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(String(hash.prefix(2))).appendingPathComponent(hash).path))
        #expect(try await store.customers(search: "ali", limit: 10, cursor: nil).items.isEmpty)
        #expect(try await store.auditLog(limit: 5).first?.action == "customer.erase")
        // Replaying the old message does not bring the data back.
        let replay = try await store.ingest(m, channel: Fixture.email, rules: Fixture.rules)
        #expect(replay.duplicate)
        // The same person writing anew is a new customer.
        let fresh = try await store.ingest(Fixture.email("m2"), channel: Fixture.email, rules: Fixture.rules)
        #expect(fresh.customerID != r.customerID && fresh.customerCreated)
    }

    @Test func exportHoldsEverythingAboutThePersonButNotInternalNotes() async throws {
        let me = try await store.createAgent(name: "A", role: .agent, email: nil, groups: [], capacity: nil).0
        let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
        _ = try await store.addNote(ticketID: r.ticketID, text: "internal", actor: me.id)
        _ = try await store.reply(ticketID: r.ticketID, ReplyInput(text: "public"), actor: me.id)
        let export = try await store.exportCustomer(id: r.customerID, actor: me.id)
        #expect(export.identities.map(\.value) == ["ali@example.com"])
        #expect(export.messages.compactMap(\.text) == ["Where is my order?", "public"])
        #expect(try await store.auditLog(limit: 1).first?.action == "customer.export")
    }

    @Test func outsideEventsAreIdempotentByExternalID() async throws {
        let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
        let input = CustomerEventInput(type: "order.placed", title: "Order 7", data: ["total": .number(12.5)], occurredAt: nil, externalID: "7")
        let a = try await store.addCustomerEvent(customerID: r.customerID, input, actor: nil)
        let b = try await store.addCustomerEvent(customerID: r.customerID, input, actor: nil)
        #expect(a.id == b.id)
    }
}
