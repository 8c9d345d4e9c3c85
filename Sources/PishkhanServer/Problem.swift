import Foundation
import Hummingbird
import Logging
import NIOCore
import PishkhanCore
import PishkhanStore

/// An RFC 9457 problem: every error leaves the server as `application/problem+json` with a detail a
/// person can act on, and `field` naming what to fix when one input is at fault.
public struct Problem: Error, HTTPResponseError, Codable, Sendable {
    public var type: String
    public var title: String
    public var statusCode: Int
    public var detail: String
    public var field: String?
    public var requestID: String?

    public var status: HTTPResponse.Status { .init(code: statusCode) }

    public init(status: HTTPResponse.Status, title: String, detail: String, field: String? = nil) {
        self.type = "about:blank"
        self.title = title
        self.statusCode = status.code
        self.detail = detail
        self.field = field
    }

    enum CodingKeys: String, CodingKey {
        case type, title, detail, field, requestID
        case statusCode = "status"
    }

    static func unauthorized() -> Problem {
        Problem(status: .unauthorized, title: "Unauthorized", detail: "send a valid token as 'Authorization: Bearer <token>'")
    }

    static func notFound(_ what: String) -> Problem {
        Problem(status: .notFound, title: "Not Found", detail: what)
    }

    static func invalid(_ field: String, _ reason: String) -> Problem {
        Problem(status: .unprocessableContent, title: "Unprocessable Content", detail: "\(field) \(reason)", field: field)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if statusCode == 401 { headers[.wwwAuthenticate] = "Bearer realm=\"pishkhan\"" }
        let data = try APIEncoder.encoder.encode(self)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Maps any error to a problem. Unknown errors become a 500 that says nothing about internals.
    static func from(_ error: any Error, logger: Logger) -> Problem {
        switch error {
        case let p as Problem:
            return p
        case let e as StoreError:
            switch e {
            case .notFound(let s): return .notFound(s)
            case .conflict(let s): return Problem(status: .conflict, title: "Conflict", detail: s)
            case .invalid(let v): return .invalid(v.field, v.reason)
            }
        case let v as ValidationError:
            return .invalid(v.field, v.reason)
        case let d as DecodingError:
            return fromDecoding(d)
        case is NIOTooManyBytesError:
            return Problem(status: .contentTooLarge, title: "Content Too Large", detail: "the request body is larger than \(PishkhanRequestContext.bodyLimit / 1024 / 1024) MiB")
        case let h as HTTPError:
            let detail: String
            switch h.status {
            case .contentTooLarge: detail = "the request body is larger than \(PishkhanRequestContext.bodyLimit / 1024 / 1024) MiB"
            case .notFound: detail = "no such route; see /openapi.yaml"
            case .methodNotAllowed: detail = "this route does not take that method; see /openapi.yaml"
            default: detail = h.body ?? h.status.reasonPhrase
            }
            return Problem(status: h.status, title: h.status.reasonPhrase, detail: detail)
        default:
            logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return Problem(status: .internalServerError, title: "Internal Server Error", detail: "the server failed; the request id is in the log")
        }
    }

    static func fromDecoding(_ error: DecodingError) -> Problem {
        func path(_ ctx: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            let keys = ctx.codingPath + (key.map { [$0] } ?? [])
            let joined = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return joined.hasPrefix(".") ? String(joined.dropFirst()) : (joined.isEmpty ? "(body)" : joined)
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return .invalid(path(ctx, key), "is required")
        case .typeMismatch(let type, let ctx):
            return .invalid(path(ctx), "must be \(describe(type))")
        case .valueNotFound(let type, let ctx):
            return .invalid(path(ctx), "must be \(describe(type)), not null")
        case .dataCorrupted(let ctx) where !ctx.codingPath.isEmpty:
            return .invalid(path(ctx), ctx.debugDescription)
        case .dataCorrupted:
            return Problem(status: .badRequest, title: "Bad Request", detail: "the body is not valid JSON")
        @unknown default:
            return Problem(status: .badRequest, title: "Bad Request", detail: "the body could not be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is Date.Type: "an ISO 8601 date-time"
        case is Data.Type: "base64"
        default: "of type \(type)"
        }
    }
}

/// Turns every error into problem+json, in one place.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = PishkhanRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Problem.from(error, logger: context.logger)
            problem.requestID = context.id
            if problem.statusCode >= 500 {
                context.logger.error("request failed", metadata: ["status": "\(problem.statusCode)", "path": "\(request.uri.path)"])
            }
            return try problem.response(from: request, context: context)
        }
    }
}
