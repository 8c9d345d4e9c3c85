import Crypto
import Foundation
import PishkhanCore
@testable import PishkhanStore
import Testing

/// The answer bot's turns and decisions on both backends (see `Backend`).
@Suite(.timeLimit(.minutes(2)))
struct BotStoreTests {
    static let chat = ChannelSettings(id: "chat", kind: .chat)

    static func visitorWrites(_ store: any Backend.Conforming, _ id: String, visitor: String = "visitor-ali", text: String,
                              automated: Bool = false) async throws -> IngestResult {
        var message = InboundMessage(channel: "chat", channelKind: .chat, externalID: id, sender: .init(address: visitor), text: text)
        message.automated = automated
        return try await store.ingest(message, channel: Self.chat, rules: Fixture.rules)
    }

    static func decision(_ turn: BotTurn, _ action: BotAction, reply: String? = nil) -> BotDecisionInput {
        BotDecisionInput(
            turn: turn, action: action, reason: action == .answered ? .confident : .customerAskedForPerson, locale: .en,
            candidates: [BotCandidate(articleID: "password-reset-en", score: 0.9), BotCandidate(articleID: "orders-en", score: 0.2)],
            articleID: action == .answered ? "password-reset-en" : nil, replyText: reply, replyHTML: nil)
    }

    /// The bot's next turns, moving its watermark as the worker does.
    static func turns(_ store: any Backend.Conforming) async throws -> [BotTurn] {
        let work = try await store.botTurns(channels: ["chat"], limit: 500)
        try await store.advanceBotWatermark(to: work.watermark)
        return work.turns
    }

