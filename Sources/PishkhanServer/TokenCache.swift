import Foundation
import PishkhanStore
import Synchronization

/// Remembers which agent a bearer token belongs to for a few seconds, so a busy integration does not cost
/// a database read per request. Unknown tokens are never cached: a new token works at once, and a changed
/// or removed agent is seen again within `lifetime`.
final class TokenCache: Sendable {
    private struct Entry {
        var agent: Agent
        var expires: ContinuousClock.Instant
    }
    private let entries = Mutex<[String: Entry]>([:])
    private let lifetime: Duration
    private let capacity: Int

    init(lifetime: Duration = .seconds(10), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func agent(for token: String, store: any Store) async throws -> Agent? {
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[token] }), hit.expires > now { return hit.agent }
        guard let agent = try await store.agent(bearerToken: token) else { return nil }
        entries.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[token] = Entry(agent: agent, expires: now + lifetime)
        }
        return agent
    }
}
