import AsyncHTTPClient
import Foundation
import PishkhanTestSupport
import Testing

/// The chat widget in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven by
/// Selenium from `chat_widget_driver.py`) against a real `pishkhan serve`: a visitor writes on the hosted
/// page, the ticket appears through the API, an agent's reply appears on the page, and after the server
/// dies and comes back, and after a reload, every message is on the page exactly once.
@Suite(.serialized) struct ChatWidgetEndToEndTests {
    /// The driver script: one JSON command per line in, one JSON answer per line out. The pipes are read
    /// on a queue of their own: a wait in the browser must not hold one of the few threads of Swift's
    /// concurrency pool, which the servers of tests running alongside need.
    final class Browser: @unchecked Sendable {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        private let queue = DispatchQueue(label: "chat-widget-browser")
        private var buffer = Data()
        private(set) var pids: [pid_t] = []

        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("chat_widget_driver.py")

        /// Debian's python3 has python3-selenium; a python3 earlier on PATH (pyenv) may not.
        static func python() throws -> String {
            for candidate in ["/usr/bin/python3", "python3"] where (try? ProcessRunner.run([candidate, "-c", "import selenium"])) != nil {
                return candidate
            }
            throw ServerError("Selenium is missing: apt-get install chromium chromium-driver python3-selenium (scripts/test.sh does)")
        }

        static func start() async throws -> Browser {
            let browser = Browser()
            browser.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            browser.process.arguments = [try python(), script.path]
            browser.process.standardInput = browser.input
            browser.process.standardOutput = browser.output
            browser.process.standardError = FileHandle.nullDevice
            try ProcessRunner.launch(browser.process)
            browser.pids = [browser.process.processIdentifier]
            let ready = try await browser.exchange(nil)
            browser.pids += ((ready["pids"] as? [Int]) ?? []).map { pid_t($0) }
            guard ready["ready"] as? Bool == true else { throw ServerError("the browser did not start: \(ready)") }
            return browser
        }

