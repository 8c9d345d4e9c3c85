import AsyncHTTPClient
import Foundation
import PishkhanTestSupport
import Testing

/// The real `pishkhan tui` in a tmux pseudo-terminal against a real `pishkhan serve`: the agent opens a
/// Persian ticket from the queue, replies with a canned shortcut (the rendered reply is stored), sees the
/// customer panel, changes priority, assignee and tags, and watches a new ticket arrive live.
@Suite(.serialized) struct TUIEndToEndTests {
    /// A tmux session on its own server socket, killed with it.
    struct Tmux {
        let socket: String
        let session = "pishkhan"

        init(command: String, width: Int = 120, height: Int = 32) throws {
            if !ProcessRunner.isInstalled("tmux") {
                if (try? ProcessRunner.run(["apt-get", "install", "-y", "-qq", "tmux"])) == nil {
                    try ProcessRunner.run(["sudo", "apt-get", "install", "-y", "-qq", "tmux"])
                }
            }
            socket = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-tmux-\(UUID().uuidString.prefix(8))").path
            // -u: UTF-8 whatever the test machine's locale says.
            let status = try ProcessRunner.spawnAndWait(["tmux", "-u", "-S", socket, "-f", "/dev/null", "new-session", "-d", "-s", session,
                                                         "-x", String(width), "-y", String(height), command])
            guard status == 0 else { throw ServerError("tmux new-session failed with \(status)") }
        }

        func keys(_ keys: String...) throws {
            try ProcessRunner.run(["tmux", "-S", socket, "send-keys", "-t", session] + keys)
        }

        /// Typed as text, not as key names.
        func type(_ text: String) throws {
            try ProcessRunner.run(["tmux", "-S", socket, "send-keys", "-t", session, "-l", text])
        }

        func screen() throws -> String {
            try ProcessRunner.run(["tmux", "-S", socket, "capture-pane", "-p", "-t", session])
        }

        /// Polls the screen until `predicate` holds.
        @discardableResult
        func waitFor(_ what: String, timeout: Duration = .seconds(30), _ predicate: (String) -> Bool) async throws -> String {
            let deadline = ContinuousClock.now + timeout
            var last = ""
            while ContinuousClock.now < deadline {
                last = try screen()
                if predicate(last) { return last }
                try await Task.sleep(for: .milliseconds(150))
            }
            Issue.record("screen never showed \(what); last screen:\n\(last)")
            throw ServerError("timed out waiting for \(what)")
        }

        func kill() { _ = try? ProcessRunner.run(["tmux", "-S", socket, "kill-server"], allowFailure: true) }
    }

    /// A screen line read from its right end and folded back to base letters (NFKC undoes the joined
    /// presentation forms): what a reader of the right-to-left text sees.
    static func readRightToLeft(_ line: String) -> String {
        String(String(line.unicodeScalars.reversed().map(Character.init)).precomposedStringWithCompatibilityMapping)
    }

    @Test func anAgentRepliesWithACannedShortcutFromTheTerminal() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-tui-\(UUID().uuidString)")
        let server = try ServerProcess(
            dataDirectory: data, channels: ServerProcess.repository.appendingPathComponent("Channels"), port: ServerProcess.freePort(),
            knowledgeBase: ServerProcess.repository.appendingPathComponent("KnowledgeBase"))
        defer {
            server.kill(SIGKILL)
            try? FileManager.default.removeItem(at: data)
        }
        let client = HTTPClient.shared
        try await server.waitUntilReady(expectToken: true, client: client)
        let token = try #require(server.adminToken)
        let base = "http://127.0.0.1:\(server.port)/api/v1"
        let subject = "پرداخت ناموفق بود"
        let (status, _) = try await client.postJSON("\(base)/inbound", token: token, body: """
            {"channel":"support-email","channelKind":"email","externalID":"tui-1","sender":{"address":"maryam@example.com","displayName":"Maryam"},
             "subject":"\(subject)","text":"پول از حسابم کم شد ولی سفارش ثبت نشد."}
            """)
        #expect(status == .created)

        let tmux = try Tmux(command: "env LANG=C.UTF-8 PISHKHAN_TOKEN=\(token) \(ServerProcess.binary.path) tui --server http://127.0.0.1:\(server.port)")
        defer { tmux.kill() }

        // The queue, with the Persian subject drawn right to left: read from the right it is the subject.
        let queue = try await tmux.waitFor("the queue") { $0.contains("Pishkhan · queue · 1 open") }
        let row = try #require(queue.split(separator: "\n").first { $0.contains("#1") }.map(String.init))
        #expect(Self.readRightToLeft(row).contains(subject), "row as drawn: \(row)")
        #expect(!row.contains(subject), "drawn in logical order, a terminal would show the letters reversed")

        try tmux.keys("Enter")
        try await tmux.waitFor("the conversation") { $0.contains("customer · support-email") }
        try tmux.keys("r")
        try await tmux.waitFor("the editor") { $0.contains("Reply to the customer") }
        try tmux.type("/refund-72h")
        try tmux.keys("Enter")
        try tmux.type("Ref BZ-1042")
        try tmux.keys("C-d")
        try await tmux.waitFor("the server's confirmation", timeout: .seconds(45)) { $0.contains("queued for delivery") }

