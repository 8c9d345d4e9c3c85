import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import PishkhanCore
import PishkhanServer
import Synchronization
import Testing

/// `/ws/events` over a real socket: replay from a sequence number, then live events as they commit.
@Suite struct EventStreamTests {
    @Test func followerGetsBacklogThenLiveEventsInOrder() async throws {
        let app = try await TestApp.make()
        let token = app.tokens[.agent]!
        let live = buildApplication(app.deps, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await live.test(.live) { client in
            let port = try #require(client.port)
            // Something happened before the follower connected.
            _ = try await app.store.ingest(
                InboundMessage(channel: "sms", channelKind: .sms, externalID: "before", sender: .init(address: "09120000001"), text: "one"),
                channel: TestApp.channels["sms"]!, rules: .standard)
            let received = try await withThrowingTaskGroup(of: [Event].self) { group in
                group.addTask {
                    let events = Mutex<[Event]>([])
                    try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws/events?after=1&token=\(token)", logger: Logger(label: "ws")) { inbound, outbound, _ in
                        for try await message in inbound.messages(maxSize: 1 << 16) {
                            guard case .text(let text) = message else { continue }
                            let event = try JSONDecoder.api.decode(Event.self, from: Data(text.utf8))
                            if events.withLock({ $0.append(event); return $0.count }) == 5 { try await outbound.close(.normalClosure, reason: nil); break }
                        }
                    }
                    return events.withLock { $0 }
                }
                group.addTask {
                    // Live: a new message from another customer after the follower subscribed.
                    try await Task.sleep(for: .milliseconds(300))
                    _ = try await app.store.ingest(
                        InboundMessage(channel: "sms", channelKind: .sms, externalID: "after", sender: .init(address: "09120000002"), text: "two"),
                        channel: TestApp.channels["sms"]!, rules: .standard)
                    return []
                }
                var all: [Event] = []
                for try await e in group { all += e }
                return all
            }
            #expect(received.map(\.seq) == [2, 3, 4, 5, 6])
            #expect(received.map(\.type) == [.ticketCreated, .messageAdded, .customerCreated, .ticketCreated, .messageAdded])
        }
    }

    @Test func everyFollowerGetsEachLiveEventOnceFromOneSharedReader() async throws {
        let app = try await TestApp.make()
        let token = app.tokens[.agent]!
        let live = buildApplication(app.deps, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await live.test(.live) { client in
            let port = try #require(client.port)
            let seen = SeenEvents()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for follower in 0..<3 {
                    group.addTask {
                        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws/events?token=\(token)", logger: Logger(label: "ws")) { inbound, outbound, _ in
                            for try await message in inbound.messages(maxSize: 1 << 16) {
                                guard case .text(let text) = message else { continue }
                                let event = try JSONDecoder.api.decode(Event.self, from: Data(text.utf8))
                                let count = seen.value.withLock { s -> Int in
                                    s[follower, default: []].append(event.seq)
                                    return s[follower]!.count
                                }
                                if count == 9 { try await outbound.close(.normalClosure, reason: nil); break }
                            }
                        }
                    }
                }
                group.addTask {
                    while app.deps.eventFanout.followerCount < 3 { try await Task.sleep(for: .milliseconds(10)) }
                    for i in 0..<3 {
                        _ = try await app.store.ingest(
                            InboundMessage(channel: "sms", channelKind: .sms, externalID: "f\(i)", sender: .init(address: "0912000000\(i)"), text: "hi"),
                            channel: TestApp.channels["sms"]!, rules: .standard)
                    }
                }
                try await group.waitForAll()
            }
            let all = seen.value.withLock { $0 }
            #expect(all.count == 3)
            for (_, seqs) in all { #expect(seqs == Array(1...9), "each event once, in order: \(seqs)") }
            var open = app.deps.eventFanout.followerCount
            for _ in 0..<200 where open > 0 {
                try await Task.sleep(for: .milliseconds(10))
                open = app.deps.eventFanout.followerCount
            }
            #expect(open == 0, "closed followers leave the fan-out")
        }
    }

    @Test func upgradeWithoutAValidTokenIsRefused() async throws {
        let app = try await TestApp.make()
        let live = buildApplication(app.deps, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await live.test(.live) { client in
            let port = try #require(client.port)
            for query in ["", "?token=pk_nope", "?token=\(app.tokens[.integration]!)"] {
                await #expect(throws: (any Error).self) {
                    try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws/events\(query)", logger: Logger(label: "ws")) { _, _, _ in }
                }
            }
            // The same URL with an agent's token connects: the refusals above are about the token.
            let connected = Mutex(false)
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws/events?token=\(app.tokens[.agent]!)", logger: Logger(label: "ws")) { _, outbound, _ in
                connected.withLock { $0 = true }
                try await outbound.close(.normalClosure, reason: nil)
            }
            #expect(connected.withLock { $0 })
        }
    }
}

extension JSONDecoder {
    static var api: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let s = try decoder.singleValueContainer().decode(String.self)
            return try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(s)
        }
        return d
    }
}

final class SeenEvents: Sendable {
    let value = Mutex<[Int: [Int64]]>([:])
}
