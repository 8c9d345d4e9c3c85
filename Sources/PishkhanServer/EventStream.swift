import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import PishkhanStore

/// `/ws/events`: the typed event stream over WebSocket. A client connects with `?after=SEQ` (and its
/// token as a Bearer header or `?token=`), gets every event after SEQ from the table, then live events
/// as they commit. Events are read from the store, never from memory, so nothing is skipped on resume.
struct EventStream: Sendable {
    let store: any Store

    func register(on router: Router<PishkhanRequestContext>) {
        router.ws("/ws/events", shouldUpgrade: { request, _ in
            guard let token = AuthMiddleware.bearerToken(request, allowQuery: true),
                  let agent = try await store.agent(bearerToken: token) else {
                throw Problem.unauthorized()
            }
            guard agent.role.satisfies(.agent) else {
                throw Problem(status: .forbidden, title: "Forbidden", detail: "integration tokens cannot follow the event stream")
            }
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            let after = context.request.uri.queryParameters.get("after").flatMap(Int64.init) ?? 0
            try await follow(after: after, inbound: inbound, outbound: outbound, logger: context.logger)
        })
    }

    func follow(after: Int64, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger) async throws {
        let signals = store.events.subscribe()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Reading keeps control frames (ping, close) flowing; the client has nothing to say.
                for try await _ in inbound {}
            }
            group.addTask {
                var last = after
                try await send(after: &last, outbound: outbound)
                for await _ in signals {
                    try await send(after: &last, outbound: outbound)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func send(after last: inout Int64, outbound: WebSocketOutboundWriter) async throws {
        while true {
            let batch = try await store.events(after: last, limit: 500)
            for event in batch {
                let data = try APIEncoder.encoder.encode(event)
                try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
                last = event.seq
            }
            if batch.count < 500 { return }
        }
    }
}
