import Foundation
import PishkhanCore
import PishkhanStore
import Testing

/// Web chat, chat webhooks and Telegram on both backends (see `Backend`): replies to push and replay, and
/// claimed deliveries.
@Suite(.timeLimit(.minutes(2)))
struct ChatStoreTests {
    static let chat = ChannelSettings(id: "chat", kind: .chat)
    static let telegram = ChannelSettings(id: "telegram", kind: .telegram)

    static func visitorWrites(_ store: any Backend.Conforming, _ id: String, visitor: String = "visitor-ali", text: String = "سلام") async throws -> IngestResult {
        try await store.ingest(InboundMessage(channel: "chat", channelKind: .chat, externalID: id, sender: .init(address: visitor), text: text),
                               channel: Self.chat, rules: Fixture.rules)
    }

    static func telegramWrites(_ store: any Backend.Conforming, _ id: String, user: String = "5550001") async throws -> IngestResult {
        try await store.ingest(InboundMessage(channel: "telegram", channelKind: .telegram, externalID: "\(user):\(id)", sender: .init(kind: .telegram, address: user),
                                              threadHints: .init(conversationID: user), text: "سلام"),
                               channel: Self.telegram, rules: Fixture.rules)
    }

    static func agent(_ store: any Backend.Conforming) async throws -> Int64 {
        try await store.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0.id
    }

    /// An agent's reply to each of `count` inbound messages, oldest first.
    static func replies(_ store: any Backend.Conforming, count: Int, to inbound: (Int) async throws -> IngestResult) async throws -> [Int64] {
        let me = try await agent(store)
        var replies: [Int64] = []
        for i in 0..<count {
            replies.append(try await store.reply(ticketID: try await inbound(i).ticketID, ReplyInput(text: "reply \(i)"), actor: me).id)
        }
        return replies
    }

    @Test(arguments: Backend.allCases)
    func aSettingKeepsTheFirstValueStored(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            #expect(try await store.setting("chat.visitor-secret", insertingIfAbsent: "first") == "first")
            #expect(try await store.setting("chat.visitor-secret", insertingIfAbsent: "second") == "first")
            let values = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<10 { group.addTask { try await store.setting("other", insertingIfAbsent: "value-\(i)") } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(values.count == 1, "callers at once agree on one value: \(values)")
        }
    }

