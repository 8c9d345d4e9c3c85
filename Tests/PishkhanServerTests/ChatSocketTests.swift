import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import PishkhanChannels
import PishkhanCore
@testable import PishkhanServer
import PishkhanStore
import Synchronization
import Testing

/// `/ws/chat/{channel}` over real sockets: a visitor's hello, ack after commit, live and replayed agent
/// replies, and the limits and isolation the channel file and the visitor token enforce.
@Suite struct ChatSocketTests {
    static let origin = "https://shop.example"

    struct Harness {
        let app: TestApp
        let deps: AppDependencies

        static func make(messagesPerMinute: Int = 30) async throws -> Harness {
            let app = try await TestApp.make()
            let channels = ChannelDirectory(TestApp.channels.sorted, chat: [
                // The test client always sends `Origin: ws://127.0.0.1` besides the page's own.
                ChatChannelConfig(channel: "chat", allowedOrigins: [ChatSocketTests.origin, "ws://127.0.0.1"], maxFrameBytes: 2048,
                                  messagesPerMinute: messagesPerMinute, maxMessageLength: 500),
            ])
            return Harness(app: app, deps: AppDependencies(store: app.store, channels: channels))
        }

        func live(_ test: @escaping @Sendable (Int) async throws -> Void) async throws {
            let server = buildApplication(deps, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
            try await server.test(.live) { client in try await test(try #require(client.port)) }
        }

        func reply(_ ticketID: Int64, _ text: String) async throws -> Message {
            try await app.store.reply(ticketID: ticketID, ReplyInput(text: text), actor: app.agents[.agent]!.id)
        }
    }

    /// One visitor connection driven by a test: frames in and out as JSON objects.
    struct Visitor {
        let outbound: WebSocketOutboundWriter
        var frames: AsyncStream<String>.AsyncIterator

        mutating func send(_ json: String) async throws { try await outbound.write(.text(json)) }

        /// The next frame from the server; nil when the connection ended.
        mutating func next() async throws -> [String: Any]? {
            guard let text = await frames.next() else { return nil }
            return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        }

        mutating func expect(_ type: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
            let frame = try #require(try await next(), "connection ended; wanted \(type)", sourceLocation: sourceLocation)
            #expect(frame["type"] as? String == type, "\(frame)", sourceLocation: sourceLocation)
            return frame
        }

        /// Says hello and returns the welcome frame.
        mutating func hello(token: String? = nil, lastSeq: Int64? = nil, name: String = "Sara", email: String? = nil) async throws -> [String: Any] {
            var fields = ["\"type\":\"hello\"", "\"name\":\"\(name)\""]
            if let email { fields.append("\"email\":\"\(email)\"") }
            if let token { fields.append("\"visitorToken\":\"\(token)\"") }
            if let lastSeq { fields.append("\"lastSeq\":\(lastSeq)") }
            try await send("{\(fields.joined(separator: ","))}")
            return try await expect("welcome")
        }

        /// Sends a message and returns the server's answer to it (ack or error).
        mutating func message(_ id: String, _ text: String) async throws -> [String: Any] {
            try await send(#"{"type":"message","id":"\#(id)","text":"\#(text)"}"#)
            return try #require(try await next())
        }

        /// A round trip that proves every frame the server had queued before it has arrived.
        mutating func sync(_ id: String = "probe") async throws -> [[String: Any]] {
            try await send(#"{"type":"read","id":"\#(id)","seq":0}"#)
            var before: [[String: Any]] = []
            while let frame = try await next() {
                if frame["type"] as? String == "ack", frame["id"] as? String == id { return before }
                before.append(frame)
            }
            Issue.record("connection ended before the ack of \(id)")
            return before
        }
    }

    /// Connects as a visitor from `origin` and runs `script`; fails after 20 s rather than hang.
    static func visit(_ port: Int, origin: String? = ChatSocketTests.origin, channel: String = "chat",
                      _ script: @escaping @Sendable (inout Visitor) async throws -> Void) async throws {
        var headers = HTTPFields()
        if let origin { headers[.origin] = origin }
        try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(port)/ws/chat/\(channel)", configuration: .init(maxFrameSize: 1 << 16, additionalHeaders: headers),
            logger: Logger(label: "visitor")
        ) { inbound, outbound, _ in
            let (stream, continuation) = AsyncStream<String>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { continuation.finish() }
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        if case .text(let text) = message { continuation.yield(text) }
                    }
                }
                group.addTask {
                    var visitor = Visitor(outbound: outbound, frames: stream.makeAsyncIterator())
                    try await script(&visitor)
                    try await outbound.close(.normalClosure, reason: nil)
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(20))
                    throw CancellationError()
                }
                try await group.next()
                try await group.next()
                group.cancelAll()
            }
        }
    }

