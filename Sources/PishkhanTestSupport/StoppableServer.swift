/// A server a test starts and must stop by pid however the test ends.
public protocol StoppableServer: Sendable {
    /// Stops the server and removes its files; idempotent.
    func stop()
}

extension StoppableServer {
    /// Runs `body` with this server, then stops it whether `body` succeeded or not.
    public func stopping<T>(after body: (Self) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            stop()
            return result
        } catch {
            stop()
            throw error
        }
    }
}