    @Test(arguments: Backend.allCases)
    func repliesReachTheVisitorsOfTheTicketsCustomerAndAreReplayed(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            #expect(try await store.latestMessageID() == 0)
            let me = try await Self.agent(store)
            let ali = try await Self.visitorWrites(store, "c1")
            let sara = try await Self.visitorWrites(store, "c2", visitor: "visitor-sara")
            let mail = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let note = try await store.addNote(ticketID: ali.ticketID, text: "internal", actor: me)
            let toAli = try await store.reply(ticketID: ali.ticketID, ReplyInput(text: "Hello Ali"), actor: me)
            let toSara = try await store.reply(ticketID: sara.ticketID, ReplyInput(text: "Hello Sara"), actor: me)
            _ = try await store.reply(ticketID: mail.ticketID, ReplyInput(text: "by mail"), actor: me)
            #expect(try await store.latestMessageID() > toSara.id)

            #expect(try await store.chatMessages(channel: "chat", visitor: "visitor-ali", after: 0, limit: 10).map(\.id) == [toAli.id], "not the note")
            #expect(try await store.chatMessages(channel: "chat", visitor: "visitor-ali", after: toAli.id, limit: 10).isEmpty)
            #expect(try await store.chatMessages(channel: "chat", visitor: "visitor-nobody", after: 0, limit: 10).isEmpty)
            #expect(try await store.chatMessages(channel: "other-chat", visitor: "visitor-ali", after: 0, limit: 10).isEmpty)

            let replies = try await store.chatReplies(channels: ["chat"], after: note.id, limit: 10)
            #expect(replies.map(\.message.id) == [toAli.id, toSara.id])
            #expect(replies.map(\.visitors) == [["visitor-ali"], ["visitor-sara"]])
            #expect(replies.first?.channel == "chat" && replies.first?.message.text == "Hello Ali")
            #expect(try await store.chatReplies(channels: ["chat"], after: toAli.id, limit: 10).map(\.message.id) == [toSara.id])
            #expect(try await store.chatReplies(channels: ["chat"], after: 0, limit: 1).count == 1)
            #expect(try await store.chatReplies(channels: [], after: 0, limit: 10).isEmpty)

            // Pushed to Ali's open connection; Sara's is kept for her replay.
            try await store.markChatSent(messageIDs: [toAli.id])
            try await store.markChatSent(messageIDs: [toAli.id])
            #expect(try await store.markStoredChatRepliesSent(channels: ["chat"], limit: 10) == 1)
            #expect(try await store.markStoredChatRepliesSent(channels: ["chat"], limit: 10) == 0)
            let sent = try await store.events(after: 0, limit: 100).filter { $0.type == .messageDelivery }
            #expect(sent.map { $0.data["messageID"] } == [.int(toAli.id), .int(toSara.id)], "each once")
            #expect(try await store.messages(ticketID: sara.ticketID).last?.deliveryStatus == .sent)
            #expect(try await store.outbox(status: .queued, limit: 10).map(\.channel) == ["support-email"], "mail is not chat")
        }
    }

    @Test(arguments: Backend.allCases)
    func aTelegramReplyIsClaimedWithItsConversationAndSendsEachPartOnce(_ backend: Backend) async throws {
        let clock = TestClock()
        try await backend.withStore(clock: clock) { store async throws in
            let me = try await Self.agent(store)
            let inbound = try await Self.telegramWrites(store, "17")
            let reply = try await store.reply(ticketID: inbound.ticketID, ReplyInput(text: "part one\npart two"), actor: me)
            #expect(try await store.claimChatReplies(channels: [], limit: 10, lease: 60).isEmpty)
            let job = try #require(try await store.claimChatReplies(channels: ["telegram"], limit: 10, lease: 60).first)
            #expect(job.messageID == reply.id && job.ticketID == inbound.ticketID && job.channelKind == .telegram && job.kind == .outbound)
            #expect(job.recipient == "5550001" && job.conversationID == "5550001" && job.text == "part one\npart two")
            #expect(job.partsSent == 0 && job.attempts == 1)
            #expect(try await store.claimChatReplies(channels: ["telegram"], limit: 10, lease: 60).isEmpty, "leased")

            try await store.recordChatReplyPart(job, part: 0, providerID: "801")
            try await store.markChatReplyFailed(job, reason: "HTTP 502", retryAt: clock.date.addingTimeInterval(7))
            #expect(try await store.messages(ticketID: inbound.ticketID).last?.deliveryStatus == .queued)
            clock.advance(7)
            let retry = try #require(try await store.claimChatReplies(channels: ["telegram"], limit: 10, lease: 60).first)
            #expect(retry.partsSent == 1 && retry.attempts == 2, "a retry sends only the parts after the first")
            try await store.recordChatReplyPart(retry, part: 0, providerID: nil)
            try await store.recordChatReplyPart(retry, part: 1, providerID: "802")
            try await store.markChatReplySent(retry, providerID: "802", providerStatus: nil)
            let message = try #require(try await store.messages(ticketID: inbound.ticketID).last)
            #expect(message.deliveryStatus == .sent && message.providerID == "802")
            clock.advance(7200)
            #expect(try await store.claimChatReplies(channels: ["telegram"], limit: 10, lease: 60).isEmpty, "delivered once, never again")
        }
    }

    @Test(arguments: Backend.allCases)
    func aRefusedReplyFailsForGood(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let me = try await Self.agent(store)
            let inbound = try await Self.telegramWrites(store, "18")
            _ = try await store.reply(ticketID: inbound.ticketID, ReplyInput(text: "Hello"), actor: me)
            let job = try #require(try await store.claimChatReplies(channels: ["telegram"], limit: 10, lease: 60).first)
            try await store.markChatReplyFailed(job, reason: "400: chat not found", retryAt: nil)
            let message = try #require(try await store.messages(ticketID: inbound.ticketID).last)
            #expect(message.deliveryStatus == .failed && message.deliveryError == "400: chat not found")
            #expect(try await store.outbox(status: .failed, limit: 10).count == 1)
        }
    }

    /// Two processes claiming Telegram replies at once, over and over: every reply is claimed by exactly one.
    @Test func twoProcessesNeverClaimTheSameChatReply() async throws {
        try await PostgresPair.with { a, b async throws in
            let expected = try await Self.replies(a, count: 24) { try await Self.telegramWrites(a, "\($0)", user: "55500\(10 + $0)") }
            let claimed = try await PostgresPair.claimAll(a, b) { store in
                try await store.claimChatReplies(channels: ["telegram"], limit: 3, lease: 600).map(\.messageID)
            }
            #expect(claimed.sorted() == expected.sorted(), "each reply claimed once, none twice")
        }
    }

    /// Two processes marking the same replies sent at once: each delivery is counted and announced once.
    @Test func twoProcessesMarkingTheSameRepliesSentCountThemOnce() async throws {
        try await PostgresPair.with { a, b async throws in
            let ids = try await Self.replies(a, count: 10) { try await Self.visitorWrites(a, "c\($0)", visitor: "visitor-\($0)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await a.markChatSent(messageIDs: ids) }
                group.addTask { try await b.markChatSent(messageIDs: ids.reversed()) }
                try await group.waitForAll()
            }
            let deliveries = try await a.events(after: 0, limit: 1000).filter { $0.type == .messageDelivery }
            #expect(deliveries.count == ids.count)
        }
    }
}
