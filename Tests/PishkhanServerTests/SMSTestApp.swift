import Foundation
import Hummingbird
import HummingbirdTesting
import PishkhanChannels
import PishkhanCore
import PishkhanServer
import PishkhanStore

/// An application with an SMS channel `sms` whose provider settings point at `providerBase`, on an
/// in-memory store with a manual clock, and helpers that post webhooks signed the way the provider does.
struct SMSTestApp {
    let store: SQLiteStore
    let deps: AppDependencies
    let clock: ManualWallClock
    let config: SMSChannelConfig
    static let credentials = SMSCredentials(accountSID: "ACtest", authToken: "test-auth-token")
    static let publicBase = "https://help.example.com"

    static func make(providerBase: String = "http://127.0.0.1:9") async throws -> SMSTestApp {
        let clock = ManualWallClock(Date(timeIntervalSince1970: 1_790_000_000))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-sms-\(UUID().uuidString)")
        let store = try SQLiteStore.inMemory(attachmentsDirectory: dir, clock: { clock.now() })
        let config = SMSChannelConfig(channel: "sms", baseURL: providerBase, accountSidEnv: "SID", authTokenEnv: "TOKEN",
                                      from: "+982100001111", publicBaseURL: publicBase)
        let channels = ChannelDirectory(
            [ChannelSettings(id: "sms", kind: .sms), ChannelSettings(id: "sms-plain", kind: .sms), ChannelSettings(id: "support-email", kind: .email)],
            sms: [config])
        let deps = AppDependencies(store: store, channels: channels, smsCredentials: ["sms": credentials])
        return SMSTestApp(store: store, deps: deps, clock: clock, config: config)
    }

    var application: some ApplicationProtocol { Application(router: buildRouter(deps)) }

    func run(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await application.test(.router) { client in try await test(client) }
    }

    static func sign(_ url: String, _ params: [(name: String, value: String)], token: String = credentials.authToken) -> String {
        TwilioSignature.compute(url: url, parameters: params, authToken: token)
    }

    /// Posts a form to `path`, signed over the public URL unless `signature` says otherwise.
    static func post(_ client: any TestClientProtocol, _ path: String, _ params: [(name: String, value: String)],
                     signature: String?? = .none, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        headers[.contentType] = "application/x-www-form-urlencoded"
        let sig: String? = signature ?? sign(publicBase + path, params)
        if let sig { headers.append(HTTPFields.Element(name: .init("X-Twilio-Signature")!, value: sig)) }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: FormParameters(params).encoded()))
    }

    static func incoming(sid: String, from: String = "+989121234567", body: String = "سلام، سفارش من نرسیده") -> [(name: String, value: String)] {
        [("ToCountry", "IR"), ("SmsMessageSid", sid), ("NumMedia", "0"), ("SmsSid", sid), ("SmsStatus", "received"), ("Body", body),
         ("To", "+982100001111"), ("NumSegments", "1"), ("MessageSid", sid), ("AccountSid", credentials.accountSID), ("From", from),
         ("ApiVersion", "2010-04-01")]
    }
}
