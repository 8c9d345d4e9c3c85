import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import PishkhanChannels
import PishkhanTestSupport
import Synchronization
import Testing

/// Three real `pishkhan serve` processes on one real PostgreSQL database, as a team behind a load balancer
/// runs them: what one process is told reaches clients of the others, and work that must happen once
/// happens once. Everything on loopback, stopped by pid.
@Suite(.serialized, .timeLimit(.minutes(6))) struct ClusterEndToEndTests {
    /// The servers of one test, started together; the one that created the first admin printed its token.
    final class Cluster: Sendable {
        let servers: [ServerProcess]
        let token: String
        let directories: [URL]

        init(servers: [ServerProcess], token: String, directories: [URL]) {
            self.servers = servers
            self.token = token
            self.directories = directories
        }

        func base(_ index: Int) -> String { "http://127.0.0.1:\(servers[index].port)/api/v1" }

        func stop() {
            for server in servers { server.kill(SIGKILL) }
            if ProcessInfo.processInfo.environment["PISHKHAN_KEEP_CLUSTER_LOGS"] == nil {
                for directory in directories { try? FileManager.default.removeItem(at: directory) }
            }
        }
    }

    /// Starts `count` servers at once on `database`; exactly one of them may create the first admin.
    static func startCluster(database: String, channels: URL, environment: [String: String] = [:], count: Int = 3) async throws -> Cluster {
        var servers: [ServerProcess] = []
        var directories: [URL] = []
        for i in 0..<count {
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-cluster-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            directories.append(data)
            servers.append(try ServerProcess(
                dataDirectory: data, channels: channels, port: ServerProcess.freePort(),
                environment: environment.merging(["PISHKHAN_DATABASE_URL": database, "PISHKHAN_CHAT_SECRET": "cluster-chat-secret"]) { a, _ in a },
                outputFile: data.appendingPathComponent("server-\(i).out")))
        }
        for server in servers { try await server.waitUntilReady(expectToken: false, client: .shared) }
        let tokens = servers.compactMap { $0.tokenInOutputFile() }
        #expect(tokens.count == 1, "one first admin between the processes, not one each")
        guard let token = tokens.first else { throw ServerError("no server printed the first admin's token") }
        return Cluster(servers: servers, token: token, directories: directories)
    }

    static func channels(smtpPort: Int? = nil, imapPort: Int? = nil) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-cluster-channels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
            kind: chat
            name: Web chat
            chat:
              allowedOrigins: ["*"]
              messagesPerMinute: 600
            """.write(to: dir.appendingPathComponent("webchat.yaml"), atomically: true, encoding: .utf8)
        var email = "kind: email\nname: Support email\n"
        if let imapPort {
            email += """
                imap:
                  url: imap://127.0.0.1:\(imapPort)
                  user: \(DovecotServer.user)
                  passwordEnv: PISHKHAN_TEST_IMAP_PASSWORD
                  pollSeconds: 1
                  afterStore: seen

                """
        }
        email += """
            smtp:
              url: smtp://127.0.0.1:\(smtpPort ?? 1)
              from:
                address: support@bazaarche.example

            """
        try email.write(to: dir.appendingPathComponent("support-email.yaml"), atomically: true, encoding: .utf8)
        return dir
    }

    /// Follows `/ws/events` on one server, collecting every event's JSON text.
    final class EventFollower: Sendable {
        private let texts = Mutex<[String]>([])
        private let task = Mutex<Task<Void, any Error>?>(nil)

        init(port: Int, token: String) {
            let follow = Task { [self] in
                _ = try await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)/ws/events?after=0&token=\(token)", configuration: .init(maxFrameSize: 1 << 20),
                    logger: Logger(label: "agent")
                ) { inbound, _, _ in
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message { self.texts.withLock { $0.append(text) } }
                    }
                }
            }
            task.withLock { $0 = follow }
        }

        func cancel() { task.withLock { $0?.cancel() } }

        /// Events of `type` on `ticket` seen so far.
        func events(_ type: String, ticket: Int) -> [[String: Any]] {
            texts.withLock { $0 }.compactMap { text in
                (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
            }.filter { $0["type"] as? String == type && $0["ticketID"] as? Int == ticket }
        }

        func wait(for type: String, ticket: Int, timeout: Duration = .seconds(15)) async throws -> [[String: Any]] {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let found = events(type, ticket: ticket)
                if !found.isEmpty { return found }
                try await Task.sleep(for: .milliseconds(50))
            }
            return []
        }
    }

    /// Three servers, PostgreSQL and the test share two cores: a slow answer is not a failure here, a missing one is.
    static let patience: TimeAmount = .seconds(30)

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// A visitor writes to process A; an agent following events on process C sees it; an agent's reply
    /// through process B reaches the visitor's open connection on A. Then 1,000 replies queued through all
    /// three are each delivered once to the SMTP server, and an SLA breach that falls due while all three
    /// run is recorded once.
    @Test func threeProcessesShareEventsDeliveryAndSLAWork() async throws {
        let server = try await PostgresServer.shared()
        let database = try server.createDatabase()
        try await SMTPSink.with { sink in
            let cluster = try await Self.startCluster(database: database, channels: try Self.channels(smtpPort: sink.port))
            defer { cluster.stop() }
            let client = HTTPClient.shared
            let token = cluster.token
            let follower = EventFollower(port: cluster.servers[2].port, token: token)
            defer { follower.cancel() }

            // 1. Chat: the visitor on A, the agent's stream on C, the reply through B.
            let reply = "سلام، سفارش شما امروز ارسال می‌شود."
            let visitorSaw = Mutex<String?>(nil)
            _ = try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(cluster.servers[0].port)/ws/chat/webchat", configuration: .init(maxFrameSize: 1 << 16),
                logger: Logger(label: "visitor")
            ) { inbound, outbound, _ in
                var frames = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                func next() async throws -> [String: Any] {
                    while let message = try await frames.next() {
                        if case .text(let text) = message { return Self.json(text) }
                    }
                    throw ServerError("the chat connection closed")
                }
                try await outbound.write(.text(#"{"type":"hello","name":"Mina"}"#))
                #expect(try await next()["type"] as? String == "welcome")
                try await outbound.write(.text(#"{"type":"message","id":"v1","text":"سفارشم کجاست؟"}"#))
                let ack = try await next()
                #expect(ack["type"] as? String == "ack")
                let ticket = try #require(ack["ticketID"] as? Int)

                let seen = try await follower.wait(for: "message.added", ticket: ticket)
                #expect(!seen.isEmpty, "the message committed on A reaches the event stream on C")

                let (status, body) = try await client.postJSON(
                    "\(cluster.base(1))/tickets/\(ticket)/replies", token: token, body: "{\"text\":\"\(reply)\"}", timeout: Self.patience)
                #expect(status == .created, "\(String(decoding: body, as: UTF8.self))")
                while true {
                    let frame = try await next()
                    if frame["type"] as? String == "message" {
                        visitorSaw.withLock { $0 = frame["text"] as? String }
                        return
                    }
                }
            }
            #expect(visitorSaw.withLock { $0 } == reply, "the reply stored through B reaches the visitor connected to A")

            // 2. 1,000 replies queued through the three processes; each process's outbox worker claims
            // from the same table.
            let tickets = 100, repliesPerTicket = 10
            var ticketIDs: [Int] = []
            for i in 0..<tickets {
                let (status, body) = try await client.postJSON("\(cluster.base(i % 3))/inbound", token: token, body: """
                    {"channel":"support-email","channelKind":"email","externalID":"<c\(i)@example.com>","sender":{"address":"c\(i)@example.com"},\
                    "subject":"Order \(i)","text":"Where is order \(i)?"}
                    """, timeout: Self.patience)
                #expect(status == .created)
                ticketIDs.append(try #require(Self.json(String(decoding: body, as: UTF8.self))["ticketID"] as? Int))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, ticket) in ticketIDs.enumerated() {
                    group.addTask {
                        for n in 0..<repliesPerTicket {
                            let (status, _) = try await client.postJSON(
                                "\(cluster.base((i + n) % 3))/tickets/\(ticket)/replies", token: token, body: "{\"text\":\"reply \(i)-\(n)\"}", timeout: Self.patience)
                            #expect(status == .created)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let total = tickets * repliesPerTicket
            _ = try await sink.waitForMessages(total, timeout: .seconds(180))
            try await Task.sleep(for: .seconds(3))  // anything sent twice would arrive meanwhile
            let received = try sink.messages()
            let texts = try received.map { try EmailDecoder.decode($0.data).textBody.trimmingCharacters(in: .whitespacesAndNewlines) }
            #expect(received.count == total, "each reply delivered once: \(received.count) deliveries for \(total) replies")
            #expect(Set(texts).count == total)
            #expect(Set(try received.map { try EmailDecoder.decode($0.data).messageID ?? "" }).count == total)

            // 3. A first-response target of 3 seconds: the breach falls due while all three run.
            let (policyStatus, _) = try await client.putJSON("\(cluster.base(0))/sla/policies", token: token, body: """
                {"policies":[{"id":"fast","calendar":"24x7","targets":{"firstResponse":"3s"}}]}
                """, timeout: Self.patience)
            #expect(policyStatus == .ok)
            try await Task.sleep(for: .seconds(1))  // the other processes reload the policies on the notification
            let (created, body) = try await client.postJSON("\(cluster.base(1))/inbound", token: token, body: """
                {"channel":"support-email","channelKind":"email","externalID":"<late@example.com>","sender":{"address":"late@example.com"},\
                "subject":"Still waiting","text":"Hello?"}
                """, timeout: Self.patience)
            #expect(created == .created)
            let late = try #require(Self.json(String(decoding: body, as: UTF8.self))["ticketID"] as? Int)
            let breached = try await follower.wait(for: "sla.breached", ticket: late, timeout: .seconds(20))
            #expect(breached.count == 1)
            try await Task.sleep(for: .seconds(3))  // every scheduler has swept the table meanwhile
            #expect(follower.events("sla.breached", ticket: late).count == 1, "recorded once, not once per process")
            let breaches = try await client.getJSONArray("\(cluster.base(2))/sla/breaches?limit=1000", token: token, key: "breaches")
            #expect(breaches.filter { $0["ticketID"] as? Int == late }.count == 1)
            let keys = breaches.map { "\($0["ticketID"] ?? "")-\($0["metric"] ?? "")-\($0["cycle"] ?? "")" }
            #expect(Set(keys).count == keys.count, "no breach recorded twice")
        }
    }

    /// The process polling the mailbox is killed with SIGKILL mid-import; another takes the mailbox over
    /// once the lease runs out, and every message is stored exactly once.
    @Test func aKilledMailboxHolderIsTakenOverWithNothingStoredTwice() async throws {
        let server = try await PostgresServer.shared()
        let database = try server.createDatabase()
        let databaseName = String(database.split(separator: "/").last ?? "")
        try await DovecotServer.with { dovecot in
            let total = 1500
            for i in 0..<total { try dovecot.deliver(TestMessage.make(i, from: "c\(i)@example.com")) }
            let lease = 3.0
            let cluster = try await Self.startCluster(
                database: database, channels: try Self.channels(imapPort: dovecot.port),
                environment: ["PISHKHAN_TEST_IMAP_PASSWORD": DovecotServer.password, "PISHKHAN_LEASE_SECONDS": "\(Int(lease))"])
            defer { cluster.stop() }
            let client = HTTPClient.shared
            let token = cluster.token

            func holder() throws -> Int32? {
                let text = try server.psql("SELECT holder FROM leases WHERE name = 'mailbox:support-email'", database: databaseName)
                return text.split(separator: ":").dropFirst().first.flatMap { Int32($0) }
            }
            var stored = 0
            for _ in 0..<600 where stored < 200 {
                stored = try await EmailEndToEndTests.state(base: cluster.base(0), token: token, client: client)["stored"] as? Int ?? 0
                try await Task.sleep(for: .milliseconds(20))
            }
            let first = try #require(try holder())
            let victim = try #require(cluster.servers.firstIndex { $0.process.processIdentifier == first }, "the holder is one of ours")
            cluster.servers[victim].kill(SIGKILL)
            let killedAt = ContinuousClock.now
            #expect(try await cluster.servers[victim].wait() == SIGKILL)
            #expect(stored < total, "the kill must land mid-import (stored \(stored))")
            let survivor = (victim + 1) % 3

            var next: Int32?
            while ContinuousClock.now - killedAt < .seconds(30) {
                next = try holder()
                if let next, next != first { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let takeover = ContinuousClock.now - killedAt
            #expect(next != nil && next != first, "another process took the mailbox over")
            #expect(takeover < .seconds(lease * 2 + 2), "within the lease's time (took \(takeover))")

            var state: [String: Any] = [:]
            for _ in 0..<900 {
                state = try await EmailEndToEndTests.state(base: cluster.base(survivor), token: token, client: client)
                if state["watermark"] as? Int == total { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state["watermark"] as? Int == total)
            var tickets = 0, messages = 0
            var cursor: String?
            repeat {
                let page = try await client.getJSON(
                    "\(cluster.base(survivor))/tickets?limit=200" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token, timeout: Self.patience)
                let items = page["items"] as? [[String: Any]] ?? []
                tickets += items.count
                messages += items.reduce(0) { $0 + (($1["messageCount"] as? Int) ?? 0) }
                cursor = page["nextCursor"] as? String
            } while cursor != nil
            #expect(tickets == total, "one ticket per sender")
            #expect(messages == total, "no message stored twice")
        }
    }
}

extension HTTPClient {
    func putJSON(_ url: String, token: String, body: String, timeout: TimeAmount) async throws -> (HTTPResponseStatus, Data) {
        var request = HTTPClientRequest(url: url)
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (response.status, Data(bytes.readableBytesView))
    }

    func getJSONArray(_ url: String, token: String, key: String) async throws -> [[String: Any]] {
        try await getJSON(url, token: token, timeout: .seconds(30))[key] as? [[String: Any]] ?? []
    }
}
