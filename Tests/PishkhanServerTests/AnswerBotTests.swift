import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PishkhanCore
import PishkhanServer
import PishkhanStore
import Testing

/// The answer bot on a channel that enables it (`chat` in the test app), with the shipped knowledge base:
/// customers' messages come in through the API, the bot worker decides, and what it did is read back the
/// way agents and supervisors see it.
@Suite struct AnswerBotServerTests {
    static let shipped = Repository.root.appendingPathComponent("KnowledgeBase")

    static func chat(_ c: TestApp.Client, _ id: String, _ text: String, from visitor: String = "visitor-ali", automated: Bool = false) async throws -> Int64 {
        let reply = try await c.call(.post, "/api/v1/inbound", as: .integration, body: """
            {"channel":"chat","channelKind":"chat","externalID":"\(id)","sender":{"address":"\(visitor)","displayName":"Ali Rezaei"},
             "text":"\(text)","automated":\(automated)}
            """)
        #expect(reply.status == .created, "\(reply.text)")
        return try #require(reply.int("ticketID"))
    }

    static func worker(_ app: TestApp) -> AnswerBotWorker {
        AnswerBotWorker(channels: TestApp.channels, store: app.store, knowledge: app.deps.knowledge, logger: Logger(label: "test"))
    }

    static func messages(_ c: TestApp.Client, _ ticket: Int64) async throws -> [[String: Any]] {
        try await c.call(.get, "/api/v1/tickets/\(ticket)", as: .agent).json["messages"] as? [[String: Any]] ?? []
    }

    static func decisions(_ c: TestApp.Client, _ ticket: Int64) async throws -> [[String: Any]] {
        let reply = try await c.call(.get, "/api/v1/tickets/\(ticket)/bot-decisions", as: .agent)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.json["items"] as? [[String: Any]] ?? []
    }

    @Test func answersWaitsForTheCustomerAndResolvesWhenItHelped() async throws {
        let app = try await TestApp.make(knowledgeBase: Self.shipped)
        let bot = Self.worker(app)
        try await bot.runOnce()  // the first pass starts after what is already stored
        try await app.run { c in
            let ticket = try await Self.chat(c, "m1", "How can I reset my password? I forgot it")
            let first = try await bot.runOnce()
            #expect(first.map(\.action) == [.answered], "\(first)")

            let messages = try await Self.messages(c, ticket)
            let answer = try #require(messages.last)
            #expect(answer["kind"] as? String == "bot")
            #expect(answer["deliveryStatus"] as? String == "queued", "the answer goes out through the outbox")
            let text = answer["text"] as? String ?? ""
            #expect(text.contains("http://127.0.0.1:8080/help/password-reset-en"), "\(text)")
            #expect(!text.contains("{{"))
            #expect((try await c.call(.get, "/api/v1/tickets/\(ticket)", as: .agent).json["ticket"] as? [String: Any])?["status"] as? String == "pending")

            let recorded = try await Self.decisions(c, ticket)
            #expect(recorded.count == 1)
            #expect(recorded.first?["action"] as? String == "answered")
            #expect(recorded.first?["reason"] as? String == "confident")
            #expect(recorded.first?["articleID"] as? String == "password-reset-en")
            let candidates = recorded.first?["candidates"] as? [[String: Any]] ?? []
            #expect(candidates.count >= 2 && (candidates[0]["score"] as? Double ?? 0) > (candidates[1]["score"] as? Double ?? 0), "\(candidates)")

            // A second pass (a restart) answers nothing twice.
            #expect(try await bot.runOnce().isEmpty)

            _ = try await Self.chat(c, "m2", "yes thanks, that helped")
            let second = try await bot.runOnce()
            #expect(second.map(\.action) == [.resolved], "\(second)")
            #expect((try await c.call(.get, "/api/v1/tickets/\(ticket)", as: .agent).json["ticket"] as? [String: Any])?["status"] as? String == "resolved")
            #expect(try await Self.messages(c, ticket).filter { $0["kind"] as? String == "bot" }.count == 1, "a confirmation needs no reply")
        }
    }

