import Foundation
import Hummingbird
import HummingbirdTesting
import PishkhanChannels
import PishkhanCore
import PishkhanServer
import PishkhanStore
import Testing

/// An application on an in-memory store with one token per role.
struct TestApp {
    let store: SQLiteStore
    let deps: AppDependencies
    let tokens: [Role: String]
    let agents: [Role: Agent]

    static let channels = ChannelDirectory([
        ChannelSettings(id: "support-email", kind: .email),
        ChannelSettings(id: "sms", kind: .sms),
        ChannelSettings(id: "chat", kind: .chat, bot: BotSettings(name: "Bazaarche assistant")),
    ])

    static func make(clock: any WallClock = SystemWallClock(), knowledgeBase: URL? = nil) async throws -> TestApp {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-http-\(UUID().uuidString)")
        let store = try SQLiteStore.inMemory(attachmentsDirectory: dir, clock: { clock.now() })
        var tokens: [Role: String] = [:]
        var agents: [Role: Agent] = [:]
        for role in Role.allCases {
            let (agent, token) = try await store.createAgent(name: role.rawValue, role: role, email: nil, groups: ["support"], capacity: nil)
            tokens[role] = token
            agents[role] = agent
        }
        let knowledge = knowledgeBase.map { KnowledgeBase(store: store, directory: $0) }
        try await knowledge?.reload()
        return TestApp(store: store, deps: AppDependencies(store: store, channels: channels, knowledge: knowledge), tokens: tokens, agents: agents)
    }

    var application: some ApplicationProtocol { Application(router: buildRouter(deps)) }

    func run(_ test: @escaping @Sendable (Client) async throws -> Void) async throws {
        let tokens = self.tokens
        try await application.test(.router) { client in try await test(Client(client: client, tokens: tokens)) }
    }

    struct Client: Sendable {
        let client: any TestClientProtocol
        let tokens: [Role: String]

        /// Sends a request as `role` (nil: no token) and returns status, headers and the JSON body.
        @discardableResult
        func call(_ method: HTTPRequest.Method, _ uri: String, as role: Role? = .admin, token: String? = nil, body: String? = nil,
                  headers extra: HTTPFields = [:]) async throws -> Reply {
            var headers = extra
            if let t = token ?? role.flatMap({ tokens[$0] }) { headers[.authorization] = "Bearer \(t)" }
            if body != nil { headers[.contentType] = "application/json" }
            let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
            return Reply(status: response.status, headers: response.headers, body: Data(buffer: response.body))
        }

        func inbound(_ externalID: String, from: String = "ali@example.com", channel: String = "support-email", kind: String = "email",
                     subject: String = "Order late", text: String = "Where is my order?") async throws -> Reply {
            try await call(.post, "/api/v1/inbound", as: .integration, body: """
                {"channel":"\(channel)","channelKind":"\(kind)","externalID":"\(externalID)","sender":{"address":"\(from)","displayName":"Ali"},
                 "subject":"\(subject)","text":"\(text)"}
                """)
        }
    }

    struct Reply: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        subscript(_ key: String) -> Any? { json[key] }
        var text: String { String(decoding: body, as: UTF8.self) }
        func int(_ key: String) -> Int64? { (json[key] as? NSNumber)?.int64Value }

        /// Asserts a problem+json answer with this status (and field, when given).
        func expectProblem(_ status: HTTPResponse.Status, field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(self.status == status, "\(text)", sourceLocation: sourceLocation)
            #expect(headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
            #expect(json["status"] as? Int == Int(status.code), sourceLocation: sourceLocation)
            #expect(!(json["detail"] as? String ?? "").isEmpty, sourceLocation: sourceLocation)
            if let field { #expect(json["field"] as? String == field, "\(text)", sourceLocation: sourceLocation) }
        }
    }
}

/// The repository's top folder, for tests that read shipped files.
enum Repository {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
