import Foundation
import Hummingbird
import NIOCore
import HummingbirdTesting
import PishkhanChannels
import PishkhanCore
import PishkhanServer
import PishkhanStore

/// An application with a chat-webhook channel `partner-chat` whose callback is `callbackBase`, a Telegram
/// channel `telegram` whose Bot API is `telegramBase`, and the SMS channel of `SMSTestApp`, on an in-memory
/// store with a manual clock; and helpers that sign calls the way the partner and Telegram do.
struct ChatWebhookTestApp {
    let store: SQLiteStore
    let deps: AppDependencies
    let clock: ManualWallClock
    let webhook: ChatWebhookConfig
    let telegram: TelegramChannelConfig
    static let secret = "partner-shared-secret"
    static let telegramCredentials = TelegramCredentials(botToken: "123456:TEST-token", secretToken: "telegram-hook-secret")

    static func make(callbackBase: String = "http://127.0.0.1:9", telegramBase: String = "http://127.0.0.1:9") async throws -> ChatWebhookTestApp {
        let clock = ManualWallClock(Date(timeIntervalSince1970: 1_790_000_000))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-chat-webhook-\(UUID().uuidString)")
        let store = try SQLiteStore.inMemory(attachmentsDirectory: dir, clock: { clock.now() })
        let webhook = ChatWebhookConfig(channel: "partner-chat", secretEnv: "SECRET", callbackURL: callbackBase + "/pishkhan/replies")
        let telegram = TelegramChannelConfig(channel: "telegram", botTokenEnv: "BOT", secretTokenEnv: "HOOK", apiBaseURL: telegramBase)
        let sms = SMSChannelConfig(channel: "sms", baseURL: "http://127.0.0.1:9", accountSidEnv: "SID", authTokenEnv: "TOKEN",
                                   from: "+982100001111", publicBaseURL: SMSTestApp.publicBase)
        let channels = ChannelDirectory(
            [ChannelSettings(id: "partner-chat", kind: .webhook), ChannelSettings(id: "api", kind: .webhook),
             ChannelSettings(id: "telegram", kind: .telegram), ChannelSettings(id: "sms", kind: .sms)],
            sms: [sms], webhook: [webhook], telegram: [telegram])
        let deps = AppDependencies(store: store, channels: channels, smsCredentials: ["sms": SMSTestApp.credentials],
                                   webhookSecrets: ["partner-chat": secret], telegramCredentials: ["telegram": telegramCredentials], clock: clock)
        return ChatWebhookTestApp(store: store, deps: deps, clock: clock, webhook: webhook, telegram: telegram)
    }

    var application: some ApplicationProtocol { Application(router: buildRouter(deps)) }

    func run(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await application.test(.router) { client in try await test(client) }
    }

    func worker(timeout: TimeAmount = .seconds(30)) -> ChatWebhookOutboxWorker {
        ChatWebhookOutboxWorker(webhooks: [webhook], secrets: ["partner-chat": Self.secret], telegram: [telegram],
                                telegramCredentials: ["telegram": Self.telegramCredentials], store: store, logger: .init(label: "test"),
                                clock: clock, timeout: timeout)
    }

    /// The JSON a partner posts for one visitor message.
    static func message(conversation: String = "c-81", sender: String = "v-12", id: String, text: String = "سلام، سفارشم نرسیده",
                        name: String? = "Sara", email: String? = nil, phone: String? = nil) -> String {
        var object: [String: String] = ["conversationId": conversation, "senderId": sender, "messageId": id, "text": text]
        object["name"] = name
        object["email"] = email
        object["phone"] = phone
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    enum Signing {
        case valid(at: Date?)
        case forged
        case none
        case noTimestamp
    }

    /// Posts `body` to the chat webhook of `channel`, signed at the app's clock unless told otherwise.
    func postChat(_ client: any TestClientProtocol, _ body: String, channel: String = "partner-chat", signing: Signing = .valid(at: nil)) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        let bytes = Array(body.utf8)
        switch signing {
        case .valid(let at):
            for (name, value) in ChatWebhookSignature.headers(body: bytes, secret: Self.secret, now: at ?? clock.now()) {
                headers.append(.init(name: .init(name)!, value: value))
            }
        case .forged:
            for (name, value) in ChatWebhookSignature.headers(body: bytes, secret: "not-the-secret", now: clock.now()) {
                headers.append(.init(name: .init(name)!, value: value))
            }
        case .none:
            break
        case .noTimestamp:
            let signature = ChatWebhookSignature.compute(timestamp: "1790000000", body: bytes, secret: Self.secret)
            headers.append(.init(name: .init("X-Pishkhan-Signature")!, value: signature))
        }
        return try await client.execute(uri: "/webhooks/chat/\(channel)", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// Posts a Telegram update with the channel's secret token (or `secret`, or none).
    static func postTelegram(_ client: any TestClientProtocol, _ update: String, secret: String?? = .none) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token = secret ?? telegramCredentials.secretToken {
            headers.append(.init(name: .init("X-Telegram-Bot-Api-Secret-Token")!, value: token))
        }
        return try await client.execute(uri: "/webhooks/telegram/telegram", method: .post, headers: headers, body: ByteBuffer(string: update))
    }

    static func telegramText(update: Int, message: Int, text: String, user: Int64 = 5550001, edited: Bool = false) -> String {
        let key = edited ? "edited_message" : "message"
        let edit = edited ? #", "edit_date": 1790000060"# : ""
        return #"""
            {"update_id": \#(update), "\#(key)": {"message_id": \#(message), "date": 1790000000\#(edit),
             "from": {"id": \#(user), "is_bot": false, "first_name": "Reza", "last_name": "Karimi"},
             "chat": {"id": \#(user), "type": "private", "first_name": "Reza"}, "text": "\#(text)"}}
            """#
    }
}