    @Test func messageIsAckedAfterCommitAndResendIsADuplicate() async throws {
        let h = try await Harness.make()
        try await h.live { port in
            try await Self.visit(port) { v in
                let welcome = try await v.hello()
                let token = try #require(welcome["visitorToken"] as? String)
                #expect(token.hasPrefix("v1."))
                let ack = try await v.message("c1", "سلام، سفارشم کجاست؟")
                #expect(ack["type"] as? String == "ack" && ack["id"] as? String == "c1", "\(ack)")
                let messageID = try #require((ack["messageID"] as? NSNumber)?.int64Value)
                let ticketID = try #require((ack["ticketID"] as? NSNumber)?.int64Value)
                // Acked means stored: the ticket and the message are there.
                let ticket = try await h.app.store.ticket(id: ticketID)
                #expect(ticket.channel == "chat" && ticket.channelKind == .chat)
                let messages = try await h.app.store.messages(ticketID: ticketID)
                #expect(messages.map(\.id) == [messageID])
                #expect(messages.first?.text == "سلام، سفارشم کجاست؟")
                // The same client id again (a resend after a lost ack) is the same message.
                let again = try await v.message("c1", "سلام، سفارشم کجاست؟")
                #expect(again["type"] as? String == "ack" && (again["messageID"] as? NSNumber)?.int64Value == messageID, "\(again)")
                #expect(again["duplicate"] as? Bool == true)
                #expect(try await h.app.store.messages(ticketID: ticketID).count == 1)
                // The customer is known by the visitor id in the token.
                let visitorID = try #require((welcome["conversation"] as? [String: Any])?["visitorID"] as? String)
                #expect(token.contains(visitorID))
                let profile = try await h.app.store.customerSummary(id: ticket.customerID)
                #expect(profile.identities.contains { $0.kind == .chat && $0.value == visitorID })
            }
        }
    }

