import Foundation

/// The bot behind a Telegram channel (kind `telegram`, section `telegram`). Telegram posts updates to
/// `POST /webhooks/telegram/<channel>` with `X-Telegram-Bot-Api-Secret-Token` set to the secret given to
/// `setWebhook`; replies go through `sendMessage` at `apiBaseURL`. The bot token and the secret are never
/// in the file: `botTokenEnv` and `secretTokenEnv` name the environment variables, read once at start.
public struct TelegramChannelConfig: Sendable, Equatable {
    public var channel: String
    public var botTokenEnv: String
    public var secretTokenEnv: String
    /// The Bot API root, `https://api.telegram.org` unless a local Bot API server or a test server stands in.
    public var apiBaseURL: String

    public static let defaultAPIBaseURL = "https://api.telegram.org"

    public init(channel: String, botTokenEnv: String, secretTokenEnv: String, apiBaseURL: String = defaultAPIBaseURL) {
        self.channel = channel
        self.botTokenEnv = botTokenEnv
        self.secretTokenEnv = secretTokenEnv
        self.apiBaseURL = apiBaseURL
    }

    /// `{apiBaseURL}/bot<token>/<method>`.
    public func methodURL(_ method: String, token: String) -> String { "\(apiBaseURL)/bot\(token)/\(method)" }

    struct File: Decodable {
        var telegram: Section?

        struct Section: Decodable {
            var botTokenEnv: String?
            var secretTokenEnv: String?
            var apiBaseURL: String?
        }
    }

    /// Reads the `telegram` section of a Telegram channel's file; nil when there is none (the channel is
    /// then fed through `POST /api/v1/inbound` only, and its replies stay queued).
    public static func parse(_ yaml: String, id: String, file: String) throws -> TelegramChannelConfig? {
        func fail(_ field: String, _ reason: String) -> ChannelConfigError { ChannelConfigError(file: file, field: field, reason: reason) }
        let f = try ChannelDirectory.decode(File.self, yaml, file: file)
        guard let section = f.telegram else { return nil }
        let token = try ConfigValue.variable(section.botTokenEnv, "telegram.botTokenEnv", example: "PISHKHAN_TELEGRAM_BOT_TOKEN", fail: fail)
        let secret = try ConfigValue.variable(section.secretTokenEnv, "telegram.secretTokenEnv", example: "PISHKHAN_TELEGRAM_WEBHOOK_SECRET", fail: fail)
        let base = try ConfigValue.httpURL(section.apiBaseURL ?? defaultAPIBaseURL, field: "telegram.apiBaseURL", fail: fail)
        return TelegramChannelConfig(channel: id, botTokenEnv: token, secretTokenEnv: secret, apiBaseURL: base)
    }
}

/// A Telegram channel's bot token and webhook secret, read from the environment variables its file names.
public struct TelegramCredentials: Sendable, Equatable {
    public var botToken: String
    public var secretToken: String

    public init(botToken: String, secretToken: String) {
        self.botToken = botToken
        self.secretToken = secretToken
    }
}