        /// Writes `line` (if any) and reads the next answer line, on the browser's queue.
        private func exchange(_ line: Data?) async throws -> [String: Any] {
            let answer: Data = try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(with: Result {
                        if let line { self.input.fileHandleForWriting.write(line) }
                        return try self.readLine()
                    })
                }
            }
            return (try JSONSerialization.jsonObject(with: answer)) as? [String: Any] ?? [:]
        }

        private func readLine() throws -> Data {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Data(buffer[buffer.startIndex..<newline])
                    buffer = Data(buffer[(newline + 1)...])
                    return line
                }
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { throw ServerError("the browser driver exited") }
                buffer += chunk
            }
        }

        /// Sends a command and returns the answer; an answer that is not ok is recorded as an issue.
        @discardableResult
        func call(_ command: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
            var line = try JSONSerialization.data(withJSONObject: command)
            line.append(UInt8(ascii: "\n"))
            let answer = try await exchange(line)
            if answer["ok"] as? Bool != true {
                Issue.record("browser: \(command) failed: \(answer)", sourceLocation: sourceLocation)
                throw ServerError("browser command failed")
            }
            return answer
        }

        func messages() async throws -> [[String: Any]] {
            let snapshot = try await call(["cmd": "snapshot"])["snapshot"] as? [String: Any] ?? [:]
            return snapshot["messages"] as? [[String: Any]] ?? []
        }

        /// Quits the browser, then makes sure the driver, chromedriver and Chromium are gone, by pid.
        func stop() {
            if process.isRunning {
                input.fileHandleForWriting.write(Data(#"{"cmd":"quit"}"#.utf8 + [UInt8(ascii: "\n")]))
                try? input.fileHandleForWriting.close()
            }
            for pid in pids { ProcessRunner.waitForExit(pid, timeout: .seconds(10)) }
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func aVisitorWritesAnAgentRepliesAndNothingIsShownTwice() async throws {
        let started = ContinuousClock.now
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-widget-\(UUID().uuidString)")
        let port = ServerProcess.freePort()
        func serve() throws -> ServerProcess {
            try ServerProcess(dataDirectory: data, channels: ServerProcess.repository.appendingPathComponent("Channels"), port: port,
                              knowledgeBase: ServerProcess.repository.appendingPathComponent("KnowledgeBase"))
        }
        var server = try serve()
        defer {
            server.kill(SIGKILL)
            try? FileManager.default.removeItem(at: data)
        }
        let client = HTTPClient.shared
        try await server.waitUntilReady(expectToken: true, client: client)
        let admin = try #require(server.adminToken)
        let base = "http://127.0.0.1:\(port)"

        // An agent in the chat group, with their own token.
        let (created, agentBody) = try await client.postJSON("\(base)/api/v1/agents", token: admin,
                                                             body: #"{"name":"Neda","role":"agent","groups":["chat"]}"#)
        #expect(created == .created)
        let agent = try #require((try JSONSerialization.jsonObject(with: agentBody) as? [String: Any])?["token"] as? String)

        let browser = try await Browser.start()
        defer { browser.stop() }

        // The hosted page, in Persian: the widget mirrors itself and connects from the server's own origin
        // (the shipped webchat channel allows only the shop's sites besides).
        try await browser.call(["cmd": "open", "url": "\(base)/chat/webchat?locale=fa"])
        let online = try await browser.call(["cmd": "waitState", "state": "online"])["snapshot"] as? [String: Any] ?? [:]
        #expect(online["dir"] as? String == "rtl" && online["lang"] as? String == "fa")
        #expect(online["status"] as? String == "آنلاین")

        // The visitor asks for a person, so the answer bot hands over rather than answers.
        let question = "سلام، سفارش BZ-1042 هنوز نرسیده. لطفاً با کارشناس صحبت کنم."
        try await browser.call(["cmd": "type", "text": question])
        try await browser.call(["cmd": "waitSent"])

        // The ticket appears through the API, with the visitor's words.
        var ticketID: Int?
        let deadline = ContinuousClock.now + .seconds(20)
        while ticketID == nil, ContinuousClock.now < deadline {
            let queue = try await client.getJSON("\(base)/api/v1/tickets?channel=webchat", token: agent)
            ticketID = (queue["items"] as? [[String: Any]])?.first?["id"] as? Int
            if ticketID == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        let id = try #require(ticketID, "no webchat ticket appeared")
        let ticket = try await client.getJSON("\(base)/api/v1/tickets/\(id)", token: agent)
        let stored = (ticket["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        #expect(stored.contains(question), "\(stored)")

        // The bot's hand-over reaches the page, then the agent's reply.
        try await browser.call(["cmd": "wait", "text": "یکی از همکاران پشتیبانی", "from": "bot"])
        let reply = "سلام، بسته BZ-1042 امروز ارسال می‌شود."
        let (replied, replyBody) = try await client.postJSON("\(base)/api/v1/tickets/\(id)/replies", token: agent,
                                                             body: #"{"text":"\#(reply)"}"#)
        #expect(replied == .created, "\(String(decoding: replyBody, as: UTF8.self))")
        try await browser.call(["cmd": "wait", "text": reply, "from": "agent"])
        let visible = try await browser.call(["cmd": "visibleText"])["text"] as? String ?? ""
        #expect(visible.contains(reply) && visible.contains(question), "on screen: \(visible)")
        let shown = try await browser.messages()
        #expect(shown.allSatisfy { $0["dir"] as? String == "auto" }, "every message is dir=auto: \(shown)")

        // The server dies. The widget notices, keeps what the visitor writes meanwhile, and reconnects on
        // its own when the server is back; the waiting message goes out once.
        server.kill(SIGKILL)
        _ = try await server.wait()
        try await browser.call(["cmd": "waitState", "state": "offline"])
        let meanwhile = "Are you still there? I am waiting."
        try await browser.call(["cmd": "type", "text": meanwhile])
        #expect(try await browser.messages().last?["state"] as? String == "pending")
        server = try serve()
        try await server.waitUntilReady(expectToken: false, client: client)
        try await browser.call(["cmd": "waitState", "state": "online", "timeout": 40])
        try await browser.call(["cmd": "waitSent"])
        let second = "Yes, it leaves the warehouse at 16:00."
        let (again, _) = try await client.postJSON("\(base)/api/v1/tickets/\(id)/replies", token: agent, body: #"{"text":"\#(second)"}"#)
        #expect(again == .created)
        try await browser.call(["cmd": "wait", "text": second, "from": "agent"])

        // A reload shows the conversation from storage and replays nothing twice.
        try await browser.call(["cmd": "reload"])
        try await browser.call(["cmd": "waitState", "state": "online"])
        try await Task.sleep(for: .seconds(1)) // room for a replay that should not come
        let after = try await browser.messages()
        let texts = after.compactMap { $0["text"] as? String }
        for text in [question, reply, meanwhile, second] {
            #expect(texts.filter { $0 == text }.count == 1, "'\(text)' should be shown once: \(texts)")
        }
        #expect(after.filter { $0["from"] as? String == "bot" }.count == 1, "\(texts)")
        #expect(after.count == 5, "\(texts)")
        // The server stored the visitor's messages once each, in the same ticket.
        let final = try await client.getJSON("\(base)/api/v1/tickets/\(id)", token: agent)
        let finalTexts = (final["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        #expect(finalTexts.filter { $0 == question }.count == 1 && finalTexts.filter { $0 == meanwhile }.count == 1, "\(finalTexts)")
        print("chat widget end-to-end: \(ContinuousClock.now - started)")
    }

    /// A static web site on loopback (`python3 -m http.server`), stopped by pid.
    final class Site: @unchecked Sendable {
        let process = Process()
        let port = ServerProcess.freePort()

        init(directory: URL) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", directory.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try ProcessRunner.launch(process)
        }

        func waitUntilReady(client: HTTPClient) async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if (try? await client.getText("http://127.0.0.1:\(port)/")) != nil { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw ServerError("the web site did not start")
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            ProcessRunner.waitForExit(process.processIdentifier)
        }
    }

    /// The one-tag embed on a shop's own site: the launcher opens the chat, and a message sent from there
    /// is stored; the same tag on a site the channel does not allow never gets a connection.
    @Test(.timeLimit(.minutes(5)))
    func theEmbeddedWidgetWorksOnAnAllowedSiteOnly() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-embed-\(UUID().uuidString)")
        let (data, channels, pages) = (root.appendingPathComponent("data"), root.appendingPathComponent("channels"), root.appendingPathComponent("site"))
        for directory in [data, channels, pages] { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(at: root) }
        let client = HTTPClient.shared
        let shop = try Site(directory: pages)
        defer { shop.stop() }
        let stranger = try Site(directory: pages)
        defer { stranger.stop() }
        try """
            kind: chat
            chat:
              allowedOrigins: [http://127.0.0.1:\(shop.port)]
              maxMessageLength: 60
            """.write(to: channels.appendingPathComponent("webchat.yaml"), atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDirectory: data, channels: channels, port: ServerProcess.freePort())
        defer { server.kill(SIGKILL) }
        try await server.waitUntilReady(expectToken: true, client: client)
        let token = try #require(server.adminToken)
        try """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bazaarche</title></head>
            <body><h1>Bazaarche</h1>
            <script src="http://127.0.0.1:\(server.port)/chat/widget.js" data-channel="webchat" data-name="Sara" async></script>
            </body></html>
            """.write(to: pages.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try await shop.waitUntilReady(client: client)
        try await stranger.waitUntilReady(client: client)

        let browser = try await Browser.start()
        defer { browser.stop() }
        try await browser.call(["cmd": "open", "url": "http://127.0.0.1:\(shop.port)/"])
        let ready = try await browser.call(["cmd": "waitState", "state": "online"])["snapshot"] as? [String: Any] ?? [:]
        #expect(ready["dir"] as? String == "ltr" && ready["open"] as? Bool == false, "\(ready)")
        try await browser.call(["cmd": "click", "selector": ".pk-launcher"])
        let text = "Hello from the shop page, is BZ-77 in stock?"
        try await browser.call(["cmd": "type", "text": text])
        try await browser.call(["cmd": "waitSent"])
        let queue = try await client.getJSON("http://127.0.0.1:\(server.port)/api/v1/tickets?channel=webchat", token: token)
        let id = try #require((queue["items"] as? [[String: Any]])?.first?["id"] as? Int)
        let ticket = try await client.getJSON("http://127.0.0.1:\(server.port)/api/v1/tickets/\(id)", token: token)
        #expect((ticket["messages"] as? [[String: Any]] ?? []).contains { $0["text"] as? String == text })
        #expect((ticket["customer"] as? [String: Any])?["name"] as? String == "Sara", "\(ticket["customer"] ?? "")")

        // Longer than the channel allows: refused in the page, with the limit, and nothing is sent.
        try await browser.call(["cmd": "type", "text": String(repeating: "long ", count: 16)])
        let tooLong = try await browser.call(["cmd": "snapshot"])["snapshot"] as? [String: Any] ?? [:]
        #expect((tooLong["notice"] as? String ?? "").contains("at most 60 characters"), "\(tooLong)")
        #expect((tooLong["messages"] as? [[String: Any]])?.count == 1, "\(tooLong)")

        // A token this server did not sign (here: altered in storage): the server says bad-token, and the
        // widget forgets that visitor and starts a new conversation on its own.
        let key = "pishkhan-chat:webchat"
        let original = try await browser.call(["cmd": "script", "js": """
            const kept = JSON.parse(localStorage.getItem('\(key)'));
            const token = kept.token;
            kept.token = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
            localStorage.setItem('\(key)', JSON.stringify(kept));
            return token;
            """])["value"] as? String
        try await browser.call(["cmd": "reload"])
        let fresh = try await browser.call(["cmd": "waitState", "state": "online"])["snapshot"] as? [String: Any] ?? [:]
        #expect((fresh["notice"] as? String ?? "").contains("new one"), "\(fresh)")
        #expect((fresh["messages"] as? [[String: Any]])?.isEmpty == true, "\(fresh)")
        let renewed = try await browser.call(["cmd": "script", "js": "return JSON.parse(localStorage.getItem('\(key)')).token"])["value"] as? String
        #expect(renewed != nil && renewed != original && !(renewed ?? "").isEmpty)

        // The same page from another origin: the server refuses the upgrade, so the widget stays offline.
        try await browser.call(["cmd": "open", "url": "http://127.0.0.1:\(stranger.port)/"])
        try await browser.call(["cmd": "waitState", "state": "offline"])
        try await Task.sleep(for: .seconds(2))
        let refused = try await browser.call(["cmd": "snapshot"])["snapshot"] as? [String: Any] ?? [:]
        #expect(refused["state"] as? String != "online", "\(refused)")
    }
}