    @Test func agentReplyThroughTheAPIIsPushedLiveAndMarkedSent() async throws {
        let h = try await Harness.make()
        let agentToken = h.app.tokens[.agent]!
        let server = buildApplication(h.deps, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await server.test(.live) { client in
            let port = try #require(client.port)
            try await Self.visit(port) { v in
                _ = try await v.hello()
                let ack = try await v.message("c1", "Where is my order?")
                let ticketID = try #require((ack["ticketID"] as? NSNumber)?.int64Value)
                let response = try await client.execute(
                    uri: "/api/v1/tickets/\(ticketID)/replies", method: .post,
                    headers: [.authorization: "Bearer \(agentToken)", .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"text":"It ships today."}"#))
                #expect(response.status == .created || response.status == .ok)
                let pushed = try await v.expect("message")
                #expect(pushed["text"] as? String == "It ships today.")
                #expect(pushed["from"] as? String == "agent")
                #expect((pushed["ticketID"] as? NSNumber)?.int64Value == ticketID)
                let seq = try #require((pushed["seq"] as? NSNumber)?.int64Value)
                // Delivered to an open connection: the outbox row does not stay queued.
                _ = try await v.sync()
                let message = try await h.app.store.messages(ticketID: ticketID).first { $0.id == seq }
                #expect(message?.deliveryStatus == .sent)
                #expect(try await h.app.store.outbox(status: .queued, limit: 10).isEmpty)
            }
        }
    }

    @Test func reconnectWithTokenReplaysEveryMissedReplyOnce() async throws {
        let h = try await Harness.make()
        try await h.live { port in
            let first = Shared<(token: String, ticket: Int64, seq: Int64)?>(nil)
            try await Self.visit(port) { v in
                let welcome = try await v.hello()
                let ack = try await v.message("c1", "My parcel is damaged")
                let ticketID = try #require((ack["ticketID"] as? NSNumber)?.int64Value)
                _ = try await h.reply(ticketID, "Sorry! Which item?")
                let pushed = try await v.expect("message")
                first.withLock { $0 = (welcome["visitorToken"] as! String, ticketID, (pushed["seq"] as! NSNumber).int64Value) }
            }
            let (token, ticketID, seen) = try #require(first.withLock { $0 })
            // Disconnected: two replies are written meanwhile.
            let r1 = try await h.reply(ticketID, "Could you send a photo?")
            let r2 = try await h.reply(ticketID, "We will send a new one.")
            try await Self.visit(port) { v in
                let welcome = try await v.hello(token: token, lastSeq: seen)
                #expect(welcome["visitorToken"] as? String == token)
                let replayed = try await v.sync()
                #expect(replayed.compactMap { ($0["seq"] as? NSNumber)?.int64Value } == [r1.id, r2.id])
                #expect(replayed.compactMap { $0["text"] as? String } == ["Could you send a photo?", "We will send a new one."])
                // Live again after the replay; nothing goes out twice.
                let r3 = try await h.reply(ticketID, "Shipped.")
                let live = try await v.expect("message")
                #expect((live["seq"] as? NSNumber)?.int64Value == r3.id)
                #expect(try await v.sync().isEmpty)
                // The visitor's next message joins the same conversation.
                let ack = try await v.message("c2", "Thanks")
                #expect((ack["ticketID"] as? NSNumber)?.int64Value == ticketID)
            }
            // Stored for replay and replayed: none of them waits in the outbox.
            #expect(try await h.app.store.outbox(status: .queued, limit: 10).isEmpty)
        }
    }

    @Test func repliesWhileNobodyIsConnectedAreMarkedSentAndStillReplayed() async throws {
        let h = try await Harness.make()
        try await h.live { port in
            let first = Shared<(token: String, ticket: Int64)?>(nil)
            try await Self.visit(port) { v in
                let welcome = try await v.hello()
                let ack = try await v.message("c1", "Hello?")
                first.withLock { $0 = (welcome["visitorToken"] as! String, (ack["ticketID"] as! NSNumber).int64Value) }
            }
            let (token, ticketID) = try #require(first.withLock { $0 })
            let reply = try await h.reply(ticketID, "Hi, how can I help?")
            // An email reply on another channel is not the chat hub's to mark.
            let other = try await h.app.store.ingest(
                InboundMessage(channel: "support-email", channelKind: .email, externalID: "e1", sender: .init(address: "ali@example.com"), text: "x"),
                channel: TestApp.channels["support-email"]!, rules: .standard)
            _ = try await h.reply(other.ticketID, "email answer")
            // Nobody is connected: the chat reply is stored for replay, so the server marks it sent by
            // itself; the email reply waits for its own worker.
            var queued = try await h.app.store.outbox(status: .queued, limit: 10).map(\.channel)
            for _ in 0..<200 where queued != ["support-email"] {
                try await Task.sleep(for: .milliseconds(25))
                queued = try await h.app.store.outbox(status: .queued, limit: 10).map(\.channel)
            }
            #expect(queued == ["support-email"])
            #expect(try await h.app.store.messages(ticketID: ticketID).first { $0.id == reply.id }?.deliveryStatus == .sent)
            try await Self.visit(port) { v in
                _ = try await v.hello(token: token, lastSeq: 0)
                let replayed = try await v.sync()
                #expect(replayed.compactMap { ($0["seq"] as? NSNumber)?.int64Value } == [reply.id])
            }
        }
    }

    @Test func everyOpenTabOfTheVisitorGetsEachReplyOnce() async throws {
        let h = try await Harness.make()
        try await h.live { port in
            let first = Shared<(token: String, ticket: Int64)?>(nil)
            try await Self.visit(port) { v in
                let welcome = try await v.hello()
                let ack = try await v.message("c1", "Is anyone there?")
                first.withLock { $0 = (welcome["visitorToken"] as! String, (ack["ticketID"] as! NSNumber).int64Value) }
            }
            let (token, ticketID) = try #require(first.withLock { $0 })
            let ready = Shared(0)
            let seen = Shared<[String]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await Self.visit(port) { v in
                            _ = try await v.hello(token: token)
                            #expect(try await v.sync().isEmpty)
                            ready.withLock { $0 += 1 }
                            let pushed = try await v.expect("message")
                            seen.withLock { $0.append(pushed["text"] as? String ?? "?") }
                            #expect(try await v.sync().isEmpty)
                        }
                    }
                }
                group.addTask {
                    while ready.withLock({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
                    _ = try await h.reply(ticketID, "Yes, here.")
                }
                try await group.waitForAll()
            }
            #expect(seen.withLock { $0 } == ["Yes, here.", "Yes, here."])
            // Closed tabs leave the server's follower.
            var open = h.deps.chatHub.connectionCount
            for _ in 0..<200 where open > 0 {
                try await Task.sleep(for: .milliseconds(10))
                open = h.deps.chatHub.connectionCount
            }
            #expect(open == 0)
        }
    }

    @Test func repliesQueuedWhileTheServerWasDownAreMarkedSentAtStart() async throws {
        let h = try await Harness.make()
        let visitor = "v-0123456789abcdef0123456789abcdef"
        let ingested = try await h.app.store.ingest(
            InboundMessage(channel: "chat", channelKind: .chat, externalID: "\(visitor):c1", sender: .init(address: visitor), text: "Hello?"),
            channel: TestApp.channels["chat"]!, rules: .standard)
        let reply = try await h.reply(ingested.ticketID, "Hi, how can I help?")
        #expect(try await h.app.store.outbox(status: .queued, limit: 10).count == 1)
        try await h.live { _ in
            var status = try await h.app.store.messages(ticketID: ingested.ticketID).first { $0.id == reply.id }?.deliveryStatus
            for _ in 0..<200 where status != .sent {
                try await Task.sleep(for: .milliseconds(25))
                status = try await h.app.store.messages(ticketID: ingested.ticketID).first { $0.id == reply.id }?.deliveryStatus
            }
            #expect(status == .sent)
            #expect(try await h.app.store.outbox(status: .queued, limit: 10).isEmpty)
        }
    }

    @Test func serverWithoutChatChannelsKeepsServing() async throws {
        let app = try await TestApp.make()
        let deps = AppDependencies(store: app.store, channels: ChannelDirectory(TestApp.channels.sorted.filter { $0.kind != .chat }))
        let server = buildApplication(deps, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await server.test(.live) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func anEmailTypedIntoTheChatNeverOpensAnotherCustomersConversation() async throws {
        let h = try await Harness.make()
        // Maryam has written on chat before from another browser, and by email.
        let victim = "v-00000000000000000000000000000001"
        let earlier = try await h.app.store.ingest(
            InboundMessage(channel: "chat", channelKind: .chat, externalID: "\(victim):c1", sender: .init(address: victim),
                           contacts: [.init(kind: .email, address: "maryam@example.com")], text: "My address is 12 Vali-asr St."),
            channel: TestApp.channels["chat"]!, rules: .standard)
        _ = try await h.reply(earlier.ticketID, "Thanks, your parcel goes to 12 Vali-asr St.")
        try await h.live { port in
            try await Self.visit(port) { v in
                _ = try await v.hello(name: "Not Maryam", email: "Maryam@Example.com")
                #expect(try await v.sync().isEmpty, "nothing of Maryam's is replayed")
                let ack = try await v.message("c1", "What is my address?")
                let ticketID = try #require((ack["ticketID"] as? NSNumber)?.int64Value)
                #expect(ticketID != earlier.ticketID)
                let ticket = try await h.app.store.ticket(id: ticketID)
                #expect(ticket.customerID != earlier.customerID)
                // Another reply to Maryam is not pushed here either.
                _ = try await h.reply(earlier.ticketID, "It ships today.")
                #expect(try await v.sync().isEmpty)
            }
            // A new address is kept with the visitor who typed it.
            try await Self.visit(port) { v in
                _ = try await v.hello(name: "Reza", email: "reza@example.com")
                let ack = try await v.message("c1", "Hello")
                let ticket = try await h.app.store.ticket(id: try #require((ack["ticketID"] as? NSNumber)?.int64Value))
                let profile = try await h.app.store.customerSummary(id: ticket.customerID)
                #expect(profile.identities.contains { $0.kind == .email && $0.value == "reza@example.com" })
            }
        }
    }

    @Test func forgedOrTamperedTokenIsRefusedAndClosed() async throws {
        let h = try await Harness.make()
        try await h.live { port in
            let token = Shared("")
            try await Self.visit(port) { v in
                let welcome = try await v.hello()
                token.withLock { $0 = welcome["visitorToken"] as? String ?? "" }
            }
            let genuine = token.withLock { $0 }
            let parts = genuine.split(separator: ".").map(String.init)
            try #require(parts.count == 3)
            let forged = [
                "v1.v-someoneelse.\(parts[2])",                      // another visitor's id with this signature
                "v1.\(parts[1]).\(String(parts[2].reversed()))",    // tampered signature
                "v1.\(parts[1]).",                                   // no signature
                "garbage",
            ]
            for bad in forged {
                try await Self.visit(port) { v in
                    try await v.send(#"{"type":"hello","visitorToken":"\#(bad)"}"#)
                    let error = try await v.expect("error")
                    #expect(error["code"] as? String == "bad-token")
                    #expect(try await v.next() == nil, "the server closes the connection after a bad token")
                }
            }
        }
    }

    @Test func aVisitorNeverSeesAnotherVisitorsReplies() async throws {
        let h = try await Harness.make()
        try await h.live { port in
            let tickets = Shared<[String: Int64]>([:])
            // A writes first; B connects and writes; then A's agent reply, then B's.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await Self.visit(port) { v in
                        _ = try await v.hello(name: "A")
                        let ack = try await v.message("same-id", "A's question")
                        tickets.withLock { $0["A"] = (ack["ticketID"] as! NSNumber).int64Value }
                        let got = try await v.expect("message")
                        #expect(got["text"] as? String == "for A")
                        #expect(try await v.sync().isEmpty)
                    }
                }
                group.addTask {
                    try await Self.visit(port) { v in
                        _ = try await v.hello(name: "B")
                        // The same client message id from another visitor is a different message.
                        let ack = try await v.message("same-id", "B's question")
                        tickets.withLock { $0["B"] = (ack["ticketID"] as! NSNumber).int64Value }
                        // A's reply is written before B's; B's first pushed frame must be its own.
                        let got = try await v.expect("message")
                        #expect(got["text"] as? String == "for B")
                        #expect(try await v.sync().isEmpty)
                    }
                }
                group.addTask {
                    while tickets.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(20)) }
                    let (a, b) = tickets.withLock { ($0["A"]!, $0["B"]!) }
                    #expect(a != b)
                    _ = try await h.reply(a, "for A")
                    try await Task.sleep(for: .milliseconds(200))
                    _ = try await h.reply(b, "for B")
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func upgradeFromAnOriginNotAllowedIsRefused() async throws {
        let h = try await Harness.make()
        let server = buildApplication(h.deps, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await server.test(.live) { client in
            let port = try #require(client.port)
            // A plain upgrade request over a socket of our own, so that the Origin header is exactly what a browser
            // would send (or none). The WebSocket library answers every refused upgrade with 400. The status is read
            // as soon as the response head arrives, refused or upgraded; the limit only guards a loaded machine.
            func upgrade(origin: String?, channel: String = "chat") async throws -> Int {
                var request = "GET /ws/chat/\(channel) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: Upgrade\r\n"
                request += "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                if let origin { request += "Origin: \(origin)\r\n" }
                request += "\r\n"
                let head = try await Task.detached { try RawHTTP.responseHead(port: port, request: request, timeout: 60) }.value
                return Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            }
            for origin in ["https://evil.example", "http://shop.example", "https://shop.example.evil.example", nil] as [String?] {
                let status = try await upgrade(origin: origin)
                #expect(status == 400, "origin \(origin ?? "none"): \(status)")
            }
            // A channel without a chat section, and no channel at all.
            #expect(try await upgrade(origin: Self.origin, channel: "sms") == 400)
            #expect(try await upgrade(origin: Self.origin, channel: "nope") == 400)
            // The same plain request from the shop page is upgraded: the refusals above are about the origin.
            #expect(try await upgrade(origin: Self.origin) == 101)
            // Through a real client: another page's origin is refused, the shop's (any case) connects.
            await #expect(throws: (any Error).self) {
                try await Self.visit(port, origin: "https://evil.example") { v in _ = try await v.hello() }
            }
            try await Self.visit(port, origin: "https://SHOP.example") { v in _ = try await v.hello() }
        }
    }

    @Test func messagesOverTheRateAreRefusedAndNotStored() async throws {
        let h = try await Harness.make(messagesPerMinute: 3)
        try await h.live { port in
            try await Self.visit(port) { v in
                _ = try await v.hello()
                var acked: [Int64] = []
                var limited: [String] = []
                for i in 1...5 {
                    let answer = try await v.message("m\(i)", "message \(i)")
                    if answer["type"] as? String == "ack" { acked.append((answer["ticketID"] as! NSNumber).int64Value) }
                    if answer["type"] as? String == "error" {
                        #expect(answer["code"] as? String == "rate-limited")
                        limited.append(answer["id"] as? String ?? "")
                    }
                }
                #expect(acked.count == 3)
                #expect(limited == ["m4", "m5"])
                let texts = try await h.app.store.messages(ticketID: try #require(acked.first)).compactMap(\.text)
                #expect(texts == ["message 1", "message 2", "message 3"])
            }
        }
    }

    @Test func malformedTooLongAndOversizedFramesAreAnswered() async throws {
        let h = try await Harness.make()
        try await h.live { port in
            try await Self.visit(port) { v in
                try await v.send(#"{"type":"message","id":"x","text":"before hello"}"#)
                #expect(try await v.expect("error")["code"] as? String == "hello-required")
                _ = try await v.hello()
                try await v.send("not json")
                #expect(try await v.expect("error")["code"] as? String == "bad-frame")
                let long = try await v.message("long", String(repeating: "a", count: 501))
                #expect(long["code"] as? String == "too-long")
                // Over maxFrameBytes (2048): answered, then the connection ends.
                try await v.send(#"{"type":"message","id":"big","text":"\#(String(repeating: "b", count: 3000))"}"#)
                #expect(try await v.expect("error")["code"] as? String == "frame-too-large")
                #expect(try await v.next() == nil)
            }
        }
        #expect(try await h.app.store.tickets(TicketQuery()).items.isEmpty)
    }
}

/// A value shared between the tasks of a test.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R { try value.withLock { try body(&$0) } }
}

/// One HTTP request over a plain TCP socket, read up to the end of the response head.
enum RawHTTP {
    struct Failure: Error { var reason: String }

    static func responseHead(port: Int, request: String, timeout: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(reason: "socket") }
        defer { close(fd) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(reason: "connect") }
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { throw Failure(reason: "send") }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains("\r\n\r\n") {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            received += buffer[0..<n]
        }
        guard !received.isEmpty else { throw Failure(reason: "no response within \(timeout) s") }
        return String(decoding: received, as: UTF8.self)
    }
}

@Suite struct ChatFrameTests {
    @Test("Client frames are read as JSONDecoder reads them", arguments: [
        #"{"type":"hello","name":"Sara","lastSeq":12,"visitorToken":"abc","email":null,"extra":{"x":1}}"#,
        #"{"type":"message","id":"m1","text":"سلام\n"}"#,
        #"{"type":"read","seq":5}"#,
        #"{"type":"hello","lastSeq":1.5}"#,
        #"{"type":"message","id":7}"#,
        #"{"type":"message","text":["a"]}"#,
        #"{"id":"m1"}"#,
        #"{"type":null}"#,
        #"["type"]"#,
        "not json",
    ])
    func clientFrameDecoding(text: String) {
        let expected = try? JSONDecoder().decode(ChatFrame.Client.self, from: Data(text.utf8))
        let parsed = ChatFrame.Client(json: text)
        #expect((parsed == nil) == (expected == nil))
        if let parsed, let expected {
            #expect(parsed.type == expected.type && parsed.id == expected.id && parsed.text == expected.text)
            #expect(parsed.lastSeq == expected.lastSeq && parsed.seq == expected.seq && parsed.name == expected.name)
            #expect(parsed.visitorToken == expected.visitorToken && parsed.email == expected.email && parsed.phone == expected.phone)
        }
    }

    @Test("Acks are written as the encoder writes them", arguments: [
        ChatFrame.Ack(id: "m1", messageID: 10, ticketID: 3),
        ChatFrame.Ack(id: "m\"2\\", messageID: 11, ticketID: 4, duplicate: true),
        ChatFrame.Ack(id: "read-1"),
    ])
    func ackText(ack: ChatFrame.Ack) throws {
        #expect(ack.jsonText == (try ChatFrame.encode(ack)))
    }
}
