import Foundation
import PishkhanCore

/// The provider side of an SMS channel (`Channels/<name>.yaml`, section `provider`): where replies are
/// posted, which number they come from, and the public address the provider calls us on. The account id
/// and the auth token are never in the file: `accountSidEnv` and `authTokenEnv` name the environment
/// variables, read once at start by the executable.
public struct SMSChannelConfig: Sendable, Equatable {
    public var channel: String
    public var provider: ProviderType
    /// The provider's API root, e.g. `https://api.twilio.com`; messages go to
    /// `{baseURL}/2010-04-01/Accounts/{sid}/Messages.json`.
    public var baseURL: String
    public var accountSidEnv: String
    public var authTokenEnv: String
    /// The shop's sending number (or sender id).
    public var from: String
    /// The public origin (and path prefix, if any) the provider reaches this server at, without a trailing
    /// slash. Signatures are checked against it, never against the Host header a proxy passes on.
    public var publicBaseURL: String

    public enum ProviderType: String, Sendable, Equatable, CaseIterable {
        /// Twilio or any provider that speaks its REST API and webhook format.
        case twilio
    }

    public init(channel: String, provider: ProviderType = .twilio, baseURL: String, accountSidEnv: String, authTokenEnv: String,
                from: String, publicBaseURL: String) {
        self.channel = channel
        self.provider = provider
        self.baseURL = baseURL
        self.accountSidEnv = accountSidEnv
        self.authTokenEnv = authTokenEnv
        self.from = from
        self.publicBaseURL = publicBaseURL
    }

    /// The URL the provider posts incoming messages to.
    public var inboundWebhookURL: String { "\(publicBaseURL)/webhooks/sms/\(channel)" }
    /// The URL the provider posts delivery reports to (sent as `StatusCallback` with every message).
    public var statusCallbackURL: String { "\(publicBaseURL)/webhooks/sms/\(channel)/status" }
    public func messagesURL(accountSID: String) -> String { "\(baseURL)/2010-04-01/Accounts/\(accountSID)/Messages.json" }

    struct File: Decodable {
        var provider: Provider?

        struct Provider: Decodable {
            var type: String?
            var baseURL: String?
            var accountSidEnv: String?
            var authTokenEnv: String?
            var from: String?
            var publicBaseURL: String?
        }
    }

    /// Reads the `provider` section of an SMS channel's file; nil when there is none (the channel is then
    /// fed through `POST /api/v1/inbound` only, and its replies stay queued).
    public static func parse(_ yaml: String, id: String, file: String) throws -> SMSChannelConfig? {
        func fail(_ field: String, _ reason: String) -> ChannelConfigError { ChannelConfigError(file: file, field: field, reason: reason) }
        let f = try ChannelDirectory.decode(File.self, yaml, file: file)
        guard let p = f.provider else { return nil }
        let typeName = p.type ?? "twilio"
        guard let type = ProviderType(rawValue: typeName) else {
            throw fail("provider.type", "'\(typeName)' is not one of \(ProviderType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var base = try ConfigValue.httpURL(p.baseURL ?? "https://api.twilio.com", field: "provider.baseURL", fail: fail)
        // The shipped example once named the versioned root; the version is ours to add.
        if base.hasSuffix("/2010-04-01") { base.removeLast("/2010-04-01".count) }
        func variable(_ value: String?, _ field: String, example: String) throws -> String {
            try ConfigValue.variable(value, field, example: example, fail: fail)
        }
        let sidEnv = try variable(p.accountSidEnv, "provider.accountSidEnv", example: "PISHKHAN_SMS_ACCOUNT_SID")
        let tokenEnv = try variable(p.authTokenEnv, "provider.authTokenEnv", example: "PISHKHAN_SMS_AUTH_TOKEN")
        guard let from = p.from?.trimmingCharacters(in: .whitespaces), !from.isEmpty else {
            throw fail("provider.from", "is required: the number replies are sent from, like \"+989121234567\"")
        }
        guard let publicText = p.publicBaseURL else {
            throw fail("provider.publicBaseURL", "is required: the public https:// address the provider reaches this server at")
        }
        let publicBase = try ConfigValue.httpURL(publicText, field: "provider.publicBaseURL", fail: fail)
        return SMSChannelConfig(channel: id, provider: type, baseURL: base, accountSidEnv: sidEnv, authTokenEnv: tokenEnv,
                                from: from, publicBaseURL: publicBase)
    }
}

/// An SMS channel's provider account, read from the environment variables its file names.
public struct SMSCredentials: Sendable, Equatable {
    public var accountSID: String
    public var authToken: String

    public init(accountSID: String, authToken: String) {
        self.accountSID = accountSID
        self.authToken = authToken
    }
}
