import Hummingbird
import PishkhanStore

/// Resolves `Authorization: Bearer <token>` to an agent. Routes then require a role with
/// `context.require(_:)`; a missing or unknown token is 401 before any route runs.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = PishkhanRequestContext
    let store: any Store
    let tokens: TokenCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = Self.bearerToken(request), let agent = try await tokens.agent(for: token, store: store) else {
            throw Problem.unauthorized()
        }
        var context = context
        context.agent = agent
        context.logger[metadataKey: "agent"] = "\(agent.id)"
        return try await next(request, context)
    }

    /// The token from the Authorization header, or from `?token=` where a browser cannot set headers
    /// (WebSocket upgrades).
    static func bearerToken(_ request: Request, allowQuery: Bool = false) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
            return nil
        }
        return allowQuery ? request.uri.queryParameters.get("token") : nil
    }
}
