import Foundation
import Logging
import PishkhanStore
import ServiceLifecycle

/// Keeps chat replies from waiting in the outbox: a reply on a web-chat channel is delivered by being
/// stored (visitors replay it on their next `hello`) and pushed to any open connection, so after every
/// commit the queued ones are marked sent, also those queued while the server was down.
public struct ChatReplyRecorder: Service {
    let store: any Store
    let channels: Set<String>
    let logger: Logger

    public init(store: any Store, channels: Set<String>, logger: Logger) {
        self.store = store
        self.channels = channels
        self.logger = logger
    }

    public var isEmpty: Bool { channels.isEmpty }

    /// One pass; returns how many replies were marked.
    @discardableResult
    public func markStored() async throws -> Int {
        var total = 0
        while true {
            let n = try await store.markStoredChatRepliesSent(channels: channels, limit: 500)
            total += n
            if n < 500 { return total }
        }
    }

    public func run() async throws {
        let signals = store.events.subscribe()
        await cancelWhenGracefulShutdown {
            do { try await markStored() } catch { logger.error("chat replies not marked", metadata: ["error": "\(error)"]) }
            for await _ in signals {
                do { try await markStored() } catch { logger.error("chat replies not marked", metadata: ["error": "\(error)"]) }
            }
        }
    }
}
