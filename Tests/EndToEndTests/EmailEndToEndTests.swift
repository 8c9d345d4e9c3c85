import AsyncHTTPClient
import Foundation
import PishkhanChannels
import PishkhanTestSupport
import Testing

/// A real `pishkhan serve` reading a real Dovecot mailbox and sending through a real SMTP server, all on
/// loopback and stopped by pid.
@Suite(.serialized) struct EmailEndToEndTests {
    static func channels(imapPort: Int, smtpPort: Int, afterStore: String = "move") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-mail-channels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
            kind: email
            name: Support email
            imap:
              url: imap://127.0.0.1:\(imapPort)
              user: \(DovecotServer.user)
              passwordEnv: PISHKHAN_TEST_IMAP_PASSWORD
              pollSeconds: 5
              afterStore: \(afterStore)
              moveTo: Stored
            smtp:
              url: smtp://127.0.0.1:\(smtpPort)
              from:
                address: support@bazaarche.example
                name: پشتیبانی بازارچه
            """.write(to: dir.appendingPathComponent("support-email.yaml"), atomically: true, encoding: .utf8)
        return dir
    }

    static func eml(_ lines: [String], body: [UInt8]) -> [UInt8] {
        Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body
    }

    /// Persian subject split across two B-encoded words mid-character, windows-1256 quoted-printable,
    /// iso-8859-6 base64, an RFC 2231 Persian attachment name, and an out-of-office reply.
    static let persianSubject = eml([
        "From: =?UTF-8?B?2LnZhNuMINix2LbYp9uM24w=?= <ali@example.com>", "To: support@bazaarche.example",
        // "سفارش من" split inside the second letter's two bytes.
        "Subject: =?UTF-8?B?2LM=?= =?UTF-8?B?2YHYp9ix2LQg2YXZhg==?=", "Message-ID: <p1@example.com>",
        "Date: Mon, 23 Nov 2026 10:00:00 +0330", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ], body: Array("سلام، سفارش BZ-1042 هنوز نرسیده است.\r\n".utf8))

    static let windows1256 = eml([
        "From: Reza <reza@example.com>", "To: support@bazaarche.example", "Subject: =?windows-1256?Q?=D3=E1=C7=E3?=",
        "Message-ID: <p2@example.com>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=windows-1256",
        "Content-Transfer-Encoding: quoted-printable",
    ], body: Array("=D3=E1=C7=E3 =DA=E1=ED=DF=E3\r\n".utf8))

    static let iso88596 = eml([
        "From: Omar <omar@example.com>", "To: support@bazaarche.example", "Subject: Arabic body",
        "Message-ID: <p3@example.com>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=iso-8859-6",
        "Content-Transfer-Encoding: base64",
    ], body: Array((Data([0xD3, 0xE4, 0xC7, 0xE5]).base64EncodedString() + "\r\n").utf8))

    static let attachment = eml([
        "From: Sara <sara@example.com>", "To: support@bazaarche.example", "Subject: Invoice", "Message-ID: <p4@example.com>",
        "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"b1\"",
    ], body: Array("""
        --b1\r
        Content-Type: text/plain; charset=utf-8\r
        \r
        Invoice attached.\r
        --b1\r
        Content-Type: application/pdf\r
        Content-Disposition: attachment; filename*=utf-8''%D9%81%D8%A7%DA%A9%D8%AA%D9%88%D8%B1.pdf\r
        Content-Transfer-Encoding: base64\r
        \r
        JVBERi0xLjQK\r
        --b1--\r

