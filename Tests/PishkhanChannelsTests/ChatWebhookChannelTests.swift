import Foundation
import PishkhanCore
import Testing
@testable import PishkhanChannels

@Suite struct ChatWebhookChannelTests {
    static let secret = "s3cret-shared-with-the-partner"
    static let body = Array(#"{"conversationId":"c-81","senderId":"v-12","messageId":"m-3","text":"سلام"}"#.utf8)
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    // MARK: Signature

    @Test func signatureIsHMACSHA256OfTimestampDotBodyAsOpenSSLComputesIt() {
        // printf '%s' "1790000000.$BODY" | openssl dgst -sha256 -hmac "$SECRET"
        let expected = "sha256=b69d39e0b1496f9d508f8cf5e0f0141059dfa193a41e72dcb2e6631ec4954aa2"
        #expect(ChatWebhookSignature.compute(timestamp: "1790000000", body: Self.body, secret: Self.secret) == expected)
        let headers = ChatWebhookSignature.headers(body: Self.body, secret: Self.secret, now: Self.now.addingTimeInterval(0.9))
        #expect(headers.map(\.name) == ["X-Pishkhan-Timestamp", "X-Pishkhan-Signature"])
        #expect(headers.map(\.value) == ["1790000000", expected])
    }

    static func verify(signature: String?, timestamp: String?, body: [UInt8] = body, secret: String = secret, at now: Date = now)
        -> Result<Void, ChatWebhookSignature.Failure> {
        ChatWebhookSignature.verify(signature: signature, timestamp: timestamp, body: body, secret: secret, now: now)
    }

    static func failure(_ r: Result<Void, ChatWebhookSignature.Failure>) -> ChatWebhookSignature.Failure? {
        if case .failure(let f) = r { return f }
        return nil
    }

    @Test func aValidSignatureIsAcceptedWithinFiveMinutesEitherWay() {
        for skew in [0.0, -299, 299, -300, 300] {
            let ts = String(Int(Self.now.timeIntervalSince1970 + skew))
            let sig = ChatWebhookSignature.compute(timestamp: ts, body: Self.body, secret: Self.secret)
            #expect(Self.failure(Self.verify(signature: sig, timestamp: ts)) == nil, "skew \(skew)")
            #expect(Self.failure(Self.verify(signature: sig.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="), timestamp: ts)) == nil,
                    "hex case does not matter")
        }
    }

    @Test func forgedMissingStaleAndFutureSignaturesAreRefused() {
        let ts = "1790000000"
        let good = ChatWebhookSignature.compute(timestamp: ts, body: Self.body, secret: Self.secret)
        #expect(Self.failure(Self.verify(signature: nil, timestamp: ts)) == .missingSignature)
        #expect(Self.failure(Self.verify(signature: "", timestamp: ts)) == .missingSignature)
        #expect(Self.failure(Self.verify(signature: good, timestamp: nil)) == .missingTimestamp)
        #expect(Self.failure(Self.verify(signature: good, timestamp: "yesterday")) == .malformedTimestamp)
        #expect(Self.failure(Self.verify(signature: good, timestamp: "-5")) == .malformedTimestamp)
        // Forged: another secret, another body, another timestamp, a truncated or bare hex signature.
        let other = ChatWebhookSignature.compute(timestamp: ts, body: Self.body, secret: "guess")
        #expect(Self.failure(Self.verify(signature: other, timestamp: ts)) == .badSignature)
        #expect(Self.failure(Self.verify(signature: good, timestamp: ts, body: Self.body + [0x20])) == .badSignature)
        #expect(Self.failure(Self.verify(signature: good, timestamp: "1790000001")) == .badSignature)
        #expect(Self.failure(Self.verify(signature: String(good.dropLast()), timestamp: ts)) == .badSignature)
        #expect(Self.failure(Self.verify(signature: String(good.dropFirst(7)), timestamp: ts)) == .badSignature)
        #expect(Self.failure(Self.verify(signature: good, timestamp: ts, secret: "")) == .badSignature)
        // Replayed after five minutes, or made for the future.
        #expect(Self.failure(Self.verify(signature: good, timestamp: ts, at: Self.now.addingTimeInterval(301))) == .stale)
        #expect(Self.failure(Self.verify(signature: good, timestamp: ts, at: Self.now.addingTimeInterval(-301))) == .future)
    }

