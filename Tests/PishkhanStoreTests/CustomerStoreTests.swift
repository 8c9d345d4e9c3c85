import Foundation
import Logging
import PishkhanCore
@testable import PishkhanStore
import Testing

/// Customers on both backends (see `Backend`): search, the 360 profile, merges, outside events, export and erasure.
@Suite(.timeLimit(.minutes(2)))
struct CustomerStoreTests {
    @Test(arguments: Backend.allCases)
    func searchFindsByNameEmailAndPhoneInAnyScript(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let e = try await store.ingest(Fixture.email("m1", from: "ali@example.com", name: "علي رضايي"), channel: Fixture.email, rules: Fixture.rules)
            let s = try await store.ingest(Fixture.sms("s1", from: "09121112233"), channel: Fixture.sms, rules: Fixture.rules)
            #expect(try await store.customers(search: "علی", limit: 10, cursor: nil).items.map(\.id) == [e.customerID])
            #expect(try await store.customers(search: "ALI@example", limit: 10, cursor: nil).items.map(\.id) == [e.customerID])
            #expect(try await store.customers(search: "۰۹۱۲۱۱۱۲۲۳۳", limit: 10, cursor: nil).items.map(\.id) == [s.customerID])
            #expect(try await store.customers(search: "50%_off", limit: 10, cursor: nil).items.isEmpty, "LIKE wildcards are matched literally")
            #expect(try await store.customers(search: nil, limit: 10, cursor: nil).items.count == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func theListPagesNewestFirstWithoutGapsOrRepeats(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            var ids: [Int64] = []
            for i in 0..<7 {
                ids.append(try await store.ingest(Fixture.email("m\(i)", from: "c\(i)@example.com"), channel: Fixture.email, rules: Fixture.rules).customerID)
            }
            var seen: [Int64] = []
            var cursor: String?
            repeat {
                let page = try await store.customers(search: nil, limit: 3, cursor: cursor)
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == ids.reversed())
            await #expect(throws: StoreError.self) { try await store.customers(search: nil, limit: 3, cursor: "not a cursor") }
        }
    }

    @Test(arguments: Backend.allCases)
    func updatesAreCleanedMergedIntoAttributesAndEventedOnlyWhenSomethingChanged(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let updated = try await store.updateCustomer(
                id: r.customerID, CustomerPatch(name: .some("  Ali R.  "), tier: .vip, tags: ["Wholesale", "wholesale", " "],
                                                attributes: ["plan": .string("gold"), "city": .string("Tehran")]), actor: nil)
            #expect(updated.name == "Ali R." && updated.tier == .vip && updated.tags == ["wholesale"])
            #expect(updated.attributes == ["plan": .string("gold"), "city": .string("Tehran")])
            let cleared = try await store.updateCustomer(id: r.customerID, CustomerPatch(name: .some(nil), attributes: ["city": .null]), actor: nil)
            #expect(cleared.name == nil && cleared.attributes == ["plan": .string("gold")])
            let seq = try await store.latestEventSeq()
            #expect(try await store.updateCustomer(id: r.customerID, CustomerPatch(tier: .vip), actor: nil) == cleared)
            #expect(try await store.latestEventSeq() == seq, "no change, no event")
            let events = try await store.events(after: 0, limit: 100)
            #expect(events.filter { $0.type == .customerUpdated }.count == 2)
            await #expect(throws: StoreError.notFound("customer 999999 does not exist")) {
                try await store.updateCustomer(id: 999_999, CustomerPatch(tier: .vip), actor: nil)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func mergeMovesEverythingAndUndoPutsItBack(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let e = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let s = try await store.ingest(Fixture.sms("s1"), channel: Fixture.sms, rules: Fixture.rules)
            _ = try await store.updateCustomer(id: s.customerID, CustomerPatch(tier: .vip, tags: ["wholesale"]), actor: nil)
            _ = try await store.addCustomerEvent(customerID: s.customerID, CustomerEventInput(type: "order.placed", title: "Order 1001", data: nil, occurredAt: nil, externalID: "1001"), actor: nil)
            await #expect(throws: StoreError.self) { try await store.mergeCustomer(id: e.customerID, into: e.customerID, actor: nil) }
            let merge = try await store.mergeCustomer(id: s.customerID, into: e.customerID, actor: nil)
            #expect(merge.sourceID == s.customerID && merge.targetID == e.customerID && merge.movedTickets == [s.ticketID] && merge.movedEvents.count == 1)
            await #expect(throws: StoreError.self) { try await store.mergeCustomer(id: s.customerID, into: e.customerID, actor: nil) }
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
            await #expect(throws: StoreError.self) { try await store.updateCustomer(id: s.customerID, CustomerPatch(tier: .premium), actor: nil) }

            let undone = try await store.undoCustomerMerge(customerID: e.customerID, mergeID: merge.id, actor: nil)
            #expect(undone.undoneAt != nil)
            let back = try await store.customerProfile(id: s.customerID, timelineLimit: 50, timelineCursor: nil)
            #expect(back.customer.mergedInto == nil && back.identities.map(\.kind) == [.phone] && back.tickets.count == 1)
            let original = try await store.customerProfile(id: e.customerID, timelineLimit: 50, timelineCursor: nil)
            #expect(original.customer.tier == .standard && original.identities.map(\.kind) == [.email])
            await #expect(throws: StoreError.self) { try await store.undoCustomerMerge(customerID: e.customerID, mergeID: merge.id, actor: nil) }
            await #expect(throws: StoreError.notFound("merge 999 of customer \(e.customerID) does not exist")) {
                try await store.undoCustomerMerge(customerID: e.customerID, mergeID: 999, actor: nil)
            }
            #expect(try await store.auditLog(limit: 2).map(\.action) == ["customer.merge.undo", "customer.merge"])
        }
    }

    @Test(arguments: Backend.allCases)
    func timelinePagesNewestFirstAcrossChannels(_ backend: Backend) async throws {
        let clock = TestClock()
        try await backend.withStore(clock: clock) { store async throws in
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
            #expect(all.contains { $0.kind == .ticket && $0.eventType == "ticket.created" && $0.ticketID == e.ticketID })
            #expect(Set(all.map { "\($0.kind)\($0.messageID ?? -1)\($0.eventType ?? "")\($0.at)" }).count == all.count, "no entry twice")
        }
    }

    @Test(arguments: Backend.allCases)
    func erasureRemovesPersonalDataAndKeepsStatistics(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            var m = Fixture.email("m1", messageID: "<e@mail>")
            m.attachments = [.init(name: "id-card.jpg", contentType: "image/jpeg", content: Data("secret-scan".utf8))]
            let r = try await store.ingest(m, channel: Fixture.email, rules: Fixture.rules)
            let hash = try #require(try await store.messages(ticketID: r.ticketID).first?.attachments.first?.sha256)
            #expect(try await Self.contentStored(store, hash))
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
            #expect(try await !Self.contentStored(store, hash))
            #expect(try await store.customers(search: "ali", limit: 10, cursor: nil).items.isEmpty)
            #expect(try await store.auditLog(limit: 5).first?.action == "customer.erase")
            await #expect(throws: StoreError.conflict("customer \(r.customerID) was already erased")) {
                try await store.eraseCustomer(id: r.customerID, actor: nil)
            }
            // Replaying the old message does not bring the data back.
            let replay = try await store.ingest(m, channel: Fixture.email, rules: Fixture.rules)
            #expect(replay.duplicate)
            // The same person writing anew is a new customer.
            let fresh = try await store.ingest(Fixture.email("m2"), channel: Fixture.email, rules: Fixture.rules)
            #expect(fresh.customerID != r.customerID && fresh.customerCreated)
        }
    }

    @Test(arguments: Backend.allCases)
    func exportHoldsEverythingAboutThePersonButNotInternalNotes(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let me = try await store.createAgent(name: "A", role: .agent, email: nil, groups: [], capacity: nil).0
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            _ = try await store.addNote(ticketID: r.ticketID, text: "internal", actor: me.id)
            _ = try await store.reply(ticketID: r.ticketID, ReplyInput(text: "public"), actor: me.id)
            _ = try await store.addCustomerEvent(customerID: r.customerID, CustomerEventInput(type: "order.placed", title: "Order 7"), actor: me.id)
            let export = try await store.exportCustomer(id: r.customerID, actor: me.id)
            #expect(export.identities.map(\.value) == ["ali@example.com"])
            #expect(export.tickets.map(\.id) == [r.ticketID])
            #expect(export.messages.compactMap(\.text) == ["Where is my order?", "public"])
            #expect(export.events.map(\.title) == ["Order 7"])
            #expect(try await store.auditLog(limit: 1).first?.action == "customer.export")
        }
    }

    /// Ten calls at once with one external id store one event, on one process or several.
    @Test(arguments: Backend.allCases)
    func outsideEventsAreIdempotentByExternalID(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let input = CustomerEventInput(type: "order.placed", title: "Order 7", data: ["total": .number(12.5)], occurredAt: nil, externalID: "7")
            let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<10 { group.addTask { try await store.addCustomerEvent(customerID: r.customerID, input, actor: nil).id } }
                return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            #expect(try await store.events(after: 0, limit: 100).filter { $0.type == .customerEvent }.count == 1)
            await #expect(throws: StoreError.invalid(ValidationError(field: "title", reason: "must not be empty"))) {
                try await store.addCustomerEvent(customerID: r.customerID, CustomerEventInput(type: "x", title: " "), actor: nil)
            }
            let event = try #require(try await store.exportCustomer(id: r.customerID, actor: nil).events.first)
            #expect(event.data == ["total": .number(12.5)] && event.externalID == "7")
        }
    }

    /// Whether attachment content is still stored: a file for SQLite, a `blobs` row for PostgreSQL.
    static func contentStored(_ store: any Backend.Conforming, _ hash: String) async throws -> Bool {
        if let sqlite = store as? SQLiteStore {
            let files = try #require(sqlite.attachments)
            return FileManager.default.fileExists(atPath: files.url(for: hash).path)
        }
        let postgres = try #require(store as? PostgresStore)
        return try await postgres.client.query("SELECT COUNT(*) FROM blobs WHERE sha256 = \(hash)", logger: postgres.logger)
            .decode(Int64.self).reduce(0, +) > 0
    }
}

