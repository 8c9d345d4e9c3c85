import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanServer
import PishkhanStore
import Synchronization
import Testing

/// A partner's callback endpoint and a Bot API on loopback: records every request and answers from a script.
final class FakeChatPlatform: Sendable {
    struct Recorded: Sendable {
        var path: String
        var headers: HTTPFields
        var body: Data

        func header(_ name: String) -> String? { headers.first { $0.name.canonicalName == name.lowercased() }?.value }
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
    }

    private let state = Mutex<(recorded: [Recorded], script: [(HTTPResponse.Status, String)])>(([], []))

    init(script: [(HTTPResponse.Status, String)]) { state.withLock { $0.script = script } }

    var recorded: [Recorded] { state.withLock { $0.recorded } }

    var application: some ApplicationProtocol {
        let router = Router()
        @Sendable func record(_ request: Request, _ fallback: String) async throws -> Response {
            let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
            let (status, json) = self.state.withLock { s -> (HTTPResponse.Status, String) in
                s.recorded.append(Recorded(path: request.uri.path, headers: request.headers, body: body))
                return s.script.isEmpty ? (.ok, fallback) : s.script.removeFirst()
            }
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        router.post("pishkhan/replies") { request, _ in try await record(request, "{}") }
        router.post(":bot/sendMessage") { request, _ in try await record(request, #"{"ok":true,"result":{"message_id":1}}"#) }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}

@Suite struct ChatWebhookOutboxTests {
    typealias App = ChatWebhookTestApp

    /// A customer's message on `channel` and an agent's reply to it, queued.
    static func replyQueued(_ app: App, inbound: InboundMessage, channel: ChannelSettings, text: String) async throws -> (ticket: Int64, message: Int64) {
        let ingest = try await app.store.ingest(inbound, channel: channel, rules: .standard)
        let (agent, _) = try await app.store.createAgent(name: "Neda", role: .agent, email: nil, groups: [], capacity: nil)
        let reply = try await app.store.reply(ticketID: ingest.ticketID, ReplyInput(text: text), actor: agent.id)
        return (ingest.ticketID, reply.id)
    }

    static func message(_ app: App, _ ticket: Int64, _ id: Int64) async throws -> Message {
        try #require(try await app.store.messages(ticketID: ticket).first { $0.id == id })
    }

    static let visitor = ChatWebhookInbound(conversationID: "c-81", senderID: "v-12", messageID: "m-1", text: "سلام")

    @Test func aCallbackIsSignedRetriedAfter500And429AndDeliveredOnce() async throws {
        let platform = FakeChatPlatform(script: [
            (.internalServerError, "oops"),
            (.tooManyRequests, #"{"error":"slow down"}"#),
            (.ok, #"{"id":"p-991"}"#),
        ])
        try await platform.application.test(.live) { platformClient in
            let app = try await App.make(callbackBase: "http://127.0.0.1:\(try #require(platformClient.port))")
            let text = "سلام سارا، بسته شما امروز ارسال می‌شود."
            let (ticket, id) = try await Self.replyQueued(
                app, inbound: Self.visitor.message(channel: "partner-chat", receivedAt: app.clock.now()),
                channel: ChannelSettings(id: "partner-chat", kind: .webhook), text: text)
            let worker = app.worker()

            #expect(try await worker.deliverDue() == 1)
            #expect(try await Self.message(app, ticket, id).deliveryStatus == .queued, "a 500 is retried")
            #expect(try await worker.deliverDue() == 0, "not before the backoff")
            app.clock.advance(by: 31)
            #expect(try await worker.deliverDue() == 1)
            #expect(try await app.store.outbox(status: nil, limit: 10).first?.lastError?.contains("HTTP 429") == true)
            app.clock.advance(by: 61)
            #expect(try await worker.deliverDue() == 1)
            app.clock.advance(by: 7200)
            #expect(try await worker.deliverDue() == 0, "delivered once, never again")

            let message = try await Self.message(app, ticket, id)
            #expect(message.deliveryStatus == .sent && message.providerID == "p-991")
            let requests = platform.recorded
            #expect(requests.count == 3)
            for request in requests {
                #expect(request.path == "/pishkhan/replies" && request.header("Content-Type") == "application/json")
                // The partner checks our signature exactly as we check theirs.
                let verdict = ChatWebhookSignature.verify(
                    signature: request.header("X-Pishkhan-Signature"), timestamp: request.header("X-Pishkhan-Timestamp"),
                    body: Array(request.body), secret: App.secret, now: app.clock.now().addingTimeInterval(-7200))
                #expect((try? verdict.get()) != nil, "signed with the shared secret")
                let other = ChatWebhookSignature.verify(signature: request.header("X-Pishkhan-Signature"), timestamp: request.header("X-Pishkhan-Timestamp"),
                                                        body: Array(request.body), secret: "other", now: app.clock.now().addingTimeInterval(-7200))
                #expect((try? other.get()) == nil)
            }
            let json = try #require(requests.last?.json)
            #expect(json["conversationId"] as? String == "c-81" && json["recipientId"] as? String == "v-12")
            #expect(json["text"] as? String == text && json["kind"] as? String == "reply" && json["channel"] as? String == "partner-chat")
            #expect(json["messageId"] as? String == String(id), "the same id on every retry, for the partner to drop duplicates")
            #expect(Set(requests.compactMap { $0.json?["messageId"] as? String }) == [String(id)])
        }
    }

    @Test func aCallbackRefusalFailsTheReply() async throws {
        let platform = FakeChatPlatform(script: [(.badRequest, #"{"error":"unknown conversation"}"#)])
        try await platform.application.test(.live) { platformClient in
            let app = try await App.make(callbackBase: "http://127.0.0.1:\(try #require(platformClient.port))")
            let (ticket, id) = try await Self.replyQueued(
                app, inbound: Self.visitor.message(channel: "partner-chat", receivedAt: app.clock.now()),
                channel: ChannelSettings(id: "partner-chat", kind: .webhook), text: "Hello")
            let worker = app.worker()
            #expect(try await worker.deliverDue() == 1)
            app.clock.advance(by: 7200)
            #expect(try await worker.deliverDue() == 0, "a 400 is not retried")
            let message = try await Self.message(app, ticket, id)
            #expect(message.deliveryStatus == .failed && message.deliveryError?.contains("unknown conversation") == true)
            #expect(platform.recorded.count == 1)
        }
    }

    @Test func anUnreachableCallbackIsRetried() async throws {
        let app = try await App.make(callbackBase: "http://127.0.0.1:9")
        let (ticket, id) = try await Self.replyQueued(
            app, inbound: Self.visitor.message(channel: "partner-chat", receivedAt: app.clock.now()),
            channel: ChannelSettings(id: "partner-chat", kind: .webhook), text: "Hello")
        #expect(try await app.worker(timeout: .seconds(1)).deliverDue() == 1)
        #expect(try await Self.message(app, ticket, id).deliveryStatus == .queued)
        #expect(try await app.store.outbox(status: .queued, limit: 10).first?.lastError?.contains("cannot reach the callback URL") == true)
    }

    static func telegramMessage(_ app: App) -> InboundMessage {
        InboundMessage(channel: "telegram", channelKind: .telegram, externalID: "5550001:17", sender: .init(kind: .telegram, address: "5550001"),
                       threadHints: .init(conversationID: "5550001"), text: "سلام")
    }

    @Test func telegramRepliesRespectRetryAfterAndSendEachPartOnce() async throws {
        let platform = FakeChatPlatform(script: [
            (.tooManyRequests, #"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#),
            (.ok, #"{"ok":true,"result":{"message_id":801,"chat":{"id":5550001,"type":"private"},"date":1}}"#),
            (.badGateway, #"{"ok":false,"error_code":502,"description":"Bad Gateway"}"#),
            (.ok, #"{"ok":true,"result":{"message_id":802,"chat":{"id":5550001,"type":"private"},"date":1}}"#),
        ])
        try await platform.application.test(.live) { platformClient in
            let app = try await App.make(telegramBase: "http://127.0.0.1:\(try #require(platformClient.port))")
            let first = String(repeating: "خط اول پاسخ. ", count: 300)      // 3900 UTF-16 units
            let second = String(repeating: "second line. ", count: 100)
            let text = first + "\n" + second
            let (ticket, id) = try await Self.replyQueued(app, inbound: Self.telegramMessage(app), channel: ChannelSettings(id: "telegram", kind: .telegram), text: text)
            let worker = app.worker()

            #expect(try await worker.deliverDue() == 1)                 // 429: wait what Telegram says
            app.clock.advance(by: 6)
            #expect(try await worker.deliverDue() == 0, "not before retry_after")
            app.clock.advance(by: 1)
            #expect(try await worker.deliverDue() == 1)                 // part 1 sent, part 2 gets a 502
            #expect(try await Self.message(app, ticket, id).deliveryStatus == .queued)
            app.clock.advance(by: 60)
            #expect(try await worker.deliverDue() == 1)                 // only part 2 again
            app.clock.advance(by: 7200)
            #expect(try await worker.deliverDue() == 0)

            let message = try await Self.message(app, ticket, id)
            #expect(message.deliveryStatus == .sent && message.providerID == "802")
            let requests = platform.recorded
            #expect(requests.map(\.path) == Array(repeating: "/bot123456:TEST-token/sendMessage", count: 4))
            let texts = requests.compactMap { $0.json?["text"] as? String }
            #expect(texts == [first.trimmingCharacters(in: .whitespaces), first.trimmingCharacters(in: .whitespaces),
                              second.trimmingCharacters(in: .whitespaces), second.trimmingCharacters(in: .whitespaces)])
            #expect(requests.allSatisfy { $0.json?["chat_id"] as? String == "5550001" })
        }
    }

    @Test func aTelegramRefusalFailsTheReplyWithItsDescription() async throws {
        let platform = FakeChatPlatform(script: [(.forbidden, #"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#)])
        try await platform.application.test(.live) { platformClient in
            let app = try await App.make(telegramBase: "http://127.0.0.1:\(try #require(platformClient.port))")
            let (ticket, id) = try await Self.replyQueued(app, inbound: Self.telegramMessage(app), channel: ChannelSettings(id: "telegram", kind: .telegram), text: "Hi")
            #expect(try await app.worker().deliverDue() == 1)
            app.clock.advance(by: 7200)
            #expect(try await app.worker().deliverDue() == 0)
            let message = try await Self.message(app, ticket, id)
            #expect(message.deliveryStatus == .failed && message.deliveryError == "HTTP 403: Forbidden: bot was blocked by the user")
        }
    }

    @Test func anUnreachableBotAPIIsRetriedWithoutTheTokenInTheReason() async throws {
        let app = try await App.make(telegramBase: "http://127.0.0.1:9")
        let (ticket, id) = try await Self.replyQueued(app, inbound: Self.telegramMessage(app), channel: ChannelSettings(id: "telegram", kind: .telegram), text: "Hi")
        #expect(try await app.worker(timeout: .seconds(1)).deliverDue() == 1)
        #expect(try await Self.message(app, ticket, id).deliveryStatus == .queued)
        let reason = try #require(try await app.store.outbox(status: .queued, limit: 10).first?.lastError)
        #expect(reason.contains("cannot reach the Bot API") && !reason.contains(App.telegramCredentials.botToken))
    }
}
