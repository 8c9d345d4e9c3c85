import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import PishkhanStore

/// `/ws/events`: the typed event stream over WebSocket. A client connects with `?after=SEQ` (and its
/// token as a Bearer header or `?token=`), gets every event after SEQ from the table, then live events
/// as they commit, read and encoded once for all clients by the server's `EventFanout`. The catch-up
/// reads the table, never memory, so nothing is skipped on resume.
struct EventStream: Sendable {
    let store: any Store
    let fanout: EventFanout

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
        // Subscribed before the catch-up, so what commits during it arrives right after; seq numbers
        // make each event go out once.
        let subscription = fanout.subscribe()
        let live = subscription.frames
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Reading keeps control frames (ping, close) flowing; the client has nothing to say.
                for try await _ in inbound {}
            }
            group.addTask {
                var last = after
                try await catchUp(after: &last, outbound: outbound)
                for await frames in live {
                    for frame in frames where frame.seq > last {
                        try await outbound.write(.text(frame.text))
                        last = frame.seq
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
        _ = consume subscription
    }

    private func catchUp(after last: inout Int64, outbound: WebSocketOutboundWriter) async throws {
        while true {
            let batch = try await store.events(after: last, limit: 500)
            for event in batch {
                try await outbound.write(.text(event.jsonText))
                last = event.seq
            }
            if batch.count < 500 { return }
        }
    }
}
