import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The TUI's only way to the data: the server's REST API with the agent's bearer token.
public struct APIClient: Sendable {
    public let server: String
    let token: String

    public struct Failure: Error, CustomStringConvertible {
        public var status: Int
        public var detail: String
        public var description: String { status == 0 ? detail : "HTTP \(status): \(detail)" }
    }

    public init(server: String, token: String) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
    }

    /// A server that is down is reported within two seconds (the shared client waits ten), so the screen
    /// says so quickly; the TUI retries by itself.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(15))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = f.date(from: text) { return date }
            f.formatOptions = [.withInternetDateTime]
            if let date = f.date(from: text) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date: \(text)"))
        }
        return d
    }()

    public func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try Self.decoder.decode(T.self, from: try await send(.GET, path, body: nil))
    }

    public func patch<T: Decodable>(_ path: String, json: [String: Any], as type: T.Type) async throws -> T {
        let body = try JSONSerialization.data(withJSONObject: json)
        return try Self.decoder.decode(T.self, from: try await send(.PATCH, path, body: body))
    }

    public func post<T: Decodable>(_ path: String, json: [String: Any], as type: T.Type) async throws -> T {
        let body = try JSONSerialization.data(withJSONObject: json)
        return try Self.decoder.decode(T.self, from: try await send(.POST, path, body: body))
    }

    func send(_ method: HTTPMethod, _ path: String, body: Data?) async throws -> Data {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: .seconds(15))
        } catch {
            throw Failure(status: 0, detail: "cannot reach \(server): \(error)")
        }
        let data = Data((try await response.body.collect(upTo: 16 << 20)).readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            let problem = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            throw Failure(status: Int(response.status.code), detail: problem?["detail"] as? String ?? response.status.reasonPhrase)
        }
        return data
    }
}

/// The API's shapes the TUI reads.
public struct TicketPage: Decodable, Sendable {
    public var items: [QueueTicket]
    public var nextCursor: String?
}

public struct TicketDetail: Decodable, Sendable {
    public var ticket: QueueTicket
    public var messages: [ConversationMessage]
}

public struct ConversationMessage: Decodable, Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var channel: String
    public var text: String?
    public var deliveryStatus: String?
    public var createdAt: Date
}

public struct EventPage: Decodable, Sendable {
    public struct Item: Decodable, Sendable {
        public var seq: Int64
    }
    public var events: [Item]
    public var lastSeq: Int64
}

public struct Rendered: Decodable, Sendable {
    public var text: String
}

public struct Created: Decodable, Sendable {
    public var id: Int64
}

public struct AgentInfo: Decodable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var role: String

    public init(id: Int64, name: String, role: String) {
        self.id = id
        self.name = name
        self.role = role
    }
}

public struct AgentList: Decodable, Sendable {
    public var agents: [AgentInfo]
}

/// The parts of the customer 360 profile (`GET /api/v1/customers/{id}`) the ticket view shows.
public struct CustomerView: Decodable, Sendable {
    public struct Customer: Decodable, Sendable {
        public var id: Int64
        public var name: String?
        public var tier: String
        public var tags: [String]
    }
    public struct Identity: Decodable, Sendable {
        public var kind: String
        public var value: String
    }
    public struct Ticket: Decodable, Sendable {
        public var id: Int64
        public var number: Int64
        public var subject: String
        public var status: String
        public var channel: String
    }
    public struct Timeline: Decodable, Sendable {
        public struct Entry: Decodable, Sendable {
            public var kind: String
            public var at: Date
            public var channel: String?
            public var eventType: String?
            public var messageKind: String?
            public var title: String?
            public var text: String?
        }
        public var items: [Entry]
    }
    public var customer: Customer
    public var identities: [Identity]
    public var tickets: [Ticket]
    public var channelsUsed: [String]
    public var openTickets: Int
    public var timeline: Timeline
}

/// `GET /api/v1/tickets/{id}/suggestions`.
public struct SuggestionsView: Decodable, Sendable {
    public struct ArticleHit: Decodable, Sendable {
        public var id: String
        public var title: String
    }
    public struct CannedHit: Decodable, Sendable {
        public var shortcut: String
        public var title: String
    }
    public var articles: [ArticleHit]
    public var cannedResponses: [CannedHit]
}

/// `GET /api/v1/agents/workload`.
public struct WorkloadView: Decodable, Sendable {
    public struct Row: Decodable, Sendable {
        public var agentID: Int64?
        public var open: Int
        public var pending: Int
        public var breached: Int
    }
    public var workload: [Row]
}

/// `GET /api/v1/sla/at-risk`.
public struct AtRiskView: Decodable, Sendable {
    public struct Item: Decodable, Sendable {
        public var ticket: QueueTicket
        public var firstDueAt: Date
    }
    public var tickets: [Item]
}

/// `GET /api/v1/sla/summary`: the overall row.
public struct SummaryView: Decodable, Sendable {
    public struct Metric: Decodable, Sendable {
        public var decided: Int
        public var met: Int
        public var breached: Int
        public var metPercent: Double?
    }
    public struct Group: Decodable, Sendable {
        public var tickets: Int
        public var metrics: [String: Metric]
        public var openBreaches: Int
    }
    public var overall: Group
}
