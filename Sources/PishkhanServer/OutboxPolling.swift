import Logging

/// An outbox worker's rhythm: deliver everything due, pause, again, until cancelled. A failed round is
/// logged and the next one tries again; claimed rows whose sender died come back when their lease ends.
protocol OutboxPolling: Sendable {
    /// Claims and delivers what is due now; returns how many were claimed.
    func deliverDue() async throws -> Int
}

extension OutboxPolling {
    func pollUntilCancelled(every interval: Duration, logger: Logger, what: String) async {
        while !Task.isCancelled {
            do {
                while try await deliverDue() > 0 {}
            } catch is CancellationError {
                return
            } catch {
                logger.error("\(what) poll failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
