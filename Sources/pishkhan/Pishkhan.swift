import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import PishkhanChannels
import PishkhanCore
import PishkhanKnowledge
import PishkhanServer
import PishkhanStore
import PishkhanTUI
import ServiceLifecycle

@main
struct Pishkhan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pishkhan",
        abstract: "Pishkhan, a self-hosted omnichannel support helpdesk.",
        subcommands: [Serve.self, Migrate.self, Agents.self, KB.self, TUI.self])

    static func main() async {
        if runsTasksOnEventLoops(arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment) {
            // Before any task is started, from the main thread, as NIO requires.
            tasksOnEventLoops = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await main(nil)
    }

    /// Set once, on the main thread, before any task starts; read afterwards.
    nonisolated(unsafe) static var tasksOnEventLoops = false

    /// Whether `serve` runs Swift concurrency's tasks on NIO's event loops instead of a pool of their own.
    /// On PostgreSQL every statement's answer arrives on an event loop and the task awaiting it then had to
    /// be woken on another thread: running tasks on the loops saves those switches (ingest 938–987 →
    /// 1,158–1,241 msg/s, server CPU per message 0.81–0.85 → 0.67–0.71 ms, in alternating runs). On SQLite,
    /// whose writer has a thread of its own, it measured the same either way, so it stays off there.
    /// `PISHKHAN_NIO_EXECUTOR=1` or `0` decides instead. Nothing in `serve` blocks a task's thread for long:
    /// libcurl, SQLite's writer and WAL checkpoints run on dispatch queues of their own.
    static func runsTasksOnEventLoops(arguments: [String], environment: [String: String]) -> Bool {
        guard arguments.dropFirst().first == "serve" else { return false }
        switch environment["PISHKHAN_NIO_EXECUTOR"] {
        case "1": return true
        case "0": return false
        default: return PostgresURL.isPostgres(environment["PISHKHAN_DATABASE_URL"] ?? "")
        }
    }
}

/// Where the data lives; shared by every subcommand that opens the store.
struct StorageOptions: ParsableArguments {
    @Option(help: "Data directory: the SQLite database and attachment files.")
    var data: String = "data"

    @Option(help: "Default country calling code for phone numbers written without one.")
    var countryCode: String = "98"

