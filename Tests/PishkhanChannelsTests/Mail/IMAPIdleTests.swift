@testable import PishkhanChannels
import PishkhanTestSupport
import Testing

extension ServerBackedTests {
    /// IDLE (RFC 2177) on a raw CONNECT_ONLY connection against a real Dovecot.
    @Suite
    struct IMAPIdleTests {
        /// Woken by the delivery, not by the 15 s timeout. The bound leaves room for Dovecot's own half-second
        /// notification delay on a loaded machine.
        @Test func idleWakesOnDeliveryLongBeforeItsTimeout() async throws {
            try await DovecotServer.with { server in
                let client = try IMAPClient(settings: server.settings)
                let status = try await client.select()
                let idle = Task { try await client.idle(timeout: .seconds(15), knownUIDNext: status.uidNext) }
                try await Task.sleep(for: .seconds(1))  // let the IDLE connection log in and start idling
                let delivered = ContinuousClock.now
                try server.deliver(TestMessage.make(1))
                let event = try await idle.value
                let latency = ContinuousClock.now - delivered
                print("IDLE woke \(latency) after delivery")
                #expect(event == .newMessages(exists: 1))
                #expect(latency < .seconds(5))
                #expect(try await client.searchUIDs(above: 0) == [1])
            }
        }

        @Test func idleWakesOnAppendFromAnotherConnection() async throws {
            try await DovecotServer.with { server in
                let client = try IMAPClient(settings: server.settings)
                let idle = Task { try await client.idle(timeout: .seconds(15)) }
                try await Task.sleep(for: .seconds(1))
                let delivered = ContinuousClock.now
                try await server.append(TestMessage.make(1))
                #expect(try await idle.value == .newMessages(exists: 1))
                #expect(ContinuousClock.now - delivered < .seconds(5))
            }
        }

        @Test func idleTimesOutCleanlyWithoutMail() async throws {
            try await DovecotServer.with { server in
                let client = try IMAPClient(settings: server.settings)
                let started = ContinuousClock.now
                let event = try await client.idle(timeout: .milliseconds(800))
                let elapsed = ContinuousClock.now - started
                #expect(event == .timedOut)
                #expect(elapsed >= .milliseconds(800))
                #expect(elapsed < .seconds(3))
                #expect(try await client.select().exists == 0)
            }
        }

        @Test func mailSinceTheLastLookEndsTheWaitAtOnce() async throws {
            try await DovecotServer.with { server in
                let client = try IMAPClient(settings: server.settings)
                let before = try await client.select()
                try server.deliver(TestMessage.make(1))
                let started = ContinuousClock.now
                let event = try await client.idle(timeout: .seconds(10), knownUIDNext: before.uidNext)
                #expect(event == .newMessages(exists: 1))
                #expect(ContinuousClock.now - started < .seconds(5))
            }
        }

        @Test func cancellingAnIdleWaitEndsItPromptly() async throws {
            try await DovecotServer.with { server in
                let client = try IMAPClient(settings: server.settings)
                let idle = Task { try await client.idle(timeout: .seconds(30)) }
                try await Task.sleep(for: .milliseconds(500))
                let cancelled = ContinuousClock.now
                idle.cancel()
                await #expect(throws: CancellationError.self) { try await idle.value }
                #expect(ContinuousClock.now - cancelled < .seconds(5))
            }
        }

        /// Dovecot's `imap_capability` replaces the advertised list: no IDLE and no MOVE here.
        @Test func serverWithoutIdleOrMoveIsHandled() async throws {
            try await DovecotServer.with(extraConfig: "imap_capability = IMAP4rev1 LITERAL+ UIDPLUS") { server in
                let client = try IMAPClient(settings: server.settings)
                #expect(try await client.idle(timeout: .seconds(5)) == .unsupported)
                let capabilities = try await client.capabilities()
                #expect(!capabilities.contains("MOVE"))
                try await client.append(TestMessage.make(1))
                try await client.create(mailbox: "Archive")
                try await client.move(uid: 1, to: "Archive")
                #expect(try await client.searchUIDs(above: 0) == [])
                #expect(try await client.select("Archive").exists == 1)
            }
        }
    }
}
