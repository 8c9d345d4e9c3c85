import Foundation
import PishkhanCore
import Testing
@testable import PishkhanChannels

@Suite struct EmailChannelConfigTests {
    /// The shipped example, uncommented, is a valid configuration.
    @Test func theShippedExampleParsesOnceUncommented() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Channels/support-email.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(try EmailChannelConfig.parse(text, id: "support-email", file: "support-email.yaml") == nil, "commented out by default")
        // Everything from "# imap:" on loses its "# ".
        var inExample = false
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line == "# imap:" { inExample = true }
            return inExample && line.hasPrefix("# ") ? String(line.dropFirst(2)) : String(line)
        }.joined(separator: "\n")
        let config = try #require(try EmailChannelConfig.parse(uncommented, id: "support-email", file: "support-email.yaml"))
        #expect(config.imap?.host == "127.0.0.1" && config.imap?.port == 1143 && config.imap?.security == TransportSecurity.none)
        #expect(config.imap?.passwordEnv == "PISHKHAN_SUPPORT_IMAP_PASSWORD")
        #expect(config.afterStore == .markSeen)
        #expect(config.smtp?.port == 1025 && config.fromAddress == "support@bazaarche.example")
    }

    @Test(arguments: [
        ("imap: {url: 'http://x'}", "imap.url"),
        ("imap: {url: 'imaps://mail.example', afterStore: move}", "imap.moveTo"),
        ("imap: {url: 'imap://mail.example', pollSeconds: 0}", "imap.pollSeconds"),
        ("imap: {url: 'imap://mail.example', passwordEnv: 'my password'}", "imap.passwordEnv"),
        ("smtp: {url: 'smtps://mail.example'}", "smtp.from.address"),
    ])
    func mistakesNameTheField(yaml: String, field: String) {
        #expect(throws: ChannelConfigError.self) { try EmailChannelConfig.parse("kind: email\n" + yaml, id: "x", file: "x.yaml") }
        do {
            _ = try EmailChannelConfig.parse("kind: email\n" + yaml, id: "x", file: "x.yaml")
        } catch let error as ChannelConfigError {
            #expect(error.field == field, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func tlsAndStartTLSAreChosenByURLAndFlag() throws {
        let tls = try #require(try EmailChannelConfig.parse("imap: {url: 'imaps://mail.example'}\nsmtp: {url: 'smtp://mail.example:587', starttls: true, from: {address: a@b.c}}", id: "x", file: "x.yaml"))
        #expect(tls.imap?.security == .implicitTLS && tls.imap?.port == 993)
        #expect(tls.smtp?.security == .startTLS && tls.smtp?.port == 587)
        #expect(tls.imap?.verifyPeer == true)
    }
}