    @Test func constantTimeEqualsComparesWholeValues() {
        #expect(ConstantTime.equals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.equals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!ConstantTime.equals(Array("abc".utf8), Array("abcd".utf8)))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }

    // MARK: Config

    @Test func webhookSectionIsReadAndValidated() throws {
        func parse(_ section: String) throws -> ChatWebhookConfig? {
            try ChatWebhookConfig.parse("kind: webhook\n" + section, id: "partner-chat", file: "partner-chat.yaml")
        }
        #expect(try parse("") == nil)
        let config = try #require(try parse("webhook:\n  secretEnv: PARTNER_SECRET\n  callbackURL: https://partner.example/replies/\n"))
        #expect(config == ChatWebhookConfig(channel: "partner-chat", secretEnv: "PARTNER_SECRET", callbackURL: "https://partner.example/replies"))
        for bad in ["webhook:\n  callbackURL: https://partner.example/\n", "webhook:\n  secretEnv: lower\n  callbackURL: https://p.example\n",
                    "webhook:\n  secretEnv: S\n", "webhook:\n  secretEnv: S\n  callbackURL: ftp://p.example\n"] {
            #expect(throws: ChannelConfigError.self, "\(bad)") { try parse(bad) }
        }
    }

    @Test func telegramSectionIsReadWithItsDefaultAPI() throws {
        func parse(_ section: String) throws -> TelegramChannelConfig? {
            try TelegramChannelConfig.parse("kind: telegram\n" + section, id: "telegram", file: "telegram.yaml")
        }
        #expect(try parse("") == nil)
        let config = try #require(try parse("telegram:\n  botTokenEnv: BOT\n  secretTokenEnv: HOOK\n"))
        #expect(config.apiBaseURL == "https://api.telegram.org")
        #expect(config.methodURL("sendMessage", token: "123:abc") == "https://api.telegram.org/bot123:abc/sendMessage")
        #expect(try parse("telegram:\n  botTokenEnv: BOT\n  secretTokenEnv: HOOK\n  apiBaseURL: http://127.0.0.1:8081/\n")?.apiBaseURL == "http://127.0.0.1:8081")
        for bad in ["telegram:\n  secretTokenEnv: HOOK\n", "telegram:\n  botTokenEnv: BOT\n", "telegram:\n  botTokenEnv: '123:abc'\n  secretTokenEnv: HOOK\n"] {
            #expect(throws: ChannelConfigError.self, "\(bad)") { try parse(bad) }
        }
    }

    @Test func directoryReadsWebhookAndTelegramSections() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-channels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "kind: webhook\nwebhook:\n  secretEnv: P\n  callbackURL: https://p.example/cb\n".write(to: dir.appendingPathComponent("partner.yaml"), atomically: true, encoding: .utf8)
        try "kind: telegram\ntelegram:\n  botTokenEnv: B\n  secretTokenEnv: S\n".write(to: dir.appendingPathComponent("tg.yaml"), atomically: true, encoding: .utf8)
        try "kind: webhook\n".write(to: dir.appendingPathComponent("api.yaml"), atomically: true, encoding: .utf8)
        let channels = try ChannelDirectory.load(from: dir)
        #expect(Set(channels.webhook.keys) == ["partner"] && Set(channels.telegram.keys) == ["tg"])
    }

    // MARK: Inbound JSON

    @Test func aPartnerMessageBecomesAnInboundMessageWithContacts() throws {
        let json = #"{"conversationId": 81, "senderId": "v-12", "messageId": "m-3", "text": "سلام", "name": " Sara ", "email": "Sara@Example.com", "phone": "0912 123 4567"}"#
        let payload = try ChatWebhookInbound.decode(Data(json.utf8))
        let m = payload.message(channel: "partner-chat", receivedAt: Self.now)
        #expect(m.channelKind == .webhook && m.externalID == "81:m-3" && m.threadHints.conversationID == "81")
        #expect(m.sender == .init(kind: .external, address: "partner-chat:v-12", displayName: "Sara"))
        #expect(m.contacts == [.init(kind: .email, address: "Sara@Example.com"), .init(kind: .phone, address: "0912 123 4567")])
        #expect(m.text == "سلام")
    }