    /// `PISHKHAN_DATABASE_URL` when it names a PostgreSQL database.
    var postgresURL: PostgresURL? {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["PISHKHAN_DATABASE_URL"], PostgresURL.isPostgres(url) else { return nil }
            return try PostgresURL(url)
        }
    }

    func configuration() throws -> ServerConfiguration {
        let dataDirectory = URL(fileURLWithPath: data)
        var databasePath: String?
        if let url = ProcessInfo.processInfo.environment["PISHKHAN_DATABASE_URL"], !url.isEmpty, !PostgresURL.isPostgres(url) {
            databasePath = try ServerConfiguration.databasePath(fromURL: url)
        }
        return ServerConfiguration(dataDirectory: dataDirectory, databasePath: databasePath, defaultCountryCode: countryCode)
    }

    /// Runs `body` with the store `PISHKHAN_DATABASE_URL` names: PostgreSQL (migrated, its pool running
    /// until `body` returns) or the SQLite file (the default, under `--data`).
    func withStore<T: Sendable>(logger: Logger, _ body: @Sendable (any Store, _ description: String) async throws -> T) async throws -> T {
        let normalizer = IdentityNormalizer(defaultCountryCode: countryCode)
        if let url = try postgresURL {
            do {
                try await PostgresStore.checkReachable(url, logger: logger)
            } catch {
                throw ValidationError("PostgreSQL at \(url.redacted) cannot be reached: \(PostgresStore.describe(error))")
            }
            return try await PostgresStore.withStore(url: url, normalizer: normalizer, logger: logger, migrate: false) { store in
                do {
                    try await store.migrate()
                    try await store.prepare()
                } catch {
                    throw ValidationError("PostgreSQL at \(url.redacted) cannot be used: \(PostgresStore.describe(error))")
                }
                let applied = try await store.appliedMigrations()
                return try await body(store, "\(url.redacted), migrations \(applied.joined(separator: ","))")
            }
        }
        let config = try configuration()
        let store = try openStore(config, logger: logger)
        return try await body(store, "\(config.databasePath), migrations \(try store.appliedMigrations().joined(separator: ","))")
    }

    func openStore(_ config: ServerConfiguration, logger: Logger) throws -> SQLiteStore {
        let fm = FileManager.default
        try fm.createDirectory(at: config.dataDirectory, withIntermediateDirectories: true)
        try fm.createDirectory(at: URL(fileURLWithPath: config.databasePath).deletingLastPathComponent(), withIntermediateDirectories: true)
        return try SQLiteStore(
            path: config.databasePath, attachmentsDirectory: config.dataDirectory.appendingPathComponent("attachments"),
            normalizer: IdentityNormalizer(defaultCountryCode: config.defaultCountryCode), logger: logger)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (HTTP API, WebSockets, background services).")

    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on.") var port: Int = 8080
    @Option(help: "Folder of channel definitions (*.yaml).") var channels: String = "Channels"
    @Option(help: "Folder of knowledge-base articles (*.md).") var knowledgeBase: String = "KnowledgeBase"
    @Option(help: "Public address of the help pages replies link to (default: PISHKHAN_HELP_URL, else this server's /help).")
    var helpURL: String?
    @Option(help: "SLA calendars and policies for a fresh install (read once, into the database).") var sla: String = "SLA/sla.yaml"
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["PISHKHAN_LOG_LEVEL"] ?? "info"
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level '\(logLevel)' is not a log level") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "pishkhan")
        var config = try storage.configuration()
        config.host = host
        config.port = port
        config.channelsDirectory = URL(fileURLWithPath: channels)
        config.knowledgeBaseDirectory = URL(fileURLWithPath: knowledgeBase)

        // Content is validated before anything listens: a broken file names itself and stops the start.
        let channelDirectory = try ChannelDirectory.load(from: config.channelsDirectory)
        let articles = try ArticleLoader.load(from: config.knowledgeBaseDirectory)
        let cannedResponses = try CannedLoader.load(from: config.knowledgeBaseDirectory)
        let slaSeed = try SLAFile.load(from: URL(fileURLWithPath: sla))
        // Several processes share a PostgreSQL database; work that must run once (polling a mailbox, the
        // answer bot) is then done under a lease. One process owns a SQLite file and needs none.
        let leaseDuration: TimeInterval? = try storage.postgresURL == nil ? nil : ClusterLease.configuredDuration()
        let settings = config
        try await storage.withStore(logger: logger) { store, database in
            logger.info("store ready", metadata: [
                "database": "\(database)", "tasksOnEventLoops": "\(Pishkhan.tasksOnEventLoops)",
            ])
            try await serve(store: store, config: settings, channelDirectory: channelDirectory, articles: articles,
                            cannedResponses: cannedResponses, slaSeed: slaSeed, leaseDuration: leaseDuration, logger: logger)
        }
    }

    func serve(store: any Store, config: ServerConfiguration, channelDirectory: ChannelDirectory, articles: [Article],
               cannedResponses: [CannedResponse], slaSeed: SLAConfiguration, leaseDuration: TimeInterval?, logger: Logger) async throws {
        logger.info("content loaded", metadata: [
            "channels": "\(channelDirectory.sorted.map(\.id).joined(separator: ","))", "articles": "\(articles.count)",
            "cannedResponses": "\(cannedResponses.count)",
        ])

        if let (agent, token) = try await store.createFirstAdmin() {
            // Written unbuffered, so a supervisor reading the pipe sees it at once.
            FileHandle.standardOutput.write(Data("""
                First start: created admin agent \(agent.id). Its token is shown this once; keep it safe:
                PISHKHAN_ADMIN_TOKEN=\(token)\n
                """.utf8))
        }
        if try await store.seedSLAIfNew(slaSeed) {
            logger.info("SLA seeded", metadata: ["file": "\(sla)", "policies": "\(slaSeed.policies.map(\.id).joined(separator: ","))"])
        }
        // The files seed the database; the database is the truth. SIGHUP reads the files again.
        let knowledge = KnowledgeBase(
            store: store, directory: config.knowledgeBaseDirectory, helpURL: helpURL ?? ProcessInfo.processInfo.environment["PISHKHAN_HELP_URL"] ?? "http://\(host):\(port)/help")
        let seeded = try await knowledge.seed(articles: articles, canned: cannedResponses)
        logger.info("knowledge base indexed", metadata: [
            "articles": "\(knowledge.articleCount)", "inserted": "\(seeded.articles.inserted + seeded.canned.inserted)",
            "updatedFromFiles": "\(seeded.articles.updated + seeded.canned.updated)", "keptFromAPI": "\(seeded.articles.keptFromAPI + seeded.canned.keptFromAPI)",
        ])
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP)
        hangup.setEventHandler {
            Task {
                do {
                    let report = try await knowledge.reload()
                    logger.info("knowledge base reloaded (SIGHUP)", metadata: [
                        "articles": "\(knowledge.articleCount)", "inserted": "\(report.articles.inserted)", "updated": "\(report.articles.updated)",
                        "keptFromAPI": "\(report.articles.keptFromAPI)",
                    ])
                } catch {
                    logger.error("knowledge base reload failed; the previous content stays", metadata: ["error": "\(error)"])
                }
            }
        }
        hangup.resume()
        defer { hangup.cancel() }
        // SMS: each provider account from the variables the channel file names; a missing one stops the start.
        var smsCredentials: [String: SMSCredentials] = [:]
        for sms in channelDirectory.sms.values {
            smsCredentials[sms.channel] = SMSCredentials(
                accountSID: try Self.secret(sms.accountSidEnv, sms.channel, what: "SMS account id"),
                authToken: try Self.secret(sms.authTokenEnv, sms.channel, what: "SMS auth token"))
        }
        // Chat webhooks and Telegram: the same rule. A channel whose file has no webhook/telegram section
        // takes no webhooks (the shipped files keep theirs commented out); one with a section needs its variables.
        var webhookSecrets: [String: String] = [:]
        for webhook in channelDirectory.webhook.values {
            webhookSecrets[webhook.channel] = try Self.secret(webhook.secretEnv, webhook.channel, what: "chat-webhook secret")
        }
        var telegramCredentials: [String: TelegramCredentials] = [:]
        for telegram in channelDirectory.telegram.values {
            telegramCredentials[telegram.channel] = TelegramCredentials(
                botToken: try Self.secret(telegram.botTokenEnv, telegram.channel, what: "Telegram bot token"),
                secretToken: try Self.secret(telegram.secretTokenEnv, telegram.channel, what: "Telegram webhook secret"))
        }
        let deps = AppDependencies(store: store, channels: channelDirectory, rules: config.priorityRules, knowledge: knowledge,
                                   smsCredentials: smsCredentials,
                                   chatSecret: ProcessInfo.processInfo.environment["PISHKHAN_CHAT_SECRET"],
                                   webhookSecrets: webhookSecrets, telegramCredentials: telegramCredentials)
        let app = buildApplication(deps, host: config.host, port: config.port, logger: logger)
        let scheduler = SLAScheduler(store: store, logger: logger, metrics: deps.metrics)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app), .init(service: scheduler)]
        // Mail: a poller per mailbox and one outbox worker. Passwords come from the variables the channel
        // files name; a missing one stops the start, naming it.
        var smtpPasswords: [String: String] = [:]
        for mail in channelDirectory.email.values.sorted(by: { $0.channel < $1.channel }) {
            if let imap = mail.imap, let settings = channelDirectory[mail.channel] {
                let poller = try MailboxPoller(config: mail, channel: settings, password: try Self.secret(imap.passwordEnv, mail.channel),
                                               store: store, rules: config.priorityRules, logger: logger, leaseDuration: leaseDuration)
                services.append(.init(service: poller))
            }
            if let smtp = mail.smtp { smtpPasswords[mail.channel] = try Self.secret(smtp.passwordEnv, mail.channel) }
        }
        let outbox = try EmailOutboxWorker(channels: Array(channelDirectory.email.values), passwords: smtpPasswords, store: store, logger: logger)
        if !outbox.isEmpty { services.append(.init(service: outbox)) }
        let bot = AnswerBotWorker(channels: channelDirectory, store: store, knowledge: knowledge, logger: logger, leaseDuration: leaseDuration)
        if !bot.isEmpty {
            logger.info("answer bot on", metadata: ["channels": "\(channelDirectory.sorted.filter { $0.bot != nil }.map(\.id).joined(separator: ","))"])
            services.append(.init(service: bot))
        }
        let smsOutbox = SMSOutboxWorker(channels: Array(channelDirectory.sms.values), credentials: smsCredentials, store: store, logger: logger)
        if !smsOutbox.isEmpty { services.append(.init(service: smsOutbox)) }
        let chatWebhookOutbox = ChatWebhookOutboxWorker(
            webhooks: Array(channelDirectory.webhook.values), secrets: webhookSecrets, telegram: Array(channelDirectory.telegram.values),
            telegramCredentials: telegramCredentials, store: store, logger: logger)
        if !chatWebhookOutbox.isEmpty { services.append(.init(service: chatWebhookOutbox)) }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