        """.utf8))

    static let outOfOffice = eml([
        "From: Away <away@example.com>", "To: support@bazaarche.example", "Subject: Out of office", "Message-ID: <p5@example.com>",
        "Auto-Submitted: auto-replied", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
    ], body: Array("I am away until Monday.\r\n".utf8))

    @Test func mailBecomesTicketsAndRepliesGoOutThreaded() async throws {
        try await DovecotServer.with { dovecot in
            try await SMTPSink.with { sink in
                for message in [Self.persianSubject, Self.windows1256, Self.iso88596, Self.attachment, Self.outOfOffice] {
                    try dovecot.deliver(message)
                }
                let data = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-mail-\(UUID().uuidString)")
                let server = try ServerProcess(
                    dataDirectory: data, channels: try Self.channels(imapPort: dovecot.port, smtpPort: sink.port),
                    port: ServerProcess.freePort(), environment: ["PISHKHAN_TEST_IMAP_PASSWORD": DovecotServer.password])
                defer {
                    server.kill(SIGKILL)
                    try? FileManager.default.removeItem(at: data)
                }
                let client = HTTPClient.shared
                try await server.waitUntilReady(expectToken: true, client: client)
                let token = try #require(server.adminToken)
                let base = "http://127.0.0.1:\(server.port)/api/v1"

                let tickets = try await Self.waitForTickets(4, base: base, token: token, client: client)
                let bySubject = Dictionary(uniqueKeysWithValues: tickets.map { ($0["subject"] as? String ?? "", $0) })
                #expect(Set(bySubject.keys) == ["سفارش من", "سلام", "Arabic body", "Invoice"], "\(bySubject.keys)")

                func messages(_ subject: String) async throws -> [[String: Any]] {
                    let id = try #require(bySubject[subject]?["id"] as? Int)
                    return try await client.getJSON("\(base)/tickets/\(id)", token: token)["messages"] as? [[String: Any]] ?? []
                }
                #expect(try await messages("سفارش من").first?["text"] as? String == "سلام، سفارش BZ-1042 هنوز نرسیده است.")
                // windows-1256 writes Persian yeh as Arabic yeh: decoded faithfully.
                #expect(try await messages("سلام").first?["text"] as? String == "\u{633}\u{644}\u{627}\u{645} \u{639}\u{644}\u{64A}\u{643}\u{645}")
                #expect(try await messages("Arabic body").first?["text"] as? String == "سلام")
                let invoice = try await messages("Invoice").first?["attachments"] as? [[String: Any]] ?? []
                #expect(invoice.compactMap { $0["name"] as? String } == ["فاکتور.pdf", "message.eml"])

                // The out-of-office opened nothing; it waits in the quarantine with its reason.
                let quarantine = try await client.getJSON("\(base)/channels/support-email/quarantine", token: token)["items"] as? [[String: Any]] ?? []
                #expect(quarantine.count == 1)
                let reason = quarantine.first?["reason"] as? String ?? ""
                #expect(reason.contains("automated"), "\(reason)")

                // Reply to Ali; the SMTP server receives a threaded, encoded message.
                let aliTicket = try #require(bySubject["سفارش من"]?["id"] as? Int)
                let (status, _) = try await client.postJSON("\(base)/tickets/\(aliTicket)/replies", token: token,
                                                            body: #"{"text":"سلام علی، بسته امروز ارسال می‌شود.","status":"pending"}"#)
                #expect(status == .created)
                let sent = try #require(try await sink.waitForMessages(1).first)
                #expect(sent.recipients == ["ali@example.com"])
                #expect(sent.mailFrom == "support@bazaarche.example")
                let reply = try EmailDecoder.decode(sent.data)
                #expect(reply.subject == "Re: سفارش من [#\(aliTicket)]")
                #expect(reply.inReplyTo == ["p1@example.com"])
                #expect(reply.textBody.contains("بسته امروز ارسال می‌شود"))
                let subjectLine = String(decoding: sent.data, as: UTF8.self).split(separator: "\r\n").first { $0.hasPrefix("Subject:") } ?? ""
                #expect(subjectLine.hasPrefix("Subject: Re: =?UTF-8?B?") && subjectLine.hasSuffix("?= [#\(aliTicket)]"), "\(subjectLine)")
                let ourID = try #require(reply.messageID)

                // Ali answers the reply (no ticket token in the subject): it threads by In-Reply-To.
                try dovecot.deliver(Self.eml([
                    "From: Ali <ali@example.com>", "To: support@bazaarche.example", "Subject: Re: thanks",
                    "Message-ID: <p6@example.com>", "In-Reply-To: <\(ourID)>", "References: <p1@example.com> <\(ourID)>",
                    "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                ], body: Array("Got it, thanks!\r\n\r\nOn Monday support wrote:\r\n> بسته امروز ارسال می‌شود\r\n".utf8)))
                var thread: [[String: Any]] = []
                for _ in 0..<100 where thread.count < 3 {
                    thread = try await client.getJSON("\(base)/tickets/\(aliTicket)", token: token)["messages"] as? [[String: Any]] ?? []
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(thread.compactMap { $0["kind"] as? String } == ["inbound", "outbound", "inbound"])
                #expect(thread.last?["text"] as? String == "Got it, thanks!", "quoted history is trimmed")
                let outbound = thread.first { $0["kind"] as? String == "outbound" }
                #expect(outbound?["deliveryStatus"] as? String == "sent")

                // A bounce of our reply from MAILER-DAEMON (a DSN naming our Message-ID in its headers part)
                // is stored on Ali's ticket, changes its status not, and creates no customer for the robot.
                let statusBefore = try await client.getJSON("\(base)/tickets/\(aliTicket)", token: token)["status"] as? String
                let customersBefore = (try await client.getJSON("\(base)/customers?limit=200", token: token)["items"] as? [[String: Any]] ?? []).count
                try dovecot.deliver(Self.eml([
                    "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>", "To: support@bazaarche.example",
                    "Subject: Undelivered Mail Returned to Sender", "Message-ID: <dsn1@mx.example.net>", "Auto-Submitted: auto-replied",
                    "MIME-Version: 1.0", "Content-Type: multipart/report; report-type=delivery-status; boundary=\"d\"",
                ], body: Array("""
                    --d\r
                    Content-Type: text/plain\r
                    \r
                    550 5.1.1 <ali@example.com>: mailbox full\r
                    --d\r
                    Content-Type: message/delivery-status\r
                    \r
                    Final-Recipient: rfc822; ali@example.com\r
                    Action: failed\r
                    Status: 5.2.2\r
                    --d\r
                    Content-Type: text/rfc822-headers\r
                    \r
                    From: support@bazaarche.example\r
                    Message-ID: <\(ourID)>\r
                    --d--\r