    @Test(arguments: Backend.allCases)
    func theFirstPassStartsAfterWhatIsStoredAndTheWatermarkNeverMovesBack(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let old = try await Self.visitorWrites(store, "c0", text: "an old question")
            let first = try await store.botTurns(channels: ["chat"], limit: 500)
            #expect(old.messageID > 0)
            let newest = try await store.latestEventSeq()
            #expect(first.turns.isEmpty && first.watermark == newest, "old mail is never answered")
            try await store.advanceBotWatermark(to: first.watermark)
            try await store.advanceBotWatermark(to: first.watermark - 1)
            #expect(try await store.botTurns(channels: ["chat"], limit: 500).watermark == first.watermark, "never back")
            #expect(try await store.botTurns(channels: [], limit: 500).turns.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func aTurnGathersTheCustomersMessagesAndSkipsMachinesOtherChannelsAndTakenTickets(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            #expect(try await Self.turns(store).isEmpty)
            let me = try await store.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0
            let ali1 = try await Self.visitorWrites(store, "a1", text: "How can I reset my password?")
            let ali2 = try await Self.visitorWrites(store, "a2", text: "  I forgot it  ")
            _ = try await Self.visitorWrites(store, "a3", text: "Out of office", automated: true)
            _ = try await store.ingest(Fixture.email("m1", text: "How can I reset my password?"), channel: Fixture.email, rules: Fixture.rules)
            let taken = try await Self.visitorWrites(store, "s1", visitor: "visitor-sara", text: "hello")
            _ = try await store.addNote(ticketID: taken.ticketID, text: "I have this one", actor: me.id)
            let omid = try await Self.visitorWrites(store, "o1", visitor: "visitor-omid", text: "where is my order")

            let work = try await store.botTurns(channels: ["chat"], limit: 500)
            #expect(work.turns.map(\.ticket.id) == [ali1.ticketID, omid.ticketID])
            let turn = try #require(work.turns.first)
            #expect(ali2.ticketID == ali1.ticketID)
            #expect(turn.messageIDs == [ali1.messageID, ali2.messageID] && turn.text == "How can I reset my password?\nI forgot it")
            #expect(turn.answersBefore == 0 && !turn.awaitingConfirmation)
            #expect(turn.ticket == (try await store.ticket(id: ali1.ticketID)))
            let newest = try await store.latestEventSeq()
            #expect(work.watermark == newest, "the watermark is a place in the event log")
            let firstTwo = try await store.events(after: 0, limit: 2).last?.seq
            #expect(try await store.botTurns(channels: ["chat"], limit: 2).watermark == firstTwo, "the limit counts every event")
        }
    }

    @Test(arguments: Backend.allCases)
    func anAnswerIsStoredOnceWithItsReplyAndTheConfirmationResolves(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            _ = try await Self.turns(store)
            let asked = try await Self.visitorWrites(store, "q1", text: "How can I reset my password?")
            let turn = try #require(try await Self.turns(store).first)
            let answer = try #require(try await store.recordBotDecision(Self.decision(turn, .answered, reply: "See the password page.")))
            #expect(answer.ticketID == asked.ticketID && answer.messageID == asked.messageID && answer.action == .answered)
            #expect(answer.query == "How can I reset my password?" && answer.articleID == "password-reset-en" && answer.candidates.count == 2)
            let reply = try #require(try await store.messages(ticketID: asked.ticketID).last)
            #expect(reply.id == answer.replyMessageID && reply.kind == .bot && reply.deliveryStatus == .queued && reply.text == "See the password page.")
            #expect(try await store.ticket(id: asked.ticketID).status == .pending)
            #expect(try await store.outbox(status: .queued, limit: 10).map(\.messageID) == [reply.id])
            #expect(try await store.recordBotDecision(Self.decision(turn, .answered, reply: "again")) == nil, "decided already")
            #expect(try await Self.turns(store).isEmpty, "the bot's own reply is no turn")

            let thanks = try await Self.visitorWrites(store, "q2", text: "yes thanks, that helped")
            let next = try #require(try await Self.turns(store).first)
            #expect(next.messageIDs == [thanks.messageID] && next.answersBefore == 1 && next.awaitingConfirmation)
            let resolved = try #require(try await store.recordBotDecision(Self.decision(next, .resolved)))
            #expect(resolved.replyMessageID == nil)
            #expect(try await store.ticket(id: asked.ticketID).status == .resolved)
            #expect(try await store.botDecisions(ticketID: asked.ticketID) == [answer, resolved])
            let decided = try await store.events(after: 0, limit: 100).filter { $0.type == .botDecision }
            #expect(decided.map { $0.data["action"] } == [.string("answered"), .string("resolved")])
            await #expect(throws: StoreError.notFound("ticket 999999 does not exist")) { try await store.botDecisions(ticketID: 999_999) }
        }
    }

    @Test(arguments: Backend.allCases)
    func aDecisionYieldsToANewerMessageAndToAPerson(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            _ = try await Self.turns(store)
            let me = try await store.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0
            let asked = try await Self.visitorWrites(store, "h1", text: "I want to talk to a person")
            let turn = try #require(try await Self.turns(store).first)
            _ = try await Self.visitorWrites(store, "h2", text: "hello?")
            #expect(try await store.recordBotDecision(Self.decision(turn, .handedOver, reply: "A person will answer.")) == nil,
                    "the customer wrote again meanwhile: the next turn decides")
            let next = try #require(try await Self.turns(store).first)
            let handover = try #require(try await store.recordBotDecision(Self.decision(next, .handedOver, reply: "A person will answer.")))
            #expect(handover.action == .handedOver && handover.replyMessageID != nil)
            #expect(try await store.ticket(id: asked.ticketID).status == .open)
            _ = try await Self.visitorWrites(store, "h3", text: "still there?")
            #expect(try await Self.turns(store).isEmpty, "handed over: the bot stays out")

            let other = try await Self.visitorWrites(store, "p1", visitor: "visitor-omid", text: "where is my order")
            let pending = try #require(try await Self.turns(store).first)
            _ = try await store.reply(ticketID: other.ticketID, ReplyInput(text: "On its way"), actor: me.id)
            #expect(try await store.recordBotDecision(Self.decision(pending, .answered, reply: "bot")) == nil, "a person took the ticket")
            #expect(try await store.botDecisions(ticketID: other.ticketID).isEmpty)
        }
    }

    /// A bot upgraded from keeping its place as a message id resumes at the first message after that id.
    @Test(arguments: Backend.allCases)
    func aWatermarkKeptAsAMessageIDResumesAtTheNextMessage(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let decided = try await Self.visitorWrites(store, "l1", text: "an answered question")
            let waiting = try await Self.visitorWrites(store, "l2", visitor: "visitor-omid", text: "where is my order")
            let legacy = String(decided.messageID)
            switch store {
            case let sqlite as SQLiteStore:
                _ = try await sqlite.write { db, _ in
                    try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?)", arguments: [BotInbox.legacyWatermarkKey, legacy])
                }
            case let postgres as PostgresStore:
                _ = try await postgres.write { connection, _ in
                    try await connection.query("INSERT INTO settings (key, value) VALUES (\(BotInbox.legacyWatermarkKey), \(legacy))",
                                               logger: PostgresPair.logger)
                }
            default: Issue.record("unknown backend")
            }
            #expect(try await Self.turns(store).isEmpty, "the first pass only finds its place")
            let turns = try await Self.turns(store)
            #expect(turns.map(\.ticket.id) == [waiting.ticketID] && turns.first?.messageIDs == [waiting.messageID])
        }
    }

    /// PostgreSQL numbers a message when it is inserted, not when it commits: a message held in its
    /// transaction while a later-numbered one commits and the bot moves on still gets its turn.
    @Test func aMessageCommittedAfterALaterNumberedOneStillGetsATurn() async throws {
        try await PostgresPair.with { store, other async throws in
            _ = try await Self.turns(store)
            let photo = Data("a photo of the broken parcel".utf8)
            let (held, hold) = AsyncStream.makeStream(of: Void.self)
            let (released, release) = AsyncStream.makeStream(of: Void.self)
            // Another transaction stores the same file first and stays open: the ingest below inserts its
            // message, then waits on the file's row.
            let blocker = Task {
                try await other.write { connection, _ in
                    try await PGBlobs.insert(connection, logger: PostgresPair.logger,
                                             [(Hex.encode(SHA256.hash(data: photo)), photo)], at: Date())
                    hold.yield()
                    for await _ in released { break }
                }
            }
            for await _ in held { break }
            var message = InboundMessage(channel: "chat", channelKind: .chat, externalID: "slow", sender: .init(address: "visitor-ali"),
                                         text: "my parcel arrived broken")
            message.attachments = [.init(name: "parcel.jpg", contentType: "image/jpeg", content: photo)]
            let slow = Task { [message] in try await store.ingest(message, channel: Self.chat, rules: Fixture.rules) }
            try await PostgresPair.waitForLockWaiters(other, count: 1)
            let quick = try await Self.visitorWrites(other, "quick", visitor: "visitor-omid", text: "where is my order")
            #expect(try await Self.turns(store).map(\.ticket.id) == [quick.ticketID])
            release.yield()
            try await blocker.value
            let late = try await slow.value
            #expect(late.messageID < quick.messageID, "the held message was numbered first")
            let turns = try await Self.turns(store)
            #expect(turns.map(\.ticket.id) == [late.ticketID] && turns.first?.messageIDs == [late.messageID])
        }
    }

    /// Two processes' bots deciding the same turn at once: one decision and one reply are stored.
    @Test func twoProcessesDecidingOneTurnStoreOneDecision() async throws {
        try await PostgresPair.with { a, b async throws in
            _ = try await Self.turns(a)
            for i in 0..<8 { _ = try await Self.visitorWrites(a, "c\(i)", visitor: "visitor-\(i)", text: "How can I reset my password?") }
            let turns = try await Self.turns(a)
            #expect(turns.count == 8)
            let stored = try await withThrowingTaskGroup(of: Int.self) { group in
                for store in [a, b] {
                    group.addTask {
                        var count = 0
                        for turn in turns where try await store.recordBotDecision(Self.decision(turn, .answered, reply: "See the page.")) != nil {
                            count += 1
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(stored == turns.count)
            for turn in turns {
                #expect(try await a.botDecisions(ticketID: turn.ticket.id).count == 1)
                #expect(try await a.messages(ticketID: turn.ticket.id).filter { $0.kind == .bot }.count == 1)
            }
        }
    }
}
