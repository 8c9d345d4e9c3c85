import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanServer
import PishkhanStore
import Testing

/// The whole SMS path with the answer bot: a signed provider webhook, Intake, the bot's decision and its
/// reply through the SMS outbox to a Twilio-shaped provider on loopback.
@Suite struct SMSBotTests {
    @Test func aPersianSMSIsAnsweredByTheBotThroughTheProvider() async throws {
        let provider = FakeSMSProvider(script: [(.created, #"{"sid":"SMbot1","status":"queued"}"#)])
        try await provider.application.test(.live) { providerClient in
            let port = try #require(providerClient.port)
            let clock = ManualWallClock(Date(timeIntervalSince1970: 1_790_000_000))
            let store = try SQLiteStore.inMemory(
                attachmentsDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-smsbot-\(UUID().uuidString)"),
                clock: { clock.now() })
            let config = SMSChannelConfig(channel: "sms", baseURL: "http://127.0.0.1:\(port)", accountSidEnv: "SID", authTokenEnv: "TOKEN",
                                          from: "+982100001111", publicBaseURL: SMSTestApp.publicBase)
            let channels = ChannelDirectory([ChannelSettings(id: "sms", kind: .sms, bot: BotSettings(name: "Bazaarche assistant"))], sms: [config])
            let knowledge = KnowledgeBase(store: store, directory: Repository.root.appendingPathComponent("KnowledgeBase"),
                                          helpURL: "https://help.bazaarche.example/help")
            try await knowledge.reload()
            let deps = AppDependencies(store: store, channels: channels, knowledge: knowledge, smsCredentials: ["sms": SMSTestApp.credentials])
            let bot = AnswerBotWorker(channels: channels, store: store, knowledge: knowledge, logger: Logger(label: "test"))
            try await bot.runOnce()
            let outbox = SMSOutboxWorker(channels: [config], credentials: ["sms": SMSTestApp.credentials], store: store,
                                         logger: Logger(label: "test"), clock: clock)

            try await Application(router: buildRouter(deps)).test(.router) { (client: any TestClientProtocol) async throws in
                let inbound = [("MessageSid", "SMcustomer1"), ("From", "۰۹۱۲۱۲۳۴۵۶۷"), ("To", "+982100001111"),
                               ("Body", "پول از حسابم کم شد ولی پرداخت ناموفق بود"), ("NumMedia", "0"), ("AccountSid", "ACtest")]
                #expect(try await SMSTestApp.post(client, "/webhooks/sms/sms", inbound).status == .ok)
            }
            let decisions = try await bot.runOnce()
            #expect(decisions.map(\.action) == [.answered], "\(decisions)")
            #expect(try await outbox.deliverDue() == 1)

            let sent = try #require(provider.recorded.first)
            #expect(sent.form["To"] == "+989121234567")
            let body = sent.form["Body"] ?? ""
            #expect(body.contains("https://help.bazaarche.example/help/payment-failed-money-deducted-fa"), "\(body)")
            let ticket = try #require(decisions.first?.ticketID)
            let reply = try #require(try await store.messages(ticketID: ticket).first { $0.kind == .bot })
            #expect(reply.providerID == "SMbot1" && reply.deliveryStatus == .sent)
            #expect(reply.segments == SMSSegments.count(body).segments)
        }
    }
}
