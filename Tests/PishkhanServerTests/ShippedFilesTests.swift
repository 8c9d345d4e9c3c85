import Foundation
import Hummingbird
import PishkhanChannels
import PishkhanCore
import PishkhanKnowledge
import PishkhanServer
import Testing
import Yams

@Suite struct ShippedFilesTests {
    /// Every route the server has is described in openapi.yaml, and the document describes nothing else.
    @Test func openAPIDescribesEveryRoute() async throws {
        let app = try await TestApp.make()
        var served = Set(buildRouter(app.deps).routes.map { "\($0.method) \(Self.template($0.path.description))" })
        served.formUnion(buildWebSocketRouter(app.deps).routes.map { "\($0.method) \(Self.template($0.path.description))" })
        let doc = try #require(try Yams.load(yaml: String(decoding: OpenAPIDocument.data, as: UTF8.self)) as? [String: Any])
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = try #require(doc["paths"] as? [String: [String: Any]])
        var described = Set<String>()
        for (path, item) in paths {
            for method in item.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                described.insert("\(method.uppercased()) \(path)")
            }
        }
        #expect(served.subtracting(described).isEmpty, "routes without a description: \(served.subtracting(described).sorted())")
        #expect(described.subtracting(served).isEmpty, "described but not served: \(described.subtracting(served).sorted())")
    }

    @Test func openAPIIsServed() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            let r = try await c.call(.get, "/openapi.yaml", as: nil)
            #expect(r.status == .ok && r.text.hasPrefix("openapi: 3.1.0"))
            #expect(r.text.contains("/api/v1/tickets/{id}/replies") && r.headers[.contentType] == "application/yaml")
            #expect(try await c.call(.get, "/healthz", as: nil).status == .ok)
        }
    }

    static func template(_ path: String) -> String {
        path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.reduce("") { $0 + "/" + $1 }
    }

    @Test func shippedChannelsLoad() throws {
        let channels = try ChannelDirectory.load(from: Repository.root.appendingPathComponent("Channels"))
        #expect(channels.sorted.count >= 4)
        #expect(Set(channels.sorted.map(\.kind)).isSuperset(of: [.email, .sms, .chat]))
        // The answer bot greets SMS and chat customers; email goes straight to people.
        #expect(channels["sms"]?.bot?.name == "Bazaarche assistant")
        #expect(channels["webchat"]?.bot != nil)
        #expect(channels["support-email"]?.bot == nil)
        // The web chat takes visitors from the shop's pages only.
        let chat = try #require(channels.chat["webchat"])
        #expect(chat.allowedOrigins == ["https://bazaarche.example", "https://www.bazaarche.example"])
        #expect(chat.allows(origin: "https://bazaarche.example") && !chat.allows(origin: "https://evil.example") && !chat.allows(origin: nil))
    }

    @Test func chatSectionIsValidated() throws {
        func parse(_ section: String) throws -> ChatChannelConfig? {
            try ChatChannelConfig.parse("kind: chat\n" + section, id: "c", file: "c.yaml")
        }
        #expect(try parse("") == nil)
        let defaults = try #require(try parse("chat:\n  allowedOrigins: ['https://Shop.example/']\n"))
        #expect(defaults.allowedOrigins == ["https://shop.example"])
        #expect(defaults.maxFrameBytes == 16384 && defaults.messagesPerMinute == 30 && defaults.maxMessageLength == 4000)
        #expect(try parse("chat:\n  allowedOrigins: ['*']\n")?.allows(origin: nil) == true)
        for bad in ["chat:\n  maxFrameBytes: 1000\n", "chat:\n  allowedOrigins: []\n",
                    "chat:\n  allowedOrigins: ['shop.example']\n", "chat:\n  allowedOrigins: ['https://shop.example/chat']\n",
                    "chat:\n  allowedOrigins: ['*']\n  maxFrameBytes: 10\n", "chat:\n  allowedOrigins: ['*']\n  messagesPerMinute: 0\n"] {
            #expect(throws: ChannelConfigError.self, "\(bad)") { try parse(bad) }
        }
    }

    @Test func shippedKnowledgeBaseLoads() throws {
        let articles = try ArticleLoader.load(from: Repository.root.appendingPathComponent("KnowledgeBase"))
        #expect(articles.count >= 10)
        #expect(Set(articles.map(\.locale)) == [.fa, .en])
    }

    @Test func malformedChannelFilesNameTheFileAndField() {
        #expect(throws: ChannelConfigError.self) { try ChannelDirectory.parse("name: x", id: "a", file: "a.yaml") }
        do {
            _ = try ChannelDirectory.parse("kind: email\nassignment:\n  rule: round-robin\n", id: "mail", file: "mail.yaml")
            Issue.record("accepted a round-robin rule without a group")
        } catch let e as ChannelConfigError {
            #expect(e.description == "Channels/mail.yaml: assignment.group is required for round-robin")
        } catch { Issue.record("\(error)") }
        #expect(throws: ChannelConfigError.self) { try ChannelDirectory.parse("kind: pigeon", id: "a", file: "a.yaml") }
        #expect(throws: ChannelConfigError.self) { try ChannelDirectory.parse("kind: sms", id: "Bad Name", file: "Bad Name.yaml") }
        do {
            _ = try ChannelDirectory.parse("kind: chat\nbot:\n  minMargin: 0.5\n", id: "chat", file: "chat.yaml")
            Issue.record("accepted a margin under 1")
        } catch let e as ChannelConfigError {
            #expect(e.description.hasPrefix("Channels/chat.yaml: bot.minMargin must be at least 1"))
        } catch { Issue.record("\(error)") }
        #expect(throws: ChannelConfigError.self) { try ChannelDirectory.parse("kind: chat\nbot:\n  maxAnswers: 99\n", id: "c", file: "c.yaml") }
    }

    @Test func botSectionParsesWithDefaultsAndCanBeSwitchedOff() throws {
        let on = try ChannelDirectory.parse("kind: sms\nbot:\n  handoffWords: [manager]\n", id: "sms", file: "sms.yaml")
        #expect(on.bot == BotSettings(handoffWords: ["manager"]))
        #expect(try ChannelDirectory.parse("kind: sms\nbot:\n  enabled: false\n", id: "sms", file: "sms.yaml").bot == nil)
        #expect(try ChannelDirectory.parse("kind: sms\n", id: "sms", file: "sms.yaml").bot == nil)
    }

    @Test func malformedArticlesNameTheFileAndField() {
        #expect(throws: KnowledgeFileError.self) { try ArticleLoader.parse("no front matter", path: "en/a.md") }
        #expect(throws: KnowledgeFileError.self) { try ArticleLoader.parse("---\nid: a\ntitle: A\nlocale: de\n---\nbody", path: "en/a.md") }
        #expect(throws: KnowledgeFileError.self) { try ArticleLoader.parse("---\nid: a\ntitle: A\nlocale: en\n---\n", path: "en/a.md") }
    }
}
