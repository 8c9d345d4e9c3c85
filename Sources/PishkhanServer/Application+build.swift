import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanStore

/// What the application is made of; built once by the executable (or a test) and passed in.
public struct AppDependencies: Sendable {
    public var store: any Store
    public var channels: ChannelDirectory
    public var rules: PriorityRules
    public var metrics: ServerMetrics
    public var knowledge: KnowledgeBase
    /// SMS channels' provider accounts (read from the environment at start), for webhook signatures.
    public var smsCredentials: [String: SMSCredentials]
    /// Signs web-chat visitor tokens (`PISHKHAN_CHAT_SECRET`); nil keeps a generated one in the database.
    public var chatSecret: String?
    /// Pushes chat replies to this server's open visitor connections; runs with the application.
    public let chatHub: ChatHub
    /// Reads and encodes new events once for every `/ws/events` client; runs with the application.
    public let eventFanout: EventFanout
    /// Chat-webhook channels' shared secrets (read from the environment at start), by channel id.
    public var webhookSecrets: [String: String]
    /// Telegram channels' bot tokens and webhook secrets (read from the environment at start), by channel id.
    public var telegramCredentials: [String: TelegramCredentials]
    /// The time signed webhook calls are checked against.
    public var clock: any WallClock

    public init(store: any Store, channels: ChannelDirectory, rules: PriorityRules = .standard, metrics: ServerMetrics = ServerMetrics(),
                knowledge: KnowledgeBase? = nil, smsCredentials: [String: SMSCredentials] = [:],
                chatSecret: String? = nil, webhookSecrets: [String: String] = [:], telegramCredentials: [String: TelegramCredentials] = [:],
                clock: any WallClock = SystemWallClock()) {
        self.chatSecret = chatSecret
        self.webhookSecrets = webhookSecrets
        self.telegramCredentials = telegramCredentials
        self.clock = clock
        self.store = store
        self.channels = channels
        self.smsCredentials = smsCredentials
        self.rules = rules
        self.metrics = metrics
        self.knowledge = knowledge ?? KnowledgeBase(store: store, directory: URL(fileURLWithPath: "/nonexistent"))
        self.eventFanout = EventFanout(store: store)
        self.chatHub = ChatHub(store: store, channels: Set(channels.chat.keys), fanout: eventFanout)
    }
}

/// The HTTP router: health, metrics, the OpenAPI document, the help pages and the chat widget, the
/// providers' webhooks (signed, no token), and `/api/v1` behind authentication.
public func buildRouter(_ deps: AppDependencies) -> Router<PishkhanRequestContext> {
    let router = Router(context: PishkhanRequestContext.self)
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: MetricsMiddleware(metrics: deps.metrics))

    // For load balancers: 503 (problem+json) when the database does not answer within two seconds, so a
    // process cut off from it is taken out of rotation.
    router.get("healthz") { _, _ -> [String: String] in
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await deps.store.ping() }
                group.addTask {
                    try await Task.sleep(for: .seconds(2))
                    throw CancellationError()
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch {
            throw Problem(status: .serviceUnavailable, title: "Database unreachable",
                          detail: "the database did not answer a ping within 2 seconds")
        }
        return ["status": "ok", "database": "ok"]
    }
    router.get("metrics") { _, _ -> Response in
        deps.metrics.openTickets.set(Double(try await deps.store.openTicketCount()))
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: deps.metrics.registry.emitToBuffer())))
    }
    router.get("openapi.yaml") { _, _ -> Response in
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.data)))
    }

    HelpPages(knowledge: deps.knowledge).register(on: router)
    ChatWidgetRoutes(channels: deps.channels).register(on: router)
    SMSWebhookRoutes(store: deps.store, channels: deps.channels, credentials: deps.smsCredentials, rules: deps.rules, metrics: deps.metrics)
        .register(on: router)
    ChatWebhookRoutes(store: deps.store, channels: deps.channels, secrets: deps.webhookSecrets, rules: deps.rules, metrics: deps.metrics,
                      clock: deps.clock).register(on: router)
    TelegramWebhookRoutes(store: deps.store, channels: deps.channels, credentials: deps.telegramCredentials, rules: deps.rules,
                          metrics: deps.metrics).register(on: router)

    let api = router.group("api/v1").add(middleware: AuthMiddleware(store: deps.store, tokens: TokenCache()))
    APIRoutes(store: deps.store, channels: deps.channels, rules: deps.rules, metrics: deps.metrics).register(on: api)
    SLARoutes(store: deps.store).register(on: api)
    QuarantineRoutes(store: deps.store, channels: deps.channels, rules: deps.rules).register(on: api)
    KnowledgeRoutes(store: deps.store, knowledge: deps.knowledge).register(on: api)
    return router
}

/// The WebSocket router, served on the same port through the HTTP/1 upgrade.
public func buildWebSocketRouter(_ deps: AppDependencies) -> Router<PishkhanRequestContext> {
    let router = Router(context: PishkhanRequestContext.self)
    router.add(middleware: ProblemMiddleware())
    EventStream(store: deps.store, fanout: deps.eventFanout).register(on: router)
    ChatSocket(store: deps.store, channels: deps.channels, rules: deps.rules, keys: VisitorKeys(secret: deps.chatSecret), hub: deps.chatHub).register(on: router)
    return router
}

/// The whole application, ready to run as a service (graceful shutdown on SIGTERM/SIGINT finishes
/// in-flight requests, and with them their transactions).
public func buildApplication(_ deps: AppDependencies, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: buildRouter(deps),
        server: .http1WebSocketUpgrade(
            webSocketRouter: buildWebSocketRouter(deps),
            configuration: .init(http1: .init(), ws: .init(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(30))))),
        configuration: .init(address: .hostname(host, port: port), serverName: "pishkhan"),
        services: [deps.chatHub, deps.eventFanout],
        logger: logger)
}

/// The OpenAPI 3.1 description of every route, shipped as a resource.
public enum OpenAPIDocument {
    public static let data: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let data = try? Data(contentsOf: url) else {
            return Data("openapi: 3.1.0\n".utf8)
        }
        return data
    }()
}