                    """.utf8)))
                for _ in 0..<100 where thread.count < 4 {
                    thread = try await client.getJSON("\(base)/tickets/\(aliTicket)", token: token)["messages"] as? [[String: Any]] ?? []
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(thread.count == 4)
                #expect(thread.last?["automated"] as? Bool == true)
                let bounceText = thread.last?["text"] as? String
                #expect(bounceText?.contains("mailbox full") == true, "\(bounceText ?? "")")
                #expect(try await client.getJSON("\(base)/tickets/\(aliTicket)", token: token)["status"] as? String == statusBefore)
                let customersAfter = (try await client.getJSON("\(base)/customers?limit=200", token: token)["items"] as? [[String: Any]] ?? []).count
                #expect(customersAfter == customersBefore, "no customer for the mailer daemon")

                let channels = try await client.getJSON("\(base)/channels", token: token)["channels"] as? [[String: Any]] ?? []
                let state = channels.first { $0["id"] as? String == "support-email" }?["state"] as? [String: Any]
                #expect(state?["stored"] as? Int == 6)
                #expect(state?["quarantined"] as? Int == 1)
                #expect(state?["sent"] as? Int == 1)
            }
        }
    }

    /// SIGKILL in the middle of reading 5,000 messages, restart, and every message is stored exactly once.
    /// (With 2,000, a fast machine sometimes read the whole mailbox between two looks at the count, so the
    /// kill came after the poll.)
    @Test func aServerKilledMidPollStoresEveryMessageExactlyOnce() async throws {
        try await DovecotServer.with { dovecot in
            let total = 5000
            for i in 0..<total { try dovecot.deliver(TestMessage.make(i, from: "c\(i)@example.com")) }
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-mail-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: data) }
            let channels = try Self.channels(imapPort: dovecot.port, smtpPort: 1, afterStore: "seen")
            let env = ["PISHKHAN_TEST_IMAP_PASSWORD": DovecotServer.password]
            let client = HTTPClient.shared

            let first = try ServerProcess(dataDirectory: data, channels: channels, port: ServerProcess.freePort(), environment: env)
            try await first.waitUntilReady(expectToken: true, client: client)
            let token = try #require(first.adminToken)
            // Killed as soon as the first batch is stored (batches of 256 commit one at a time).
            var stored = 0
            for _ in 0..<3000 where stored == 0 {
                stored = try await Self.state(base: "http://127.0.0.1:\(first.port)/api/v1", token: token, client: client)["stored"] as? Int ?? 0
                if stored == 0 { try await Task.sleep(for: .milliseconds(2)) }
            }
            first.kill(SIGKILL)
            #expect(try await first.wait() == SIGKILL)
            #expect(stored > 0 && stored < total, "the kill must land mid-poll (stored \(stored))")

            let second = try ServerProcess(dataDirectory: data, channels: channels, port: ServerProcess.freePort(), environment: env)
            defer { second.kill(SIGKILL) }
            try await second.waitUntilReady(expectToken: false, client: client)
            let base = "http://127.0.0.1:\(second.port)/api/v1"
            var state: [String: Any] = [:]
            for _ in 0..<600 {
                state = try await Self.state(base: base, token: token, client: client)
                if state["watermark"] as? Int == total { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state["watermark"] as? Int == total)
            // One ticket per sender, one message per ticket: nothing lost, nothing doubled.
            var tickets = 0, messages = 0
            var cursor: String?
            repeat {
                let page = try await client.getJSON("\(base)/tickets?limit=200" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
                let items = page["items"] as? [[String: Any]] ?? []
                tickets += items.count
                messages += items.reduce(0) { $0 + (($1["messageCount"] as? Int) ?? 0) }
                cursor = page["nextCursor"] as? String
            } while cursor != nil
            #expect(tickets == total)
            #expect(messages == total)
            second.kill(SIGTERM)
            #expect(try await second.wait() == 0)
        }
    }

    static func state(base: String, token: String, client: HTTPClient) async throws -> [String: Any] {
        let channels = try await client.getJSON("\(base)/channels", token: token)["channels"] as? [[String: Any]] ?? []
        return channels.first { $0["id"] as? String == "support-email" }?["state"] as? [String: Any] ?? [:]
    }

    static func waitForTickets(_ count: Int, base: String, token: String, client: HTTPClient) async throws -> [[String: Any]] {
        var items: [[String: Any]] = []
        for _ in 0..<150 {
            items = try await client.getJSON("\(base)/tickets?limit=200", token: token)["items"] as? [[String: Any]] ?? []
            if items.count >= count { return items }
            try await Task.sleep(for: .milliseconds(100))
        }
        return items
    }
}