extension Serve {
    /// The value of the environment variable a channel file names for a secret; "" when it names none.
    static func secret(_ variable: String?, _ channel: String, what: String = "password") throws -> String {
        guard let variable else { return "" }
        guard let value = ProcessInfo.processInfo.environment[variable] else {
            throw ValidationError("channel \(channel) reads its \(what) from \(variable), which is not set")
        }
        return value
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring the database schema up to date and exit (serve does this too on start).",
        discussion: "With --check nothing is applied: the exit status is 1 when migrations are pending, so a deploy script can tell.")
    @Flag(help: "Only say what is pending; apply nothing.") var check = false
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        if let url = ProcessInfo.processInfo.environment["PISHKHAN_DATABASE_URL"], PostgresURL.isPostgres(url) {
            try await migratePostgres(try PostgresURL(url))
            return
        }
        let config = try storage.configuration()
        let pending = try SQLiteStore.pendingMigrations(path: config.databasePath)
        print("Database: \(config.databasePath)")
        if check {
            try Self.reportPending(pending)
            return
        }
        let store = try storage.openStore(config, logger: Logger(label: "pishkhan"))
        Self.reportApplied(now: pending, all: try store.appliedMigrations())
    }

    /// Several processes may run this at once (a deploy starting servers together): they take turns on an
    /// advisory lock, and the later ones find nothing to apply.
    private func migratePostgres(_ url: PostgresURL) async throws {
        var logger = Logger(label: "pishkhan")
        logger.logLevel = .warning
        let check = self.check
        print("Database: \(url.redacted)")
        try await PostgresStore.withStore(url: url, logger: logger, migrate: false) { store in
            if check {
                try Self.reportPending(try await store.pendingMigrations())
                return
            }
            let now = try await store.migrate()
            Self.reportApplied(now: now, all: try await store.appliedMigrations())
        }
    }

    /// `--check`: what is pending; exit status 1 when anything is.
    private static func reportPending(_ pending: [String]) throws {
        guard !pending.isEmpty else {
            print("Up to date.")
            return
        }
        print("Pending: \(pending.joined(separator: ", "))")
        throw ExitCode(1)
    }

    private static func reportApplied(now: [String], all applied: [String]) {
        print(now.isEmpty ? "Nothing to apply." : "Applied now: \(now.joined(separator: ", "))")
        print("Up to date: \(applied.count) migrations, the last \(applied.last ?? "none").")
    }
}