    @Test func aPartnerMessageWithoutARequiredFieldNamesIt() {
        for (json, field) in [(#"{"senderId":"v","messageId":"m","text":"x"}"#, "conversationId"), (#"{"conversationId":"c","senderId":"","messageId":"m","text":"x"}"#, "senderId"),
                              (#"{"conversationId":"c","senderId":"v","messageId":"m"}"#, "text"), (#"{"conversationId":"c","senderId":"v","messageId":[1],"text":"x"}"#, "messageId"),
                              ("not json", "(body)")] {
            #expect(throws: ValidationError.self, "\(json)") { try ChatWebhookInbound.decode(Data(json.utf8)) }
            do { _ = try ChatWebhookInbound.decode(Data(json.utf8)) } catch let e as ValidationError { #expect(e.field == field, "\(json)") } catch {}
        }
    }

    @Test func callbackBodyIsStableJSON() throws {
        let callback = ChatWebhookCallback(channel: "p", conversationID: "c-81", recipientID: "v-12", messageID: "7", ticket: 3, kind: "reply",
                                           text: "سلام / hello", sentAt: "2026-09-21T13:46:40Z")
        #expect(String(decoding: callback.encoded(), as: UTF8.self)
                == #"{"channel":"p","conversationId":"c-81","kind":"reply","messageId":"7","recipientId":"v-12","sentAt":"2026-09-21T13:46:40Z","text":"سلام / hello","ticket":3}"#)
        #expect(ChatWebhookCallback.acceptedID(Data(#"{"id":"p-991"}"#.utf8)) == "p-991")
        #expect(ChatWebhookCallback.acceptedID(Data(#"{"id":991}"#.utf8)) == "991")
        #expect(ChatWebhookCallback.acceptedID(Data("ok".utf8)) == nil)
    }

    // MARK: Shipped examples

    /// A shipped file with its commented-out section uncommented (from the line `# <section>:` on).
    static func shipped(_ file: String, section: String) throws -> (commented: String, uncommented: String) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Channels/\(file)")
        let text = try String(contentsOf: url, encoding: .utf8)
        var inExample = false
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line == "# \(section):" { inExample = true }
            return inExample && line.hasPrefix("# ") ? String(line.dropFirst(2)) : String(line)
        }.joined(separator: "\n")
        return (text, uncommented)
    }

    @Test func theShippedExamplesParseOnceUncommented() throws {
        let partner = try Self.shipped("partner-chat.yaml", section: "webhook")
        #expect(try ChatWebhookConfig.parse(partner.commented, id: "partner-chat", file: "partner-chat.yaml") == nil, "commented out by default")
        let webhook = try #require(try ChatWebhookConfig.parse(partner.uncommented, id: "partner-chat", file: "partner-chat.yaml"))
        #expect(webhook.secretEnv == "PISHKHAN_PARTNER_CHAT_SECRET" && webhook.callbackURL == "https://chat.partner.example/pishkhan/replies")
        #expect(try ChannelDirectory.parse(partner.commented, id: "partner-chat", file: "partner-chat.yaml").kind == .webhook)

        let telegram = try Self.shipped("telegram.yaml", section: "telegram")
        #expect(try TelegramChannelConfig.parse(telegram.commented, id: "telegram", file: "telegram.yaml") == nil, "commented out by default")
        let bot = try #require(try TelegramChannelConfig.parse(telegram.uncommented, id: "telegram", file: "telegram.yaml"))
        #expect(bot == TelegramChannelConfig(channel: "telegram", botTokenEnv: "PISHKHAN_TELEGRAM_BOT_TOKEN",
                                             secretTokenEnv: "PISHKHAN_TELEGRAM_WEBHOOK_SECRET", apiBaseURL: "https://api.telegram.org"))
    }
}
