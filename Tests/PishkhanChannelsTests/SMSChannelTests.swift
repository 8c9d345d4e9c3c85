import Foundation
import PishkhanCore
import Testing
@testable import PishkhanChannels

@Suite struct SMSChannelTests {
    // MARK: Signature

    /// Twilio's documented example: this URL, these parameters and auth token 12345 sign as
    /// 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.
    static let exampleURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
    static let exampleParameters: [(name: String, value: String)] = [
        ("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"), ("From", "+12349013030"), ("To", "+18005551212"),
    ]

    @Test func signatureMatchesTheDocumentedExample() {
        #expect(TwilioSignature.compute(url: Self.exampleURL, parameters: Self.exampleParameters, authToken: "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        #expect(TwilioSignature.isValid("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", url: Self.exampleURL, parameters: Self.exampleParameters, authToken: "12345"))
    }

    @Test func parametersAreSortedByNameWhateverTheirOrder() {
        let shuffled = Self.exampleParameters.reversed().map { $0 }
        #expect(TwilioSignature.compute(url: Self.exampleURL, parameters: shuffled, authToken: "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    }

    @Test func anyChangeBreaksTheSignature() {
        let good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        var tampered = Self.exampleParameters
        tampered[2].value = "1235"
        #expect(!TwilioSignature.isValid(good, url: Self.exampleURL, parameters: tampered, authToken: "12345"))
        #expect(!TwilioSignature.isValid(good, url: "https://mycompany.com/myapp.php?foo=1&bar=3", parameters: Self.exampleParameters, authToken: "12345"))
        // The URL a proxy would show the server (http, an inner host) is a different URL.
        #expect(!TwilioSignature.isValid(good, url: "http://mycompany.com/myapp.php?foo=1&bar=2", parameters: Self.exampleParameters, authToken: "12345"))
        #expect(!TwilioSignature.isValid(good, url: Self.exampleURL, parameters: Self.exampleParameters, authToken: "12346"))
        #expect(!TwilioSignature.isValid(good, url: Self.exampleURL, parameters: Self.exampleParameters + [("Extra", "1")], authToken: "12345"))
        #expect(!TwilioSignature.isValid(nil, url: Self.exampleURL, parameters: Self.exampleParameters, authToken: "12345"))
        #expect(!TwilioSignature.isValid("", url: Self.exampleURL, parameters: Self.exampleParameters, authToken: "12345"))
        #expect(!TwilioSignature.isValid(good, url: Self.exampleURL, parameters: Self.exampleParameters, authToken: ""))
    }

    @Test func anEmptyParameterStillCountsItsName() {
        let with = TwilioSignature.compute(url: Self.exampleURL, parameters: Self.exampleParameters + [("Body", "")], authToken: "12345")
        #expect(with != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    }

    @Test func constantTimeCompare() {
        #expect(TwilioSignature.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!TwilioSignature.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!TwilioSignature.constantTimeEquals(Array("abc".utf8), Array("xbc".utf8)))
        #expect(!TwilioSignature.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
        #expect(TwilioSignature.constantTimeEquals([], []))
    }

    // MARK: Form bodies and payloads

    @Test func formBodiesDecodePercentEscapesPlusAndPersian() throws {
        let body = "From=%2B989121234567&Body=%D8%B3%D9%84%D8%A7%D9%85+dear+friend%21&Empty=&NoValue"
        let form = try #require(FormParameters.decode(Array(body.utf8)))
        #expect(form["From"] == "+989121234567")
        #expect(form["Body"] == "سلام dear friend!")
        #expect(form["Empty"] == "" && form["NoValue"] == "")
        #expect(FormParameters.decode(Array("Body=%D8".utf8)) == nil, "a broken UTF-8 sequence")
        #expect(FormParameters.decode(Array("Body=%G1".utf8)) == nil, "not a hex escape")
        #expect(FormParameters.decode(Array("Body=%4".utf8)) == nil, "a cut escape")
        let round = FormParameters([("Body", "سلام & a+b=c ~*"), ("To", "+989121234567")])
        #expect(FormParameters.decode(Array(round.encoded().utf8)) == round)
    }

    @Test func anIncomingMMSKeepsItsMediaLinks() throws {
        let form = FormParameters([
            ("MessageSid", "MM1"), ("From", "+989121234567"), ("To", "+98210000"), ("Body", ""), ("NumMedia", "2"),
            ("MediaUrl0", "https://api.twilio.com/media/1"), ("MediaContentType0", "image/jpeg"),
            ("MediaUrl1", "https://api.twilio.com/media/2"),
        ])
        let message = try TwilioInbound.message(from: form, channel: "sms", receivedAt: Date())
        #expect(message.externalID == "MM1" && message.channelKind == .sms && message.sender.kind == .phone)
        #expect(message.media == [MediaLink(url: "https://api.twilio.com/media/1", contentType: "image/jpeg"),
                                  MediaLink(url: "https://api.twilio.com/media/2")])
        try message.validate()
        #expect(throws: ValidationError.self) { try TwilioInbound.message(from: FormParameters([("From", "+1")]), channel: "sms", receivedAt: Date()) }
    }

