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

        @Test func batchFetchReturnsExactBytesAndLeavesSeenAlone() async throws {
            try await DovecotServer.with { server in
                let delivered = (1...5).map { TestMessage.make($0) } + [TestMessage.make(6) + [0xE9, 0x0D, 0x0A, 0x29, 0x0D, 0x0A]]
                for message in delivered { try server.deliver(message) }
                let client = try IMAPClient(settings: server.settings)
                try await client.markSeen(uid: 2)
                let bodies = try await client.fetch(uids: [1, 2, 3, 4, 5, 6, 99])
                #expect(bodies.keys.sorted() == [1, 2, 3, 4, 5, 6])
                for uid: UInt32 in 1...6 { #expect(bodies[uid] == delivered[Int(uid) - 1], "UID \(uid)") }
                for uid: UInt32 in 1...6 { #expect(try await client.flags(uid: uid).contains("\\Seen") == (uid == 2), "UID \(uid)") }
            }
        }

        /// A poll's batches share one fetch connection: one login for all of them, the answers in order, and
        /// flags set meanwhile by the mailbox's other connection read past without harm.
        @Test func aFetchSessionServesEveryBatchOverOneLogin() async throws {
            try await DovecotServer.with { server in
                let delivered = (1...9).map { TestMessage.make($0) }
                for message in delivered { try server.deliver(message) }
                let client = try IMAPClient(settings: server.settings)
                _ = try await client.select("INBOX")
                let loginsBefore = server.log().components(separatedBy: "Login: user=<agent>").count - 1
                let batches: [[UInt32]] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
                let fetched = try await client.withFetchSession(in: "INBOX") { session in
                    var all: [UInt32: [UInt8]] = [:]
                    for batch in batches {
                        all.merge(try await session.fetch(batch)) { first, _ in first }
                        try await client.markSeen(uids: batch)
                    }
                    return all
                }
                #expect(fetched.keys.sorted() == Array(1...9))
                for uid: UInt32 in 1...9 { #expect(fetched[uid] == delivered[Int(uid) - 1], "UID \(uid)") }
                let logins = server.log().components(separatedBy: "Login: user=<agent>").count - 1
                #expect(logins - loginsBefore == 1, "one login for three batches, not \(logins - loginsBefore)")
            }
        }

        @Test func aFetchSessionThatCannotConnectFailsItsRequests() async throws {
            let port = try LoopbackPort.free()
            let client = try IMAPClient(settings: MailServerSettings(
                host: "127.0.0.1", port: port, security: .none, username: "agent", password: "secret"))
            await #expect(throws: (any Error).self) {
                try await client.withFetchSession(in: "INBOX") { session in try await session.fetch([1, 2]) }
            }
        }

        @Test func markSeenSetsTheFlag() async throws {
            try await DovecotServer.with { server in
                for index in 1...6 { try server.deliver(TestMessage.make(index)) }
                let client = try IMAPClient(settings: server.settings)
                #expect(try await client.flags(uid: 1).contains("\\Seen") == false)
                try await client.markSeen(uid: 1)
                #expect(try await client.flags(uid: 1).contains("\\Seen"))
                // One command for a set with ranges and gaps: 2:3,5.
                try await client.markSeen(uids: [5, 2, 3])
                for uid: UInt32 in 1...6 {
                    #expect(try await client.flags(uid: uid).contains("\\Seen") == [1, 2, 3, 5].contains(uid), "UID \(uid)")
                }
            }
        }

        @Test(arguments: [true, false])
        func moveTakesTheMessageOutOfInbox(useMoveExtension: Bool) async throws {
            try await DovecotServer.with { server in
                let client = try IMAPClient(settings: server.settings)
                for index in 1...4 { try await client.append(TestMessage.make(index)) }
                try await client.create(mailbox: "Archive")
                try await client.move(uids: [1, 3], from: "INBOX", to: "Archive", useMoveExtension: useMoveExtension)
                #expect(try await client.searchUIDs(above: 0) == [2, 4])
                #expect(try await client.select("INBOX").exists == 2)
                let archived = try await client.select("Archive")
                #expect(archived.exists == 2)
                let archivedUIDs = try await client.searchUIDs(in: "Archive", above: 0)
                #expect(archivedUIDs.count == 2)
                #expect(try await client.fetch(uid: archivedUIDs[0], in: "Archive") == TestMessage.make(1))
                #expect(try await client.fetch(uid: archivedUIDs[1], in: "Archive") == TestMessage.make(3))
                #expect(try await client.searchUIDs(in: "INBOX", above: 0) == [2, 4])
            }
        }

        /// A Persian folder name goes to Dovecot in modified UTF-7; appending, moving and selecting by the
        /// readable name all reach the same folder.
        @Test func persianMailboxNamesWork() async throws {
            try await DovecotServer.with { server in
                let client = try IMAPClient(settings: server.settings)
                try await client.append(TestMessage.make(1))
                try await client.append(TestMessage.make(2))
                let folder = "پیگیری شده & Done"
                try await client.create(mailbox: folder)
                try await client.move(uids: [1], from: "INBOX", to: folder)
                try await client.append(TestMessage.make(3), to: folder)
                #expect(try await client.select(folder).exists == 2)
                let uids = try await client.searchUIDs(in: folder, above: 0)
                #expect(try await client.fetch(uid: uids[0], in: folder) == TestMessage.make(1))
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
