import Foundation
import PishkhanCore
import PishkhanStore
import Testing

@Suite(.timeLimit(.minutes(2))) struct IntakeTests {
    let clock = TestClock()

    @Test(arguments: Backend.allCases) func firstMessageCreatesCustomerTicketMessageAndEvents(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            #expect(r.customerCreated && r.ticketCreated && !r.duplicate)
            let ticket = try await store.ticket(id: r.ticketID)
            #expect(ticket.status == .new && ticket.subject == "Order late" && ticket.customerName == "Ali Rezaei")
            let messages = try await store.messages(ticketID: r.ticketID)
            #expect(messages.map(\.text) == ["Where is my order?"])
            let types = try await store.events(after: 0, limit: 10).map(\.type)
            #expect(types == [.customerCreated, .ticketCreated, .messageAdded])
        }
    }

    @Test(arguments: Backend.allCases) func sameKeyTwiceReturnsTheFirstResultAndChangesNothing(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let first = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let seq = try await store.latestEventSeq()
            var again = Fixture.email("m1", text: "a different body")
            again.subject = "different"
            let second = try await store.ingest(again, channel: Fixture.email, rules: Fixture.rules)
            #expect(second.duplicate)
            #expect(second.messageID == first.messageID && second.ticketID == first.ticketID && second.customerID == first.customerID)
            #expect(try await store.latestEventSeq() == seq)
            #expect(try await store.messages(ticketID: first.ticketID).count == 1)
        }
    }

    /// A person first seen unnamed by SMS, then writing by email with a name and the same phone as a
    /// contact: one customer, named by the later message, last heard from at the later time; several
    /// such people at once (which PostgreSQL stores in shared transactions) each keep their own.
    @Test(arguments: Backend.allCases) func aKnownCustomerIsNamedAndMarkedAsJustHeardFrom(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let start = clock.date
            let people = 0..<20
            let first = try await withThrowingTaskGroup(of: (Int, IngestResult).self) { group in
                for n in people {
                    group.addTask { (n, try await store.ingest(Fixture.sms("first-\(n)", from: "091200000\(String(format: "%02d", n))"),
                                                                channel: Fixture.sms, rules: Fixture.rules)) }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            clock.advance(600)
            let second = try await withThrowingTaskGroup(of: (Int, IngestResult).self) { group in
                for n in people {
                    group.addTask {
                        var message = Fixture.email("second-\(n)", from: "person\(n)@example.com", name: "Person \(n)")
                        message.contacts = [.init(kind: .phone, address: "091200000\(String(format: "%02d", n))")]
                        return (n, try await store.ingest(message, channel: Fixture.email, rules: Fixture.rules))
                    }
                    // The same message again, in the same moment.
                    group.addTask {
                        var message = Fixture.email("second-\(n)", from: "person\(n)@example.com", name: "Person \(n)")
                        message.contacts = [.init(kind: .phone, address: "091200000\(String(format: "%02d", n))")]
                        return (-1, try await store.ingest(message, channel: Fixture.email, rules: Fixture.rules))
                    }
                }
                return try await group.reduce(into: [(Int, IngestResult)]()) { $0.append($1) }
            }
            #expect(second.filter { $0.1.duplicate }.count == people.count, "each repeat is a duplicate")
            for (n, result) in second where n >= 0 {
                let earlier = try #require(first[n])
                #expect(result.customerID == earlier.customerID && !result.customerCreated)
                let customer = try await store.customerProfile(id: result.customerID, timelineLimit: 1, timelineCursor: nil).customer
                #expect(customer.name == "Person \(n)")
                #expect(customer.firstSeenAt == start && customer.lastContactAt == start.addingTimeInterval(600))
            }
        }
    }

    @Test(arguments: Backend.allCases) func concurrentIngestsOfOneKeyStoreOneMessage(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let results = try await withThrowingTaskGroup(of: IngestResult.self) { group in
                for _ in 0..<50 { group.addTask { try await store.ingest(Fixture.sms("SM-same"), channel: Fixture.sms, rules: Fixture.rules) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.messageID)).count == 1)
            #expect(results.filter { !$0.duplicate }.count == 1)
            #expect(try await store.tickets(TicketQuery()).items.count == 1)
        }
    }

    @Test(arguments: Backend.allCases) func oneBadMessageInABatchDoesNotFailTheOthers(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let from = i == 7 ? "not a phone" : "0912000\(String(format: "%04d", i))"
                        return (try? await store.ingest(Fixture.sms("SM\(i)", from: from), channel: Fixture.sms, rules: Fixture.rules)) != nil
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 19)
            #expect(try await store.tickets(TicketQuery()).items.count == 19)
        }
    }

    @Test(arguments: Backend.allCases) func phoneWrittenThreeWaysIsOneCustomer(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let a = try await store.ingest(Fixture.sms("1", from: "۰۹۱۲۳۴۵۶۷۸۹"), channel: Fixture.sms, rules: Fixture.rules)
            let b = try await store.ingest(Fixture.sms("2", from: "09123456789"), channel: Fixture.sms, rules: Fixture.rules)
            let c = try await store.ingest(Fixture.sms("3", from: "+989123456789"), channel: Fixture.sms, rules: Fixture.rules)
            #expect(a.customerID == b.customerID && b.customerID == c.customerID)
            let e1 = try await store.ingest(Fixture.email("e1", from: "Ali@Example.COM "), channel: Fixture.email, rules: Fixture.rules)
            let e2 = try await store.ingest(Fixture.email("e2", from: "ali@example.com"), channel: Fixture.email, rules: Fixture.rules)
            #expect(e1.customerID == e2.customerID)
        }
    }

    @Test(arguments: Backend.allCases) func invalidMessagesAreRejectedWithTheField(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            await #expect(throws: StoreError.invalid(ValidationError(field: "sender.address", reason: "is not an email address: nobody"))) {
                try await store.ingest(Fixture.email("x", from: "nobody"), channel: Fixture.email, rules: Fixture.rules)
            }
            var empty = Fixture.email("y")
            empty.text = ""
            await #expect(throws: StoreError.self) { try await store.ingest(empty, channel: Fixture.email, rules: Fixture.rules) }
            #expect(try await store.tickets(TicketQuery()).items.isEmpty)
            #expect(try await store.latestEventSeq() == 0)
        }
    }

    @Test(arguments: Backend.allCases) func urgentPersianKeywordRaisesPriority(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let r = try await store.ingest(Fixture.sms("1", text: "لطفاً فوری پاسخ دهید"), channel: Fixture.sms, rules: Fixture.rules)
            #expect(try await store.ticket(id: r.ticketID).priority == .urgent)
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct ThreadingStoreTests {
    let clock = TestClock()

    @Test(arguments: Backend.allCases) func replyHeadersThreadIntoTheTicket(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let first = try await store.ingest(Fixture.email("m1", messageID: "<a@mail>"), channel: Fixture.email, rules: Fixture.rules)
            let reply = try await store.ingest(Fixture.email("m2", subject: "Re: Order late", inReplyTo: ["<a@mail>"]), channel: Fixture.email, rules: Fixture.rules)
            #expect(reply.ticketID == first.ticketID && reply.threadedBy == .threadHeader)
        }
    }

    @Test(arguments: Backend.allCases) func subjectTokenThreadsOnlyForTheSameCustomer(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let first = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let mine = try await store.ingest(Fixture.email("m2", subject: "Re: [#\(first.ticketID)] Order"), channel: Fixture.email, rules: Fixture.rules)
            #expect(mine.ticketID == first.ticketID && mine.threadedBy == .subjectToken)
            let stranger = try await store.ingest(Fixture.email("m3", from: "eve@example.com", subject: "[#\(first.ticketID)]"), channel: Fixture.email, rules: Fixture.rules)
            #expect(stranger.ticketID != first.ticketID && stranger.ticketCreated)
        }
    }

    @Test(arguments: Backend.allCases) func anAutoReplyJoinsItsTicketWithoutReopeningItOrOwingAnAnswer(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let agent = try await store.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0
            let first = try await store.ingest(Fixture.email("m1", messageID: "<a@mail>"), channel: Fixture.email, rules: Fixture.rules)
            _ = try await store.reply(ticketID: first.ticketID, ReplyInput(text: "Done", status: .resolved), actor: agent.id)
            var away = Fixture.email("m2", subject: "Out of office: Order late", inReplyTo: ["<a@mail>"])
            away.automated = true
            let r = try await store.ingest(away, channel: Fixture.email, rules: Fixture.rules)
            #expect(r.ticketID == first.ticketID)
            #expect(try await store.ticket(id: first.ticketID).status == .resolved)
            #expect(try await store.messages(ticketID: first.ticketID).count == 3)
        }
    }

    @Test(arguments: Backend.allCases) func anAutomatedMessageThatThreadsNowhereOpensNoTicket(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            var bounce = Fixture.email("m1", from: "mailer-daemon@example.com", subject: "Undelivered Mail Returned to Sender")
            bounce.automated = true
            await #expect(throws: StoreError.self) { try await store.ingest(bounce, channel: Fixture.email, rules: Fixture.rules) }
            #expect(try await store.openTicketCount() == 0)
            #expect(try await store.customers(search: "mailer-daemon", limit: 10, cursor: nil).items.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases) func aBounceOfOurReplyJoinsTheTicketWithoutCreatingACustomer(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let agent = try await store.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0
            let first = try await store.ingest(Fixture.email("m1", messageID: "<a@mail>"), channel: Fixture.email, rules: Fixture.rules)
            _ = try await store.reply(ticketID: first.ticketID, ReplyInput(text: "On its way", status: .pending), actor: agent.id)
            let ours = try #require(try await store.claimOutboundEmail(domains: ["support-email": "bazaarche.example"], limit: 10, lease: 60).first)
            try await store.markOutboundSent(ours)

            var bounce = Fixture.email("dsn1", from: "MAILER-DAEMON@mx.example.net", subject: "Undelivered Mail Returned to Sender", name: nil)
            bounce.threadHints.references = [ours.messageIDHeader]
            bounce.automated = true
            let r = try await store.ingest(bounce, channel: Fixture.email, rules: Fixture.rules)
            #expect(r.ticketID == first.ticketID && r.threadedBy == .threadHeader && !r.customerCreated && r.customerID == first.customerID)
            #expect(try await store.ticket(id: first.ticketID).status == .pending, "a bounce changes no status")
            let stored = try #require(try await store.messages(ticketID: first.ticketID).last)
            #expect(stored.automated && stored.customerID == nil)
            #expect(try await store.customers(search: "mailer-daemon", limit: 10, cursor: nil).items.isEmpty)
            // The same bounce fetched again is a duplicate.
            #expect(try await store.ingest(bounce, channel: Fixture.email, rules: Fixture.rules).duplicate)
        }
    }

    @Test(arguments: Backend.allCases) func aStrangersAutomatedMessageCannotThreadThroughACustomersOwnMessageID(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let first = try await store.ingest(Fixture.email("m1", messageID: "<a@mail>"), channel: Fixture.email, rules: Fixture.rules)
            var forged = Fixture.email("x1", from: "robot@elsewhere.example", subject: "Auto: Order late", inReplyTo: ["<a@mail>"])
            forged.automated = true
            await #expect(throws: StoreError.self) { try await store.ingest(forged, channel: Fixture.email, rules: Fixture.rules) }
            #expect(try await store.messages(ticketID: first.ticketID).count == 1)
        }
    }

    @Test(arguments: Backend.allCases) func emailWithoutHintsOpensANewTicket(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let a = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let b = try await store.ingest(Fixture.email("m2"), channel: Fixture.email, rules: Fixture.rules)
            #expect(a.ticketID != b.ticketID)
        }
    }

    @Test(arguments: Backend.allCases) func smsJoinsTheActiveTicketWithinTheWindowOnly(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let a = try await store.ingest(Fixture.sms("1"), channel: Fixture.sms, rules: Fixture.rules)
            clock.advance(3000)
            let b = try await store.ingest(Fixture.sms("2"), channel: Fixture.sms, rules: Fixture.rules)
            #expect(b.ticketID == a.ticketID && b.threadedBy == .recentConversation)
            clock.advance(3601)
            let c = try await store.ingest(Fixture.sms("3"), channel: Fixture.sms, rules: Fixture.rules)
            #expect(c.ticketID != a.ticketID && c.ticketCreated)
        }
    }

    @Test(arguments: Backend.allCases) func resolvedTicketReopensOnReplyButClosedStartsANewOne(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let admin = try await store.createAgent(name: "A", role: .admin, email: nil, groups: [], capacity: nil).0
            let a = try await store.ingest(Fixture.email("m1", messageID: "<x@mail>"), channel: Fixture.email, rules: Fixture.rules)
            _ = try await store.updateTicket(id: a.ticketID, TicketPatch(status: .resolved), actor: admin.id)
            let b = try await store.ingest(Fixture.email("m2", inReplyTo: ["<x@mail>"]), channel: Fixture.email, rules: Fixture.rules)
            #expect(b.ticketID == a.ticketID)
            #expect(try await store.ticket(id: a.ticketID).status == .open)
            _ = try await store.updateTicket(id: a.ticketID, TicketPatch(status: .closed), actor: admin.id)
            let c = try await store.ingest(Fixture.email("m3", inReplyTo: ["<x@mail>"]), channel: Fixture.email, rules: Fixture.rules)
            #expect(c.ticketID != a.ticketID && c.ticketCreated)
        }
    }

    @Test(arguments: Backend.allCases) func mergedTicketsForwardThreadingToTheTarget(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let agent = try await store.createAgent(name: "A", role: .agent, email: nil, groups: [], capacity: nil).0
            let a = try await store.ingest(Fixture.email("m1", messageID: "<a@mail>"), channel: Fixture.email, rules: Fixture.rules)
            let b = try await store.ingest(Fixture.email("m2"), channel: Fixture.email, rules: Fixture.rules)
            _ = try await store.mergeTicket(id: a.ticketID, into: b.ticketID, actor: agent.id)
            let c = try await store.ingest(Fixture.email("m3", inReplyTo: ["<a@mail>"]), channel: Fixture.email, rules: Fixture.rules)
            #expect(c.ticketID == b.ticketID)
            #expect(try await store.messages(ticketID: b.ticketID).count == 3)
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct AssignmentStoreTests {
    let clock = TestClock()

    @Test(arguments: Backend.allCases) func roundRobinOverAvailableAgentsOfTheGroup(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let a = try await store.createAgent(name: "A", role: .agent, email: nil, groups: ["support"], capacity: nil).0
            let b = try await store.createAgent(name: "B", role: .agent, email: nil, groups: ["support"], capacity: nil).0
            let away = try await store.createAgent(name: "C", role: .agent, email: nil, groups: ["support"], capacity: nil).0
            _ = try await store.createAgent(name: "D", role: .agent, email: nil, groups: ["billing"], capacity: nil)
            _ = try await store.setAgentAvailability(id: away.id, available: false)
            let channel = ChannelSettings(id: "support-email", kind: .email, assignment: .roundRobin(group: "support"))
            var assignees: [Int64?] = []
            for i in 0..<4 {
                let r = try await store.ingest(Fixture.email("m\(i)", from: "c\(i)@example.com"), channel: channel, rules: Fixture.rules)
                assignees.append(try await store.ticket(id: r.ticketID).assigneeID)
            }
            #expect(assignees == [a.id, b.id, a.id, b.id])
        }
    }

    @Test(arguments: Backend.allCases) func leastLoadedStopsAtCapacity(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let a = try await store.createAgent(name: "A", role: .agent, email: nil, groups: ["chat"], capacity: 1).0
            let b = try await store.createAgent(name: "B", role: .agent, email: nil, groups: ["chat"], capacity: nil).0
            let channel = ChannelSettings(id: "support-email", kind: .email, assignment: .leastLoaded(group: "chat", capacity: 2))
            var assignees: [Int64?] = []
            for i in 0..<5 {
                let r = try await store.ingest(Fixture.email("m\(i)", from: "c\(i)@example.com"), channel: channel, rules: Fixture.rules)
                assignees.append(try await store.ticket(id: r.ticketID).assigneeID)
            }
            #expect(assignees == [a.id, b.id, b.id, nil, nil])
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct ContactIdentityTests {
    let clock = TestClock()
    static let partner = ChannelSettings(id: "partner-chat", kind: .webhook)

    static func chat(_ id: String, visitor: String, contacts: [InboundMessage.Contact]) -> InboundMessage {
        InboundMessage(channel: "partner-chat", channelKind: .webhook, externalID: id, sender: .init(kind: .external, address: "partner-chat:\(visitor)"),
                       contacts: contacts, threadHints: .init(conversationID: "c-\(visitor)"), text: "hello")
    }

    @Test(arguments: Backend.allCases) func aKnownPhoneAVisitorGivesFindsTheirCustomer(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let sms = try await store.ingest(Fixture.sms("SM1", from: "09121234567"), channel: Fixture.sms, rules: Fixture.rules)
            let chat = try await store.ingest(Self.chat("m1", visitor: "v1", contacts: [.init(kind: .phone, address: "+98 912 123 4567")]),
                                              channel: Self.partner, rules: Fixture.rules)
            #expect(chat.customerID == sms.customerID && !chat.customerCreated)
            let identities = try await store.customerSummary(id: sms.customerID).identities.map(\.value)
            #expect(Set(identities) == ["+989121234567", "partner-chat:v1"])
        }
    }

    @Test(arguments: Backend.allCases) func contactsGivenFirstJoinTheNewCustomerAndBadOnesAreLeftOut(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let chat = try await store.ingest(Self.chat("m1", visitor: "v2", contacts: [.init(kind: .email, address: " Mina@Example.COM "),
                                                                                         .init(kind: .email, address: "not an email")]),
                                              channel: Self.partner, rules: Fixture.rules)
            #expect(chat.customerCreated)
            let email = try await store.ingest(Fixture.email("e1", from: "mina@example.com"), channel: Fixture.email, rules: Fixture.rules)
            #expect(email.customerID == chat.customerID)
            let identities = try await store.customerSummary(id: chat.customerID).identities.map(\.value)
            #expect(Set(identities) == ["partner-chat:v2", "mina@example.com"])
        }
    }

    @Test(arguments: Backend.allCases) func anIdentityOfAnotherCustomerStaysTheirs(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let ali = try await store.ingest(Fixture.email("e1", from: "ali@example.com"), channel: Fixture.email, rules: Fixture.rules)
            let visitor = try await store.ingest(Self.chat("m1", visitor: "v3", contacts: []), channel: Self.partner, rules: Fixture.rules)
            // The known visitor now claims Ali's address: they stay who they were, and the address stays Ali's.
            let claim = try await store.ingest(Self.chat("m2", visitor: "v3", contacts: [.init(kind: .email, address: "ali@example.com")]),
                                               channel: Self.partner, rules: Fixture.rules)
            #expect(claim.customerID == visitor.customerID && claim.customerID != ali.customerID)
            #expect(try await store.customerSummary(id: ali.customerID).identities.map(\.value) == ["ali@example.com"])
            #expect(try await store.customerSummary(id: visitor.customerID).identities.map(\.value) == ["partner-chat:v3"])
        }
    }
}
