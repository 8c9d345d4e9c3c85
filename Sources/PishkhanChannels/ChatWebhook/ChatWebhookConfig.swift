import Foundation

/// The partner side of a generic chat-webhook channel (kind `webhook`, section `webhook`): the partner's
/// chat platform posts visitors' messages to `POST /webhooks/chat/<channel>` and receives our replies at
/// `callbackURL`, both signed with one shared secret (`ChatWebhookSignature`). The secret is never in the
/// file: `secretEnv` names the environment variable, read once at start by the executable.
public struct ChatWebhookConfig: Sendable, Equatable {
    public var channel: String
    public var secretEnv: String
    /// Where replies are posted, as JSON (`ChatWebhookCallback`).
    public var callbackURL: String

    public init(channel: String, secretEnv: String, callbackURL: String) {
        self.channel = channel
        self.secretEnv = secretEnv
        self.callbackURL = callbackURL
    }

    struct File: Decodable {
        var webhook: Section?

        struct Section: Decodable {
            var secretEnv: String?
            var callbackURL: String?
        }
    }

    /// Reads the `webhook` section of a `webhook` channel's file; nil when there is none (the channel is
    /// then fed through `POST /api/v1/inbound` only, and its replies stay queued).
    public static func parse(_ yaml: String, id: String, file: String) throws -> ChatWebhookConfig? {
        func fail(_ field: String, _ reason: String) -> ChannelConfigError { ChannelConfigError(file: file, field: field, reason: reason) }
        let f = try ChannelDirectory.decode(File.self, yaml, file: file)
        guard let section = f.webhook else { return nil }
        let secretEnv = try ConfigValue.variable(section.secretEnv, "webhook.secretEnv", example: "PISHKHAN_PARTNER_CHAT_SECRET", fail: fail)
        guard let callback = section.callbackURL else {
            throw fail("webhook.callbackURL", "is required: the http(s) address replies are posted to")
        }
        return ChatWebhookConfig(channel: id, secretEnv: secretEnv,
                                 callbackURL: try ConfigValue.httpURL(callback, field: "webhook.callbackURL", fail: fail))
    }
}