    @Test(arguments: [
        ("queued", DeliveryStatus.sent), ("sending", .sent), ("sent", .sent), ("delivered", .delivered), ("read", .delivered),
        ("undelivered", .failed), ("failed", .failed), ("canceled", .failed),
    ])
    func providerStatusesMapToOurs(provider: String, ours: DeliveryStatus) {
        #expect(TwilioInbound.deliveryStatus(provider) == ours)
    }

    @Test func aFailureReportNamesTheErrorCode() throws {
        let report = try TwilioInbound.statusReport(from: FormParameters([("MessageSid", "SM1"), ("MessageStatus", "undelivered"), ("ErrorCode", "30003")]))
        #expect(report.deliveryStatus == .failed && report.error == "error 30003")
        #expect(TwilioInbound.deliveryStatus("paused") == nil)
    }

    // MARK: Configuration

    @Test func theShippedExampleParsesOnceUncommented() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Channels/sms.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(try SMSChannelConfig.parse(text, id: "sms", file: "sms.yaml") == nil, "commented out by default")
        var inExample = false
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line == "# provider:" { inExample = true }
            return inExample && line.hasPrefix("# ") ? String(line.dropFirst(2)) : String(line)
        }.joined(separator: "\n")
        let config = try #require(try SMSChannelConfig.parse(uncommented, id: "sms", file: "sms.yaml"))
        #expect(config.baseURL == "https://api.twilio.com")
        #expect(config.accountSidEnv == "PISHKHAN_SMS_ACCOUNT_SID" && config.authTokenEnv == "PISHKHAN_SMS_AUTH_TOKEN")
        #expect(config.messagesURL(accountSID: "AC1") == "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json")
        #expect(config.statusCallbackURL == "https://helpdesk.bazaarche.example/webhooks/sms/sms/status")
    }

    @Test func aVersionedBaseURLAndTrailingSlashesAreTolerated() throws {
        let config = try #require(try SMSChannelConfig.parse("""
            kind: sms
            provider: {baseURL: 'http://127.0.0.1:9/2010-04-01/', accountSidEnv: A, authTokenEnv: B, from: '+98210000', publicBaseURL: 'https://h.example/desk/'}
            """, id: "sms", file: "sms.yaml"))
        #expect(config.baseURL == "http://127.0.0.1:9")
        #expect(config.inboundWebhookURL == "https://h.example/desk/webhooks/sms/sms")
    }

    static let complete = "accountSidEnv: A, authTokenEnv: B, from: '+98210000', publicBaseURL: 'https://h.example'"

    @Test(arguments: [
        ("provider: {type: nexmo, \(complete)}", "provider.type"),
        ("provider: {baseURL: 'ftp://x', \(complete)}", "provider.baseURL"),
        ("provider: {authTokenEnv: B, from: '+98210000', publicBaseURL: 'https://h.example'}", "provider.accountSidEnv"),
        ("provider: {accountSidEnv: A, authTokenEnv: 'the token', from: '+98210000', publicBaseURL: 'https://h.example'}", "provider.authTokenEnv"),
        ("provider: {accountSidEnv: A, authTokenEnv: B, publicBaseURL: 'https://h.example'}", "provider.from"),
        ("provider: {accountSidEnv: A, authTokenEnv: B, from: '+98210000'}", "provider.publicBaseURL"),
        ("provider: {accountSidEnv: A, authTokenEnv: B, from: '+98210000', publicBaseURL: 'https://h.example/?a=1'}", "provider.publicBaseURL"),
        ("provider: {accountSidEnv: [A], authTokenEnv: B, from: '+98210000', publicBaseURL: 'https://h.example'}", "provider.accountSidEnv"),
    ])
    func mistakesNameTheFileAndField(yaml: String, field: String) {
        do {
            _ = try SMSChannelConfig.parse("kind: sms\n" + yaml, id: "sms", file: "sms.yaml")
            Issue.record("accepted \(yaml)")
        } catch let error as ChannelConfigError {
            #expect(error.field == field, "\(error)")
            #expect(error.description.hasPrefix("Channels/sms.yaml: \(field) "))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func theDirectoryKeepsProviderSettingsBySMSChannel() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-sms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "kind: sms\nprovider: {\(Self.complete)}\n".write(to: dir.appendingPathComponent("text.yaml"), atomically: true, encoding: .utf8)
        try "kind: sms\n".write(to: dir.appendingPathComponent("plain.yaml"), atomically: true, encoding: .utf8)
        let directory = try ChannelDirectory.load(from: dir)
        #expect(directory.sms.keys.sorted() == ["text"])
        #expect(directory["plain"]?.kind == .sms)
    }
}