struct Agents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage agents and their tokens.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an agent and print its token (shown once).")
        @Option(help: "Display name.") var name: String
        @Option(help: "agent, supervisor, admin or integration.") var role: String = "agent"
        @Option(help: "Email address.") var email: String?
        @Option(help: "Comma-separated assignment groups.") var groups: String = ""
        @Option(help: "Maximum open tickets for least-loaded assignment.") var capacity: Int?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be agent, supervisor, admin or integration") }
            let groups = groups.split(separator: ",").map { String($0) }
            let (name, email, capacity) = (name, email, capacity)
            let (agent, token) = try await storage.withStore(logger: Logger(label: "pishkhan")) { store, _ in
                try await store.createAgent(name: name, role: role, email: email, groups: groups, capacity: capacity)
            }
            print("Created \(agent.role.rawValue) \(agent.id) (\(agent.name)). Token, shown once:")
            print(token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List agents.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            for a in try await storage.withStore(logger: Logger(label: "pishkhan"), { store, _ in try await store.agents() }) {
                print("\(a.id)\t\(a.role.rawValue)\t\(a.available ? "available" : "away")\t\(a.name)\t\(a.groups.joined(separator: ","))")
            }
        }
    }
}

struct KB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb", abstract: "Load the knowledge base into the database and search it.", subcommands: [Index.self, Search.self])

    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate KnowledgeBase/ and seed the database from it (what serve does at start and on SIGHUP).",
            discussion: """
                New files are inserted, changed files update the rows they seeded, and rows created, edited or deleted \
                through the API stay as the API left them. A malformed file stops the command, naming the file and field. \
                A running server picks the result up on SIGHUP.
                """)
        @Option(help: "Folder of knowledge-base articles (*.md) and canned responses (canned/*.md).") var knowledgeBase: String = "KnowledgeBase"
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let directory = URL(fileURLWithPath: knowledgeBase)
            let articles = try ArticleLoader.load(from: directory)
            let canned = try CannedLoader.load(from: directory)
            let (report, seconds, indexed) = try await storage.withStore(logger: Logger(label: "pishkhan")) { store, _ in
                let knowledge = KnowledgeBase(store: store, directory: directory)
                let start = ContinuousClock.now
                let report = try await knowledge.seed(articles: articles, canned: canned)
                return (report, (ContinuousClock.now - start) / .milliseconds(1) / 1000, knowledge.articleCount)
            }
            print("articles: \(articles.count) files; \(report.articles.inserted) inserted, \(report.articles.updated) updated, "
                  + "\(report.articles.keptFromAPI) kept as edited through the API, \(report.articles.unchanged) unchanged")
            print("canned responses: \(canned.count) files; \(report.canned.inserted) inserted, \(report.canned.updated) updated, "
                  + "\(report.canned.keptFromAPI) kept as edited through the API, \(report.canned.unchanged) unchanged")
            print("indexed \(indexed) published articles in \(String(format: "%.2f", seconds)) s")
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search the published articles in the database, with scores (what agents and the bot see).")
        @Argument(help: "The query.") var query: String
        @Option(help: "fa or en; detected from the query when left out.") var locale: String?
        @Option(help: "Results.") var limit: Int = 5
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            var chosen: Article.Locale?
            if let locale {
                guard let l = Article.Locale(rawValue: locale) else { throw ValidationError("--locale must be fa or en") }
                chosen = l
            }
            let (query, limit, locale) = (query, limit, chosen)
            let hits = try await storage.withStore(logger: Logger(label: "pishkhan")) { store, _ in
                let knowledge = KnowledgeBase(store: store, directory: URL(fileURLWithPath: "/nonexistent"))
                try await knowledge.seed(articles: [], canned: [])
                return knowledge.searchArticles(query + " ", locale: locale ?? Analyzer.detectLocale(query), limit: limit)
            }
            for hit in hits {
                print("\(String(format: "%7.3f", hit.score))  \(hit.id)  \(hit.title)")
                print("         \(hit.snippet)")
            }
        }
    }
}

struct TUI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui", abstract: "The terminal UI for agents: the queue by SLA urgency, conversations, replies with canned responses.")
    @Option(help: "The server's address.") var server: String = ProcessInfo.processInfo.environment["PISHKHAN_SERVER"] ?? "http://127.0.0.1:8080"
    @Option(help: "An agent token (default: $PISHKHAN_TOKEN).") var token: String?
    @Option(help: "reorder: draw Persian right to left here (most terminals); terminal: the terminal reorders itself.")
    var bidi: String = "reorder"

    func run() async throws {
        guard let token = token ?? ProcessInfo.processInfo.environment["PISHKHAN_TOKEN"], !token.isEmpty else {
            throw ValidationError("give an agent token with --token or PISHKHAN_TOKEN")
        }
        guard let mode = BidiMode(rawValue: bidi) else { throw ValidationError("--bidi must be reorder or terminal") }
        // PISHKHAN_TUI_TRACE names a file for `pishkhan-bench tui` timings (first screen, redraw per key).
        try await TerminalApp(api: APIClient(server: server, token: token), bidi: mode,
                              traceFile: ProcessInfo.processInfo.environment["PISHKHAN_TUI_TRACE"]).run()
    }
}
