@testable import PishkhanChannels
import PishkhanTestSupport
import Testing

extension ServerBackedTests {
    /// IMAPClient against a real Dovecot on loopback; each test starts and stops its own server.
    @Suite
    struct IMAPClientTests {
        @Test func wrongPasswordIsALoginDeniedError() async throws {
            try await DovecotServer.with { server in
                var settings = server.settings
                settings.password = "wrong"
                let client = try IMAPClient(settings: settings)
                let error = await #expect(throws: CurlError.self) { try await client.select() }
                #expect(error?.isLoginDenied == true)
                #expect(error?.isPermanent == true)
                #expect(error?.imapResponseCode == "AUTHENTICATIONFAILED", "\(String(describing: error))")
            }
        }

        @Test func selectReportsUIDValidityAndCounts() async throws {
            try await DovecotServer.with { server in
                try server.deliver(TestMessage.make(1))
                try server.deliver(TestMessage.make(2))
                let client = try IMAPClient(settings: server.settings)
                let status = try await client.select("INBOX")
                #expect(status.uidValidity > 0)
                #expect(status.exists == 2)
                #expect(status.uidNext == 3)
                #expect(try await client.select("INBOX").uidValidity == status.uidValidity)
            }
        }

        @Test func searchAboveWatermarkReturnsOnlyNewUIDs() async throws {
            try await DovecotServer.with { server in
                let client = try IMAPClient(settings: server.settings)
                for index in 1...3 { try await client.append(TestMessage.make(index)) }
                #expect(try await client.searchUIDs(above: 0) == [1, 2, 3])
                #expect(try await client.searchUIDs(above: 1) == [2, 3])
                // Pitfall: `UID SEARCH UID 4:*` still answers 3, the highest UID; it must be filtered out.
                #expect(try await client.searchUIDs(above: 3) == [])
                #expect(try await client.searchUIDs(above: 50) == [])
                try server.deliver(TestMessage.make(4))
                #expect(try await client.searchUIDs(above: 3) == [4])
            }
        }

        @Test func fetchReturnsTheExactBytes() async throws {
            try await DovecotServer.with { server in
                let appended = TestMessage.make(1)
                let delivered = TestMessage.make(2) + Array("Latin-1 byte: \u{00E9}\r\n".utf8) + [0xE9, 0x0D, 0x0A]
                let client = try IMAPClient(settings: server.settings)
                try await client.append(appended)
                try server.deliver(delivered)
                let uids = try await client.searchUIDs(above: 0)
                #expect(uids == [1, 2])
                #expect(try await client.fetch(uid: 1) == appended)
                #expect(try await client.fetch(uid: 2) == delivered)
                await #expect(throws: IMAPError.messageNotFound(uid: 99)) { try await client.fetch(uid: 99) }
            }
        }

        @Test func markSeenSetsTheFlag() async throws {
            try await DovecotServer.with { server in
                try server.deliver(TestMessage.make(1))
                let client = try IMAPClient(settings: server.settings)
                #expect(try await client.flags(uid: 1).contains("\\Seen") == false)
                try await client.markSeen(uid: 1)
                #expect(try await client.flags(uid: 1).contains("\\Seen"))
            }
        }

        @Test(arguments: [true, false])
        func moveTakesTheMessageOutOfInbox(useMoveExtension: Bool) async throws {
            try await DovecotServer.with { server in
                let client = try IMAPClient(settings: server.settings)
                for index in 1...2 { try await client.append(TestMessage.make(index)) }
                try await client.create(mailbox: "Archive")
                try await client.move(uid: 1, from: "INBOX", to: "Archive", useMoveExtension: useMoveExtension)
                #expect(try await client.searchUIDs(above: 0) == [2])
                #expect(try await client.select("INBOX").exists == 1)
                let archived = try await client.select("Archive")
                #expect(archived.exists == 1)
                let archivedUIDs = try await client.searchUIDs(in: "Archive", above: 0)
                #expect(archivedUIDs.count == 1)
                #expect(try await client.fetch(uid: archivedUIDs[0], in: "Archive") == TestMessage.make(1))
                #expect(try await client.searchUIDs(in: "INBOX", above: 0) == [2])
            }
        }

        @Test func capabilitiesAreListedAfterLogin() async throws {
            try await DovecotServer.with { server in
                let capabilities = try await IMAPClient(settings: server.settings).capabilities()
                #expect(capabilities.contains("IMAP4REV1"))
                #expect(capabilities.contains("MOVE"))
                #expect(capabilities.contains("IDLE"))
            }
        }

        @Test func closedPortIsATemporaryError() async throws {
            let port = try LoopbackPort.free()
            let settings = MailServerSettings(host: "127.0.0.1", port: port, security: .none, username: "a", password: "b")
            let error = await #expect(throws: CurlError.self) { try await IMAPClient(settings: settings).select() }
            #expect(error?.isPermanent == false)
        }
    }
}
