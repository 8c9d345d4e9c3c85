import Foundation
import Logging
import PishkhanStore

/// Work that one process of a cluster does at a time (polling a mailbox, running the answer bot), under a
/// lease in the shared database. The holder renews it every third of its length; when the holder dies the
/// lease runs out and another process takes the work over. On SQLite (one process owns the file) the workers
/// take no lease.
public struct ClusterLease: Sendable {
    public let store: any LeaseStore
    public let name: String
    public let holder: String
    public let duration: TimeInterval
    let logger: Logger

    public init(store: any LeaseStore, name: String, holder: String = ClusterLease.processHolder, duration: TimeInterval, logger: Logger) {
        self.store = store
        self.name = name
        self.holder = holder
        self.duration = duration
        self.logger = logger
    }

    /// This process, as lease holders are named: host, pid and a random part (a pid is reused after a restart).
    public static let processHolder: String = {
        let host = ProcessInfo.processInfo.hostName
        let random = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "\(host):\(getpid()):\(random)"
    }()

    /// Runs `body` while this process holds the lease, renewing it meanwhile, and returns true; returns false
    /// at once when another process holds it. When a renewal finds the lease lost (this process stalled past
    /// its expiry and another took over) `body` is cancelled. The work must be safe to overlap for that
    /// moment anyway: intake's idempotency keys make a mailbox read twice store each message once.
    public func whileHeld(_ body: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        guard let lease = try await store.acquireLease(name, holder: holder, for: duration) else { return false }
        logger.debug("lease held", metadata: ["lease": "\(name)", "generation": "\(lease.generation)"])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while true {
                    try await Task.sleep(for: .seconds(duration / 3))
                    guard try await store.acquireLease(name, holder: holder, for: duration) != nil else {
                        throw LeaseLost(name: name)
                    }
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
        return true
    }

    /// Gives the lease up (a clean shutdown), so another process need not wait for it to run out.
    public func release() async {
        do {
            try await store.releaseLease(name, holder: holder)
        } catch {
            logger.warning("lease not released; it runs out on its own", metadata: ["lease": "\(name)", "error": "\(error)"])
        }
    }

    /// The lease's length from `PISHKHAN_LEASE_SECONDS` (default 30 s, at least 1 s).
    public static func configuredDuration(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> TimeInterval {
        environment["PISHKHAN_LEASE_SECONDS"].flatMap(Double.init).map { max(1, $0) } ?? 30
    }
}

/// Another process took the lease over.
public struct LeaseLost: Error, CustomStringConvertible {
    public var name: String
    public var description: String { "lease \(name) was taken over by another process" }
}
