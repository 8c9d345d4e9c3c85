import Foundation
import Hummingbird
import HummingbirdWebSocket
import PishkhanCore
import PishkhanStore

/// Per-request state: the authenticated agent and the request's logger.
public struct PishkhanRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// Set by `AuthMiddleware` on `/api/v1` routes.
    public var agent: Agent?

    /// Request bodies above this are answered 413 before any of them is parsed.
    public static let bodyLimit = 16 * 1024 * 1024

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
    }

    public var maxUploadSize: Int { Self.bodyLimit }
    public var requestDecoder: APIDecoder { APIDecoder() }
    public var responseEncoder: APIEncoder { APIEncoder() }

    /// The caller, who must hold at least `access`; 401 without a valid token, 403 with too little.
    public func require(_ access: Access) throws -> Agent {
        guard let agent else { throw Problem.unauthorized() }
        guard agent.role.satisfies(access) else {
            throw Problem(status: .forbidden, title: "Forbidden", detail: "this route needs the \(access) role; your token has \(agent.role.rawValue)")
        }
        return agent
    }
}

/// JSON with ISO 8601 dates (fractional seconds accepted) and problem+json for what cannot be decoded.
public struct APIDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return try Self.decode(type, from: Data(buffer: buffer))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { d in
            let c = try d.singleValueContainer()
            let s = try c.decode(String.self)
            if let date = ISO8601.parse(s) { return date }
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(s)' is not an ISO 8601 date-time")
        }
        return try decoder.decode(type, from: data)
    }
}

public struct APIEncoder: ResponseEncoder {
    public init() {}

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let data = try Self.encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(ISO8601.format(date))
        }
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
}

/// A response with a status other than 200 and a JSON body.
struct Created<T: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .created
    var value: T

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(value, from: request, context: context)
        response.status = status
        return response
    }
}