    @Test func handsOverOnRequestInPersianAndStaysOut() async throws {
        let app = try await TestApp.make(knowledgeBase: Self.shipped)
        let bot = Self.worker(app)
        try await bot.runOnce()
        try await app.run { c in
            let ticket = try await Self.chat(c, "f1", "سلام، می‌خوام با اپراتور صحبت کنم", from: "visitor-maryam")
            let decided = try await bot.runOnce()
            #expect(decided.map(\.reason) == [.customerAskedForPerson], "\(decided)")
            let detail = try await c.call(.get, "/api/v1/tickets/\(ticket)", as: .agent).json
            #expect((detail["ticket"] as? [String: Any])?["status"] as? String == "open", "the ticket is in the human queue")
            let handoff = try #require((detail["messages"] as? [[String: Any]])?.last)
            #expect(handoff["kind"] as? String == "bot")
            #expect((handoff["text"] as? String ?? "").contains("پشتیبانی"), "the Persian handoff message: \(handoff)")

            // Once handed over, the bot says nothing more on this ticket, whatever the customer writes.
            _ = try await Self.chat(c, "f2", "رمز عبورم را فراموش کرده‌ام", from: "visitor-maryam")
            #expect(try await bot.runOnce().isEmpty)
            #expect(try await Self.decisions(c, ticket).count == 1)
        }
    }

    @Test func neverAnswersAutoRepliesAgentsOrOtherChannels() async throws {
        let app = try await TestApp.make(knowledgeBase: Self.shipped)
        let bot = Self.worker(app)
        try await bot.runOnce()
        try await app.run { c in
            // The bot answered; then an auto-reply ("I am away") arrives on the ticket. It is not the customer's
            // turn: no "not confirmed" handover, no reply to the robot, no loop.
            let ticket = try await Self.chat(c, "a1", "How can I reset my password? I forgot it", from: "visitor-leila")
            #expect(try await bot.runOnce().map(\.action) == [.answered])
            #expect(try await Self.chat(c, "a2", "Out of office: I am away until Monday.", from: "visitor-leila", automated: true) == ticket)
            #expect(try await bot.runOnce().isEmpty)
            #expect(try await Self.decisions(c, ticket).count == 1)
            #expect(try await Self.messages(c, ticket).filter { $0["kind"] as? String == "bot" }.count == 1)

            // An agent already wrote on the ticket: the bot stays out.
            let taken = try await Self.chat(c, "t1", "hello", from: "visitor-sara")
            let note = try await c.call(.post, "/api/v1/tickets/\(taken)/notes", as: .agent, body: #"{"text":"I have this one"}"#)
            #expect(note.status == .created, "\(note.text)")
            _ = try await Self.chat(c, "t2", "How can I reset my password?", from: "visitor-sara")
            #expect(try await bot.runOnce().isEmpty)

            // The email channel has no bot.
            let mail = try #require(try await c.inbound("e1", text: "How can I reset my password?").int("ticketID"))
            #expect(try await bot.runOnce().isEmpty)
            #expect(try await Self.decisions(c, mail).isEmpty)
        }
    }

    @Test func aSecondQuestionWithoutConfirmingGoesToAPerson() async throws {
        let app = try await TestApp.make(knowledgeBase: Self.shipped)
        let bot = Self.worker(app)
        try await bot.runOnce()
        try await app.run { c in
            let ticket = try await Self.chat(c, "q1", "How can I reset my password? I forgot it", from: "visitor-omid")
            #expect(try await bot.runOnce().map(\.action) == [.answered])
            _ = try await Self.chat(c, "q2", "That is not my problem, the order never arrived", from: "visitor-omid")
            let next = try await bot.runOnce()
            #expect(next.map(\.reason) == [.answerNotConfirmed], "\(next)")
            #expect((try await c.call(.get, "/api/v1/tickets/\(ticket)", as: .agent).json["ticket"] as? [String: Any])?["status"] as? String == "open")
            let actions = try await Self.decisions(c, ticket).compactMap { $0["action"] as? String }
            #expect(actions == ["answered", "handed-over"])
        }
    }
}
