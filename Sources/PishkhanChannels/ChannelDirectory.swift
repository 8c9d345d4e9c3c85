import Foundation
import PishkhanCore
import Yams

/// The configured channels, loaded from `Channels/*.yaml` (one file per channel, the file name is the
/// channel id). Kind-specific sections (IMAP, SMS provider, chat, chat webhook, Telegram) are read by their adapters; this reads
/// what Intake needs and rejects a file it cannot use, naming the file and the field.
public struct ChannelDirectory: Sendable {
    public private(set) var channels: [String: ChannelSettings]
    /// The mail settings of email channels that have them, by channel id.
    public private(set) var email: [String: EmailChannelConfig]
    /// The provider settings of SMS channels that have them, by channel id.
    public private(set) var sms: [String: SMSChannelConfig]
    /// The web-chat settings of chat channels that have them, by channel id.
    public private(set) var chat: [String: ChatChannelConfig]
    /// The partner settings of chat-webhook (`webhook`) channels that have them, by channel id.
    public private(set) var webhook: [String: ChatWebhookConfig]
    /// The bot settings of Telegram channels that have them, by channel id.
    public private(set) var telegram: [String: TelegramChannelConfig]

    public init(_ channels: [ChannelSettings], email: [EmailChannelConfig] = [], sms: [SMSChannelConfig] = [],
                chat: [ChatChannelConfig] = [], webhook: [ChatWebhookConfig] = [], telegram: [TelegramChannelConfig] = []) {
        self.channels = Dictionary(channels.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.email = Dictionary(email.map { ($0.channel, $0) }, uniquingKeysWith: { a, _ in a })
        self.sms = Dictionary(sms.map { ($0.channel, $0) }, uniquingKeysWith: { a, _ in a })
        self.chat = Dictionary(chat.map { ($0.channel, $0) }, uniquingKeysWith: { a, _ in a })
        self.webhook = Dictionary(webhook.map { ($0.channel, $0) }, uniquingKeysWith: { a, _ in a })
        self.telegram = Dictionary(telegram.map { ($0.channel, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public subscript(id: String) -> ChannelSettings? { channels[id] }

    public var sorted: [ChannelSettings] { channels.values.sorted { $0.id < $1.id } }

    /// Loads every `*.yaml` / `*.yml` in `directory`. A missing directory is no channels.
    public static func load(from directory: URL) throws -> ChannelDirectory {
        let fm = FileManager.default
        guard fm.fileExists(atPath: directory.path) else { return ChannelDirectory([]) }
        let files = try fm.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
        var result: [ChannelSettings] = []
        var email: [EmailChannelConfig] = []
        var sms: [SMSChannelConfig] = []
        var chat: [ChatChannelConfig] = []
        var webhook: [ChatWebhookConfig] = []
        var telegram: [TelegramChannelConfig] = []
        for file in files {
            let url = directory.appendingPathComponent(file)
            let id = (file as NSString).deletingPathExtension
            let text = try String(contentsOf: url, encoding: .utf8)
            let settings = try parse(text, id: id, file: file)
            result.append(settings)
            switch settings.kind {
            case .email: if let mail = try EmailChannelConfig.parse(text, id: id, file: file) { email.append(mail) }
            case .sms: if let provider = try SMSChannelConfig.parse(text, id: id, file: file) { sms.append(provider) }
            case .chat: if let widget = try ChatChannelConfig.parse(text, id: id, file: file) { chat.append(widget) }
            case .webhook: if let partner = try ChatWebhookConfig.parse(text, id: id, file: file) { webhook.append(partner) }
            case .telegram: if let bot = try TelegramChannelConfig.parse(text, id: id, file: file) { telegram.append(bot) }
            }
        }
        return ChannelDirectory(result, email: email, sms: sms, chat: chat, webhook: webhook, telegram: telegram)
    }

    struct File: Decodable {
        var kind: String?
        var name: String?
        var assignment: Assignment?
        var threadWindowHours: Double?
        var defaultPriority: String?
        var tags: [String]?
        var bot: Bot?

        struct Bot: Decodable {
            var enabled: Bool?
            var name: String?
            var minScore: Double?
            var minMargin: Double?
            var maxAnswers: Int?
            var handoffWords: [String]?
            var confirmWords: [String]?
        }

        struct Assignment: Decodable {
            var rule: String?
            var group: String?
            var capacity: Int?
        }
    }

    public static func parse(_ yaml: String, id: String, file: String) throws -> ChannelSettings {
        func fail(_ field: String, _ reason: String) -> ChannelConfigError { ChannelConfigError(file: file, field: field, reason: reason) }
        guard id.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
            throw fail("(file name)", "channel ids are the file name: lower-case letters, digits and '-'")
        }
        let f = try ChannelDirectory.decode(File.self, yaml, file: file)
        guard let kindName = f.kind else { throw fail("kind", "is required (email, sms, chat, telegram or webhook)") }
        guard let kind = ChannelKind(rawValue: kindName) else {
            throw fail("kind", "'\(kindName)' is not one of \(ChannelKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var assignment = AssignmentRule.none
        if let a = f.assignment {
            switch a.rule ?? "none" {
            case "none": assignment = .none
            case "round-robin":
                guard let g = a.group, !g.isEmpty else { throw fail("assignment.group", "is required for round-robin") }
                assignment = .roundRobin(group: g.lowercased())
            case "least-loaded":
                guard let g = a.group, !g.isEmpty else { throw fail("assignment.group", "is required for least-loaded") }
                let capacity = a.capacity ?? 10
                guard capacity > 0 else { throw fail("assignment.capacity", "must be at least 1") }
                assignment = .leastLoaded(group: g.lowercased(), capacity: capacity)
            case let other:
                throw fail("assignment.rule", "'\(other)' is not one of none, round-robin, least-loaded")
            }
        }
        let hours = f.threadWindowHours ?? 24
        guard hours >= 0, hours <= 24 * 90 else { throw fail("threadWindowHours", "must be between 0 and 2160") }
        var priority: Priority?
        if let p = f.defaultPriority {
            guard let parsed = Priority(rawValue: p) else { throw fail("defaultPriority", "'\(p)' is not one of low, normal, high, urgent") }
            priority = parsed
        }
        var bot: BotSettings?
        if let b = f.bot, b.enabled ?? true {
            var settings = BotSettings()
            if let name = b.name?.trimmingCharacters(in: .whitespaces) {
                guard !name.isEmpty, name.count <= 100 else { throw fail("bot.name", "must be 1–100 characters") }
                settings.name = name
            }
            if let score = b.minScore {
                guard score > 0, score.isFinite else { throw fail("bot.minScore", "must be a positive number") }
                settings.minScore = score
            }
            if let margin = b.minMargin {
                guard margin >= 1, margin.isFinite else { throw fail("bot.minMargin", "must be at least 1 (the best match must not score below the second)") }
                settings.minMargin = margin
            }
            if let answers = b.maxAnswers {
                guard (0...10).contains(answers) else { throw fail("bot.maxAnswers", "must be between 0 and 10") }
                settings.maxAnswers = answers
            }
            settings.handoffWords = (b.handoffWords ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            settings.confirmWords = (b.confirmWords ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            bot = settings
        }
        return ChannelSettings(
            id: id, kind: kind, displayName: f.name, assignment: assignment, threadWindow: hours * 3600,
            defaultPriority: priority,
            tags: (f.tags ?? []).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty },
            bot: bot)
    }
}

extension ChannelDirectory {
    /// Decodes a channel file, naming the field of any mistake.
    static func decode<T: Decodable>(_ type: T.Type, _ yaml: String, file: String) throws -> T {
        try YAMLContent.decode(T.self, yaml) { ChannelConfigError(file: file, field: $0, reason: $1) }
    }
}

public struct ChannelConfigError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var field: String
    public var reason: String
    public var description: String { "Channels/\(file): \(field) \(reason)" }
}
