import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import Synchronization

/// Follows the server's `/ws/events` stream in the background and tells the drawing loop that something
/// changed. Events are only a signal here: the screen reloads what it shows from the REST API, so an event
/// missed while disconnected costs nothing. A dropped connection is retried every second (with `after=`
/// the last sequence seen) and reported, so the screen can show a banner.
public final class EventFeed: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var connected: Bool
        public var lastSeq: Int64
        public var lastError: String?
    }

    private struct State {
        var snapshot = Snapshot(connected: false, lastSeq: 0, lastError: nil)
        var changed = false
    }

    private let state: Mutex<State>
    let url: String
    let token: String

    /// `server` is the http(s) address of the API; the stream is the same host over ws(s).
    public init(server: String, token: String, after: Int64) {
        var base = server.hasSuffix("/") ? String(server.dropLast()) : server
        if base.hasPrefix("https://") { base = "wss://" + base.dropFirst("https://".count) }
        else if base.hasPrefix("http://") { base = "ws://" + base.dropFirst("http://".count) }
        url = base + "/ws/events"
        self.token = token
        state = Mutex(State(snapshot: Snapshot(connected: false, lastSeq: after, lastError: nil)))
    }

    public var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// Whether anything arrived (or the connection changed) since the last call.
    public func takeChanged() -> Bool {
        state.withLock { s in
            defer { s.changed = false }
            return s.changed
        }
    }

    /// Runs until cancelled.
    public func run() async {
        var logger = Logger(label: "pishkhan.tui.events")
        logger.logLevel = .critical
        while !Task.isCancelled {
            let after = state.withLock { $0.snapshot.lastSeq }
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(token)"
            do {
                try await WebSocketClient.connect(
                    url: "\(url)?after=\(after)", configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers), logger: logger
                ) { inbound, _, _ in
                    self.state.withLock { s in
                        s.snapshot.connected = true
                        s.snapshot.lastError = nil
                        s.changed = true
                    }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message,
                              let event = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                              let seq = (event["seq"] as? NSNumber)?.int64Value else { continue }
                        self.state.withLock { s in
                            s.snapshot.lastSeq = max(s.snapshot.lastSeq, seq)
                            s.changed = true
                        }
                    }
                }
                record(error: "the server closed the event stream")
            } catch {
                record(error: "\(error)")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    private func record(error: String) {
        state.withLock { s in
            if s.snapshot.connected || s.snapshot.lastError == nil { s.changed = true }
            s.snapshot.connected = false
            s.snapshot.lastError = error
        }
    }
}