/// Customers changed on one process while another ingests their messages.
@Suite(.timeLimit(.minutes(2)))
struct CustomerClusterTests {
    /// Messages from the source's phone keep arriving on a second process during the merge: each lands on
    /// the source before the merge (and moves with it) or on the target after it, never on the merged profile.
    @Test func aMergeWhileAnotherProcessIngestsLeavesNothingOnTheMergedCustomer() async throws {
        try await PostgresPair.with { a, b async throws in
            for round in 0..<3 {
                let phone = "0912200000\(round)"
                let source = try await a.ingest(Fixture.sms("r\(round)-0", from: phone), channel: Fixture.sms, rules: Fixture.rules).customerID
                let target = try await a.ingest(Fixture.email("r\(round)-e", from: "r\(round)@example.com"), channel: Fixture.email, rules: Fixture.rules).customerID
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 1...12 {
                        group.addTask { _ = try await b.ingest(Fixture.sms("r\(round)-\(i)", from: phone), channel: Fixture.sms, rules: Fixture.rules) }
                    }
                    group.addTask { _ = try await a.mergeCustomer(id: source, into: target, actor: nil) }
                    try await group.waitForAll()
                }
                let merged = try await a.customerProfile(id: source, timelineLimit: 10, timelineCursor: nil)
                #expect(merged.customer.mergedInto == target)
                #expect(merged.identities.isEmpty && merged.tickets.isEmpty, "round \(round): \(merged.tickets.map(\.id))")
                let messages = try await a.customerProfile(id: target, timelineLimit: 100, timelineCursor: nil).timeline.items.filter { $0.kind == .message }
                #expect(messages.count == 14, "round \(round): every message on the surviving customer")
            }
        }
    }

    /// Erasing a customer deletes the files only their messages refer to. Another customer's message
    /// carrying the same bytes, stored at that moment by another process, keeps its file: the erasure waits
    /// for that ingest, then sees its reference.
    @Test func anErasureNeverDeletesAFileAMessageBeingStoredRefersTo() async throws {
        try await PostgresPair.with { a, b async throws in
            let scan = Data("the same scanned receipt".utf8)
            var first = Fixture.email("x1", from: "erased@example.com")
            first.attachments = [.init(name: "receipt.pdf", contentType: "application/pdf", content: scan)]
            let erased = try await a.ingest(first, channel: Fixture.email, rules: Fixture.rules)
            let hash = try #require(try await a.messages(ticketID: erased.ticketID).first?.attachments.first?.sha256)

            // Hold the event counter: the ingest below does everything, then waits to number its events.
            let (held, hold) = AsyncStream.makeStream(of: Void.self)
            let (released, release) = AsyncStream.makeStream(of: Void.self)
            let counter = Task {
                try await b.write { connection, _ in
                    _ = try await connection.query("SELECT seq FROM event_head WHERE id = 1 FOR UPDATE", logger: PostgresPair.logger)
                    hold.yield()
                    for await _ in released { break }
                }
            }
            for await _ in held { break }
            var second = Fixture.email("x2", from: "kept@example.com")
            second.attachments = [.init(name: "receipt.pdf", contentType: "application/pdf", content: scan)]
            let ingest = Task { [second] in try await b.ingest(second, channel: Fixture.email, rules: Fixture.rules) }
            try await PostgresPair.waitForLockWaiters(a, count: 1)
            let erasure = Task { try await a.eraseCustomer(id: erased.customerID, actor: nil) }
            try await PostgresPair.waitForLockWaiters(a, count: 2)
            release.yield()
            try await counter.value
            let kept = try await ingest.value
            try await erasure.value

            #expect(try await a.messages(ticketID: erased.ticketID).first?.attachments.isEmpty == true)
            #expect(try await a.messages(ticketID: kept.ticketID).first?.attachments.first?.sha256 == hash)
            #expect(try await CustomerStoreTests.contentStored(a, hash), "the other customer's file is still there")
        }
    }
}
