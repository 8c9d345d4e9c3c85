import AsyncHTTPClient
import Foundation
import Synchronization
import Testing

/// Kills a real server with SIGKILL while messages stream in, restarts it on the same data, and proves
/// that every message it acknowledged is stored, and stored exactly once.
@Suite(.serialized) struct CrashTests {
    let data: URL
    let channels: URL

    init() throws {
        data = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-e2e-\(UUID().uuidString)")
        channels = data.appendingPathComponent("Channels")
        try FileManager.default.createDirectory(at: channels, withIntermediateDirectories: true)
        try "kind: sms\nthreadWindowHours: 24\n".write(to: channels.appendingPathComponent("sms.yaml"), atomically: true, encoding: .utf8)
    }

    static func message(_ i: Int) -> String {
        // 250 customers, several messages each, so threading and customer lookup run under the crash too.
        let phone = String(format: "0912%07d", i % 250)
        return #"{"channel":"sms","channelKind":"sms","externalID":"SM\#(i)","sender":{"address":"\#(phone)"},"text":"message \#(i)"}"#
    }

    @Test func everyAcknowledgedMessageSurvivesSIGKILLExactlyOnce() async throws {
        let client = HTTPClient.shared
        let port = ServerProcess.freePort()
        let first = try ServerProcess(dataDirectory: data, channels: channels, port: port)
        try await first.waitUntilReady(expectToken: true, client: client)
        let token = try #require(first.adminToken)
        let url = "http://127.0.0.1:\(port)/api/v1/inbound"

        let total = 3000
        let tally = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    while true {
                        let i = tally.next.add(1, ordering: .relaxed).oldValue
                        guard i < total, !tally.stopped.load(ordering: .relaxed) else { return }
                        guard let (status, _) = try? await client.postJSON(url, token: token, body: Self.message(i)) else { continue }
                        if status == .created || status == .ok { tally.acknowledged.withLock { _ = $0.insert(i) } }
                    }
                }
            }
            group.addTask {
                // Kill mid-stream: after a good share was acknowledged, with requests still in flight.
                while tally.acknowledged.withLock({ $0.count }) < 400 { try await Task.sleep(for: .milliseconds(5)) }
                first.kill(SIGKILL)
                tally.stopped.store(true, ordering: .relaxed)
            }
            try await group.waitForAll()
        }
        #expect(try await first.wait() == SIGKILL)
        let acked = tally.acknowledged.withLock { $0 }
        #expect(acked.count >= 400 && acked.count < total, "the kill must land mid-stream")

        let second = try ServerProcess(dataDirectory: data, channels: channels, port: port)
        try await second.waitUntilReady(expectToken: false, client: client)
        // Every acknowledged message is already there: sending it again is a duplicate.
        for i in acked.sorted() {
            let (status, body) = try await client.postJSON(url, token: token, body: Self.message(i))
            #expect(status == .ok, "SM\(i) was acknowledged before the crash but is missing: \(String(decoding: body, as: UTF8.self))")
        }
        // Nothing is stored twice: one message.added event per distinct message, never more.
        var seq = 0
        var added = 0
        while true {
            let page = try await client.getJSON("http://127.0.0.1:\(port)/api/v1/events?after=\(seq)&limit=1000", token: token)
            let events = page["events"] as? [[String: Any]] ?? []
            if events.isEmpty { break }
            added += events.filter { $0["type"] as? String == "message.added" }.count
            seq = (page["lastSeq"] as? NSNumber)?.intValue ?? seq
        }
        #expect(added >= acked.count && added <= total)
        // Feeding the rest completes the set; afterwards there is exactly one message per external id.
        for i in 0..<total where !acked.contains(i) {
            _ = try await client.postJSON(url, token: token, body: Self.message(i))
        }
        var counted = 0
        var tickets = 0
        var cursor: String?
        repeat {
            let page = try await client.getJSON(
                "http://127.0.0.1:\(port)/api/v1/tickets?limit=200" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
            let items = page["items"] as? [[String: Any]] ?? []
            counted += items.reduce(0) { $0 + (($1["messageCount"] as? Int) ?? 0) }
            tickets += items.count
            cursor = page["nextCursor"] as? String
        } while cursor != nil
        #expect(counted == total)
        // The restarted scheduler rebuilt the SLA timers of tickets stored before the crash and follows the
        // new ones: a first-response and a resolution warning for each unanswered ticket.
        var timers = -1.0
        for _ in 0..<50 {
            let text = try await client.getText("http://127.0.0.1:\(port)/metrics")
            timers = text.split(separator: "\n").first { $0.hasPrefix("pishkhan_sla_scheduled_timers_count ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
            if timers == Double(2 * tickets) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(tickets > 0 && timers == Double(2 * tickets))
        second.kill(SIGTERM)
        #expect(try await second.wait() == 0)
        try? FileManager.default.removeItem(at: data)
    }

    @Test func sigtermStopsTheServerCleanly() async throws {
        let client = HTTPClient.shared
        let server = try ServerProcess(dataDirectory: data, channels: channels, port: ServerProcess.freePort())
        try await server.waitUntilReady(expectToken: true, client: client)
        server.kill(SIGTERM)
        #expect(try await server.wait() == 0)
        try? FileManager.default.removeItem(at: data)
    }
}

/// Shared by the feeding tasks.
final class Tally: Sendable {
    let acknowledged = Mutex<Set<Int>>([])
    let next = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)
}