        // Stored through the API: the shortcut rendered for this ticket, signed by the agent, plus the typed line.
        let detail = try await client.getJSON("\(base)/tickets/1", token: token)
        let messages = detail["messages"] as? [[String: Any]] ?? []
        let reply = try #require(messages.first { $0["kind"] as? String == "outbound" })
        let text = reply["text"] as? String ?? ""
        #expect(text.contains("within 72 hours"), "\(text)")
        #expect(text.contains("Administrator"), "signed with the agent's name: \(text)")
        #expect(text.hasSuffix("Ref BZ-1042"))
        #expect(!text.contains("/refund-72h"))
        #expect(reply["deliveryStatus"] as? String == "queued")

        // The customer 360 panel sits beside the conversation.
        try await tmux.waitFor("the customer panel") { $0.contains("email: maryam@example.com") && $0.contains("Maryam · #") }

        // Priority, assignee and tags, each confirmed by the server and stored.
        let before = try await client.getJSON("\(base)/tickets/1", token: token)["ticket"] as? [String: Any] ?? [:]
        let priority = before["priority"] as? String ?? ""
        try tmux.keys("p")
        try await tmux.waitFor("the new priority") { $0.contains("Priority is now ") }
        try tmux.keys("a")
        try await tmux.waitFor("the assign prompt") { $0.contains("Assign to") }
        try tmux.keys("Enter")
        try await tmux.waitFor("the assignment") { $0.contains("Assigned to Administrator.") }
        try tmux.keys("t")
        try await tmux.waitFor("the tags prompt") { $0.contains("Tags now:") }
        try tmux.type("+vip")
        try tmux.keys("Enter")
        try await tmux.waitFor("the tags") { $0.contains("Tags: ") && $0.contains("vip") }
        let after = try await client.getJSON("\(base)/tickets/1", token: token)["ticket"] as? [String: Any] ?? [:]
        #expect(after["priority"] as? String != priority && after["priority"] as? String != nil)
        #expect((after["assigneeID"] as? NSNumber)?.int64Value == 1)
        #expect((after["tags"] as? [String])?.contains("vip") == true)

        // Back in the queue, a ticket created meanwhile arrives through the event stream.
        try tmux.keys("q")
        try await tmux.waitFor("the queue again") { $0.contains("Pishkhan · queue · 1 open") }
        let (created, _) = try await client.postJSON("\(base)/inbound", token: token, body: """
            {"channel":"support-email","channelKind":"email","externalID":"tui-2","sender":{"address":"reza@example.com","displayName":"Reza"},
             "subject":"Where is my parcel?","text":"It has been a week."}
            """)
        #expect(created == .created)
        try await tmux.waitFor("the live update") { $0.contains("Pishkhan · queue · 2 open") && $0.contains("Where is my parcel?") }
        // "mine" keeps only the ticket assigned to this agent.
        try tmux.keys("f")
        let mine = try await tmux.waitFor("the mine filter") { $0.contains("1 open · by SLA urgency · mine") }
        #expect(!mine.contains("Where is my parcel?"))
        try tmux.keys("f", "f", "f")
        try await tmux.waitFor("all tickets again") { $0.contains("2 open · by SLA urgency · Administrator") }

        // The supervisor's board: each agent's load, live.
        try tmux.keys("b")
        let board = try await tmux.waitFor("the board") { $0.contains("supervisor board") && $0.contains("Agent          open  pending  breached") }
        let adminRow = try #require(board.split(separator: "\n").first { $0.hasPrefix("Administrator") }, "\(board)")
        #expect(adminRow.split(separator: " ").dropFirst().first == "1", "one open ticket assigned: \(adminRow)")
        try tmux.keys("q")
        try await tmux.waitFor("the queue after the board") { $0.contains("Pishkhan · queue · 2 open") }

        // Resizing redraws at the new width.
        try ProcessRunner.run(["tmux", "-S", tmux.socket, "resize-window", "-t", tmux.session, "-x", "80", "-y", "20"])
        let narrow = try await tmux.waitFor("a redraw at 80 columns") { screen in
            screen.split(separator: "\n").allSatisfy { $0.count <= 80 } && screen.contains("Pishkhan · queue")
        }
        #expect(narrow.contains("#1") && narrow.contains("#2"))

        // The server goes away: a banner says so; it comes back on the same address: the queue returns.
        server.kill(SIGKILL)
        try await tmux.waitFor("the connection banner") { $0.contains("Connection lost") }
        let restarted = try ServerProcess(
            dataDirectory: data, channels: ServerProcess.repository.appendingPathComponent("Channels"), port: server.port,
            knowledgeBase: ServerProcess.repository.appendingPathComponent("KnowledgeBase"))
        defer { restarted.kill(SIGKILL) }
        try await restarted.waitUntilReady(expectToken: false, client: client)
        try await tmux.waitFor("the queue after reconnecting", timeout: .seconds(30)) { screen in
            !screen.contains("Connection lost") && !screen.contains("Live updates lost") && screen.contains("Pishkhan · queue · 2 open")
        }
        try tmux.keys("q")
    }
}
