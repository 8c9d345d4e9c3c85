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

/// A Twilio-shaped Messages API on loopback: records every request and answers from a script.
final class FakeSMSProvider: Sendable {
    struct Recorded: Sendable {
        var path: String
        var authorization: String?
        var contentType: String?
        var form: FormParameters
    }

    private let state = Mutex<(recorded: [Recorded], script: [(HTTPResponse.Status, String)])>(([], []))

    init(script: [(HTTPResponse.Status, String)]) { state.withLock { $0.script = script } }

    var recorded: [Recorded] { state.withLock { $0.recorded } }

    var application: some ApplicationProtocol {
        let router = Router()
        router.post("2010-04-01/Accounts/:sid/Messages.json") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let form = FormParameters.decode(body.readableBytesView) ?? FormParameters([])
            let (status, json) = self.state.withLock { s -> (HTTPResponse.Status, String) in
                s.recorded.append(Recorded(path: request.uri.path, authorization: request.headers[.authorization],
                                           contentType: request.headers[.contentType], form: form))
                return s.script.isEmpty ? (.created, #"{"sid":"SMdefault","status":"queued"}"#) : s.script.removeFirst()
            }
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}

@Suite struct SMSOutboxTests {
    /// A customer's SMS and an agent's reply to it, queued.
    static func replyQueued(_ app: SMSTestApp, text: String) async throws -> (ticket: Int64, message: Int64) {
        let ingest = try await app.store.ingest(
            InboundMessage(channel: "sms", channelKind: .sms, externalID: "SMin1", sender: .init(address: "09121234567"), text: "سلام"),
            channel: ChannelSettings(id: "sms", kind: .sms), rules: .standard)
        let (agent, _) = try await app.store.createAgent(name: "Neda", role: .agent, email: nil, groups: ["support"], capacity: nil)
        let reply = try await app.store.reply(ticketID: ingest.ticketID, ReplyInput(text: text), actor: agent.id)
        return (ingest.ticketID, reply.id)
    }

    static func message(_ app: SMSTestApp, _ ticket: Int64, _ id: Int64) async throws -> Message {
        try #require(try await app.store.messages(ticketID: ticket).first { $0.id == id })
    }

    @Test func aReplyIsPostedRetriedAfterA500AndItsDeliveryReportRecorded() async throws {
        let provider = FakeSMSProvider(script: [
            (.internalServerError, #"{"code":20500,"message":"Internal Server Error","status":500}"#),
            (.created, #"{"sid":"SM1f2e3d","status":"queued","num_segments":"2","to":"+989121234567"}"#),
        ])
        try await provider.application.test(.live) { providerClient in
            let port = try #require(providerClient.port)
            let app = try await SMSTestApp.make(providerBase: "http://127.0.0.1:\(port)")
            let text = "سلام، بسته شما امروز ارسال می‌شود و تا فردا عصر به دستتان می‌رسد. کد پیگیری: BZ-1042"
            let (ticket, id) = try await Self.replyQueued(app, text: text)
            let worker = SMSOutboxWorker(channels: [app.config], credentials: ["sms": SMSTestApp.credentials], store: app.store,
                                         logger: Logger(label: "test"), clock: app.clock)

            #expect(try await worker.deliverDue() == 1)
            var message = try await Self.message(app, ticket, id)
            #expect(message.deliveryStatus == .queued && message.providerID == nil, "a 500 is retried")
            #expect(try await app.store.outbox(status: nil, limit: 10).first?.lastError?.contains("HTTP 500") == true)
            #expect(try await worker.deliverDue() == 0, "not before the backoff")
            app.clock.advance(by: 31)
            #expect(try await worker.deliverDue() == 1)

            message = try await Self.message(app, ticket, id)
            #expect(message.deliveryStatus == .sent)
            #expect(message.providerID == "SM1f2e3d" && message.providerStatus == "queued")
            #expect(message.segments == SMSSegments.count(text).segments && message.segments == 2)

            let requests = provider.recorded
            #expect(requests.count == 2)
            let last = try #require(requests.last)
            #expect(last.path == "/2010-04-01/Accounts/ACtest/Messages.json")
            #expect(last.authorization == "Basic " + Data("ACtest:test-auth-token".utf8).base64EncodedString())
            #expect(last.contentType == "application/x-www-form-urlencoded")
            #expect(last.form["From"] == "+982100001111" && last.form["To"] == "+989121234567" && last.form["Body"] == text)
            #expect(last.form["StatusCallback"] == "https://help.example.com/webhooks/sms/sms/status")

            // The provider reports delivery; a late "sent" report does not move it back.
            try await app.run { client in
                let delivered = [("MessageSid", "SM1f2e3d"), ("MessageStatus", "delivered"), ("AccountSid", "ACtest")]
                #expect(try await SMSTestApp.post(client, "/webhooks/sms/sms/status", delivered).status == .ok)
                let late = [("MessageSid", "SM1f2e3d"), ("MessageStatus", "sent"), ("AccountSid", "ACtest")]
                #expect(try await SMSTestApp.post(client, "/webhooks/sms/sms/status", late).status == .ok)
                let forged = [("MessageSid", "SM1f2e3d"), ("MessageStatus", "failed")]
                #expect(try await SMSTestApp.post(client, "/webhooks/sms/sms/status", forged, signature: .some("AAAA")).status == .forbidden)
                let detail = try await client.execute(uri: "/api/v1/tickets/\(ticket)", method: .get)
                #expect(detail.status == .unauthorized, "the API still needs a token")
            }
            message = try await Self.message(app, ticket, id)
            #expect(message.deliveryStatus == .delivered && message.providerStatus == "delivered")
            let deliveries = try await app.store.events(after: 0, limit: 100).filter { $0.type == .messageDelivery }
            #expect(deliveries.count == 2, "sent, then delivered")
        }
    }

    @Test func aProviderRefusalFailsTheReplyWithTheProvidersReason() async throws {
        let provider = FakeSMSProvider(script: [
            (.badRequest, #"{"code":21211,"message":"The 'To' number +989121234567 is not a valid phone number.","status":400}"#),
        ])
        try await provider.application.test(.live) { providerClient in
            let app = try await SMSTestApp.make(providerBase: "http://127.0.0.1:\(try #require(providerClient.port))")
            let (ticket, id) = try await Self.replyQueued(app, text: "Your parcel ships today.")
            let worker = SMSOutboxWorker(channels: [app.config], credentials: ["sms": SMSTestApp.credentials], store: app.store,
                                         logger: Logger(label: "test"), clock: app.clock)
            #expect(try await worker.deliverDue() == 1)
            app.clock.advance(by: 7200)
            #expect(try await worker.deliverDue() == 0, "a 400 is not retried")
            let message = try await Self.message(app, ticket, id)
            #expect(message.deliveryStatus == .failed)
            #expect(message.deliveryError?.contains("21211") == true && message.deliveryError?.contains("not a valid phone number") == true)
            #expect(message.segments == 1)
            #expect(try await app.store.outbox(status: .failed, limit: 10).count == 1)
            #expect(provider.recorded.count == 1)
        }
    }

    @Test func aDeliveryFailureReportFailsTheMessageWithTheErrorCode() async throws {
        let provider = FakeSMSProvider(script: [(.created, #"{"sid":"SMfail1","status":"accepted"}"#)])
        try await provider.application.test(.live) { providerClient in
            let app = try await SMSTestApp.make(providerBase: "http://127.0.0.1:\(try #require(providerClient.port))")
            let (ticket, id) = try await Self.replyQueued(app, text: "Hello")
            let worker = SMSOutboxWorker(channels: [app.config], credentials: ["sms": SMSTestApp.credentials], store: app.store,
                                         logger: Logger(label: "test"), clock: app.clock)
            #expect(try await worker.deliverDue() == 1)
            try await app.run { client in
                let report = [("MessageSid", "SMfail1"), ("MessageStatus", "undelivered"), ("ErrorCode", "30003")]
                let r = try await SMSTestApp.post(client, "/webhooks/sms/sms/status", report)
                #expect(r.status == .ok)
            }
            let message = try await Self.message(app, ticket, id)
            #expect(message.deliveryStatus == .failed && message.providerStatus == "undelivered")
            #expect(message.deliveryError == "error 30003")
        }
    }

    @Test func anUnreachableProviderIsRetried() async throws {
        let app = try await SMSTestApp.make(providerBase: "http://127.0.0.1:9")
        let (ticket, id) = try await Self.replyQueued(app, text: "Hello")
        let worker = SMSOutboxWorker(channels: [app.config], credentials: ["sms": SMSTestApp.credentials], store: app.store,
                                     logger: Logger(label: "test"), clock: app.clock, timeout: .seconds(1))
        #expect(try await worker.deliverDue() == 1)
        #expect(try await Self.message(app, ticket, id).deliveryStatus == .queued)
        #expect(try await app.store.outbox(status: .queued, limit: 10).first?.lastError?.contains("cannot reach the provider") == true)
    }
}
