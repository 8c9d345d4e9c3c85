import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanServer
import Testing

/// The chat widget's files and hosted page (`/chat/widget.js`, `/chat/widget.css`, `/chat/{channel}`),
/// and the rule that lets the hosted page connect from the server's own origin.
@Suite struct ChatWidgetRouteTests {
    static func app(_ chat: [ChatChannelConfig] = [
        ChatChannelConfig(channel: "chat", allowedOrigins: ["https://shop.example"], locale: .fa),
    ]) async throws -> TestApp {
        let base = try await TestApp.make()
        let channels = ChannelDirectory(TestApp.channels.sorted + [ChannelSettings(id: "chat-off", kind: .chat)], chat: chat)
        return TestApp(store: base.store, deps: AppDependencies(store: base.store, channels: channels), tokens: base.tokens, agents: base.agents)
    }

    @Test func widgetScriptAndStyleAreServedWithTypesAndValidators() async throws {
        try await Self.app().run { c in
            let script = try await c.call(.get, "/chat/widget.js", as: nil)
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.headers[.cacheControl] == "public, max-age=300")
            #expect(script.headers[.crossOriginResourcePolicy] == "cross-origin")
            #expect(script.text.contains("new WebSocket(") && script.text.contains("'ws/chat/'"))
            // The widget never turns text into HTML.
            #expect(!script.text.contains("innerHTML") && !script.text.contains("insertAdjacentHTML"))
            let etag = try #require(script.headers[.eTag])
            let unchanged = try await c.call(.get, "/chat/widget.js", as: nil, headers: [.ifNoneMatch: etag])
            #expect(unchanged.status == .notModified && unchanged.body.isEmpty)
            #expect(try await c.call(.get, "/chat/widget.js", as: nil, headers: [.ifNoneMatch: "\"other\""]).status == .ok)

            let style = try await c.call(.get, "/chat/widget.css", as: nil)
            #expect(style.status == .ok && style.headers[.contentType] == "text/css; charset=utf-8")
            #expect(style.text.contains(".pk-msg") && style.headers[.eTag] != etag)
        }
    }

    @Test func hostedPageTakesTheChannelsLocaleOrTheLinksAndAStrictPolicy() async throws {
        try await Self.app().run { c in
            let page = try await c.call(.get, "/chat/chat", as: nil)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.cacheControl] == "no-cache")
            #expect(page.text.contains(#"<html lang="fa" dir="rtl">"#))
            #expect(page.text.contains(#"<script src="widget.js" data-channel="chat" data-locale="fa" data-mode="inline""#))
            #expect(page.text.contains("<title>گفتگو با پشتیبانی</title>") && !page.text.contains("{{"))
            let policy = try #require(page.headers[.contentSecurityPolicy])
            for directive in ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "require-trusted-types-for 'script'",
                              "frame-ancestors 'self' https://shop.example"] {
                #expect(policy.contains(directive), "\(policy)")
            }
            let english = try await c.call(.get, "/chat/chat?locale=en-GB", as: nil)
            #expect(english.text.contains(#"<html lang="en" dir="ltr">"#) && english.text.contains("<title>Chat with support</title>"))
            // A locale the widget does not have falls back to the channel's.
            #expect(try await c.call(.get, "/chat/chat?locale=de", as: nil).text.contains(#"lang="fa""#))
        }
    }

    @Test func pageOfAnUnknownOrNonChatChannelIsNotFound() async throws {
        let off = ChatChannelConfig(channel: "chat", allowedOrigins: ["*"], hostedPage: false)
        try await Self.app().run { c in
            for path in ["/chat/nope", "/chat/sms", "/chat/chat-off", "/chat/support-email"] {
                try await c.call(.get, path, as: nil).expectProblem(.notFound)
            }
        }
        try await Self.app([off]).run { c in try await c.call(.get, "/chat/chat", as: nil).expectProblem(.notFound) }
    }

    @Test(arguments: [
        // (Origin, Host, allowed) for a channel that allows https://shop.example and hosts its page.
        ("http://127.0.0.1:8080", "127.0.0.1:8080", true),
        ("https://support.example", "support.example", true),
        ("https://support.example", "support.example:443", true),
        ("https://Support.Example", "support.example", true),
        ("http://support.example", "support.example:80", true),
        ("https://shop.example", "support.example", true),
        ("https://evil.example", "support.example", false),
        ("http://127.0.0.1:9090", "127.0.0.1:8080", false),
        ("http://127.0.0.1", "127.0.0.1:8080", false),
        ("https://support.example:8443", "support.example", false),
        ("ws://127.0.0.1:8080", "127.0.0.1:8080", false),
        ("null", "127.0.0.1:8080", false),
        ("http://127.0.0.1:8080, https://evil.example", "127.0.0.1:8080", false),
        ("https://support.example.evil.example", "support.example", false),
    ] as [(String, String, Bool)])
    func ownOriginIsAllowedOnlyWhenItIsTheHost(origin: String, host: String, allowed: Bool) {
        let config = ChatChannelConfig(channel: "chat", allowedOrigins: ["https://shop.example"])
        #expect(config.allows(origin: origin, host: host) == allowed)
        // Without the hosted page only the list counts.
        var off = config
        off.hostedPage = false
        #expect(off.allows(origin: origin, host: host) == (origin == "https://shop.example"))
    }

    @Test func chatSectionReadsLocaleAndHostedPage() throws {
        let parsed = try #require(try ChatChannelConfig.parse("kind: chat\nchat:\n  allowedOrigins: ['*']\n  locale: fa\n  hostedPage: false\n",
                                                              id: "c", file: "c.yaml"))
        #expect(parsed.locale == .fa && !parsed.hostedPage)
        let defaults = try #require(try ChatChannelConfig.parse("kind: chat\nchat:\n  allowedOrigins: ['*']\n", id: "c", file: "c.yaml"))
        #expect(defaults.locale == .en && defaults.hostedPage)
        #expect(throws: ChannelConfigError.self) {
            try ChatChannelConfig.parse("kind: chat\nchat:\n  allowedOrigins: ['*']\n  locale: de\n", id: "c", file: "c.yaml")
        }
    }

    /// Through a real socket: the upgrade from the page the server hosts (Origin = the Host it was reached
    /// at) is accepted; the same page address on another port is not.
    @Test func hostedPageOriginUpgradesOverARealSocket() async throws {
        let app = try await Self.app()
        let server = buildApplication(app.deps, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await server.test(.live) { client in
            let port = try #require(client.port)
            func upgrade(origin: String, maxTime: Int) async throws -> Int {
                let output = try await Self.curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", String(maxTime), "--http1.1",
                                            "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
                                            "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "-H", "Origin: \(origin)",
                                            "http://127.0.0.1:\(port)/ws/chat/chat"])
                return Int(output.prefix(3)) ?? -1
            }
            #expect(try await upgrade(origin: "http://127.0.0.1:\(port + 1)", maxTime: 30) == 400)
            #expect(try await upgrade(origin: "http://127.0.0.1:\(port)", maxTime: 3) == 101)
        }
    }

    /// Runs curl and returns what it printed (a timeout after an accepted upgrade is expected). Waits
    /// without holding a thread of the concurrency pool, which the server under test needs to answer.
    static func curl(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { _ in
                continuation.resume(returning: String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}
