import Foundation
import PishkhanCore
import PishkhanStore
import Testing

/// Email channels' state in the store: raw files, poll state, quarantine and the outbound queue.
@Suite(.timeLimit(.minutes(2))) struct MailboxStoreTests {
    let clock = TestClock()
    static let domains = ["support-email": "bazaarche.example"]

    @Test(arguments: Backend.allCases) func stagedFilesAreReadBackByTheirHash(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let raw = Data("From: ali@example.com\r\nSubject: سلام\r\n\r\nbody".utf8)
            let hashes = try await store.stageFiles([raw, raw, Data([0, 255, 10])])
            try await store.syncStagedFiles()
            #expect(hashes[0] == hashes[1] && hashes[0] != hashes[2])
            #expect(hashes.allSatisfy { $0.count == 64 })
            #expect(try await store.raw(sha256: hashes[0]) == raw)
            #expect(try await store.raw(sha256: hashes[2]) == Data([0, 255, 10]))
            await #expect(throws: StoreError.self) { try await store.raw(sha256: String(repeating: "0", count: 64)) }
            await #expect(throws: StoreError.self) { try await store.raw(sha256: "../../etc/passwd") }
        }
    }

    @Test(arguments: Backend.allCases) func attachmentsAreStoredByContentHashAndReadBack(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            var m = Fixture.email("att")
            m.attachments = [.init(name: "invoice.pdf", contentType: "application/pdf", content: Data("%PDF-1.4 hello".utf8)),
                             .init(name: "copy.pdf", contentType: "application/pdf", content: Data("%PDF-1.4 hello".utf8))]
            let r = try await store.ingest(m, channel: Fixture.email, rules: Fixture.rules)
            let attachments = try #require(try await store.messages(ticketID: r.ticketID).first?.attachments)
            #expect(attachments.map(\.name) == ["invoice.pdf", "copy.pdf"])
            #expect(attachments[0].size == 14 && attachments[0].sha256 == attachments[1].sha256)
            #expect(try await store.raw(sha256: attachments[0].sha256) == Data("%PDF-1.4 hello".utf8))
        }
    }

    @Test(arguments: Backend.allCases) func pollsAddUpAndAnErrorKeepsTheLastSuccess(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            #expect(try await store.channelState("support-email") == nil)
            var report = PollReport(uidValidity: 7, watermark: 40)
            report.fetched = 10
            report.stored = 8
            report.duplicates = 1
            report.quarantined = 1
            try await store.recordPoll(channel: "support-email", report)
            let success = clock.date
            clock.advance(60)
            report.watermark = 45
            report.error = "mailbox went away"
            try await store.recordPoll(channel: "support-email", report)
            clock.advance(60)
            try await store.recordChannelError(channel: "support-email", "connection refused")
            let state = try #require(try await store.channelState("support-email"))
            #expect(state.uidValidity == 7 && state.watermark == 45)
            #expect(state.fetched == 20 && state.stored == 16 && state.duplicates == 2 && state.quarantined == 2)
            #expect(state.lastSuccessAt == success && state.lastError == "connection refused" && state.lastErrorAt == clock.date)
            try await store.recordChannelError(channel: "other-email", "no such host")
            #expect(try await store.channelStates().map(\.channel) == ["other-email", "support-email"])
        }
    }

    @Test(arguments: Backend.allCases) func quarantineCountsRetriesAndResolves(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let hash = try await store.stageFiles([Data("broken".utf8)])[0]
            let first = try await store.quarantine(channel: "support-email", sourceRef: "7:12", rawSHA256: hash, size: 6, reason: "no sender")
            clock.advance(10)
            let again = try await store.quarantine(channel: "support-email", sourceRef: "7:12", rawSHA256: hash, size: 6, reason: "still no sender")
            #expect(again.id == first.id && again.attempts == 2 && again.reason == "still no sender" && again.createdAt == first.createdAt)
            _ = try await store.quarantine(channel: "support-email", sourceRef: "7:13", rawSHA256: hash, size: 6, reason: "no sender")
            #expect(try await store.quarantined(channel: "support-email", all: false, limit: 10).count == 2)
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            let resolved = try await store.resolveQuarantine(id: first.id, ticketID: r.ticketID)
            #expect(resolved.ticketID == r.ticketID && resolved.resolvedAt == clock.date)
            #expect(try await store.quarantined(channel: "support-email", all: false, limit: 10).map(\.sourceRef) == ["7:13"])
            #expect(try await store.quarantined(channel: "support-email", all: true, limit: 10).count == 2)
            #expect(try await store.quarantineItem(id: first.id) == resolved)
            await #expect(throws: StoreError.self) { try await store.quarantineItem(id: 999) }
        }
    }

    @Test(arguments: Backend.allCases) func aClaimedReplyIsLeasedThreadedAndMarked(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let agent = try await store.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0
            let r = try await store.ingest(Fixture.email("m1", messageID: "<q1@mail>"), channel: Fixture.email, rules: Fixture.rules)
            let reply = try await store.reply(ticketID: r.ticketID, ReplyInput(text: "On its way"), actor: agent.id)
            let job = try #require(try await store.claimOutboundEmail(domains: Self.domains, limit: 10, lease: 60).first)
            #expect(job.messageID == reply.id && job.recipient == "ali@example.com" && job.attempts == 1)
            #expect(job.inReplyTo == "<q1@mail>" && job.references == ["<q1@mail>"])
            #expect(job.messageIDHeader.hasPrefix("<pishkhan.\(r.ticketID).\(reply.id).") && job.messageIDHeader.hasSuffix("@bazaarche.example>"))
            #expect(try await store.claimOutboundEmail(domains: Self.domains, limit: 10, lease: 60).isEmpty, "leased")
            #expect(try await store.claimOutboundEmail(domains: ["other": "x.example"], limit: 10, lease: 60).isEmpty)

            clock.advance(61)
            let retry = try #require(try await store.claimOutboundEmail(domains: Self.domains, limit: 10, lease: 60).first)
            #expect(retry.messageIDHeader == job.messageIDHeader && retry.attempts == 2, "the same message, resent")
            try await store.markOutboundFailed(retry, reason: "451 try later", retryAt: clock.date + 300)
            #expect(try await store.outbox(status: .queued, limit: 10).first?.lastError == "451 try later")
            #expect(try await store.claimOutboundEmail(domains: Self.domains, limit: 10, lease: 60).isEmpty, "not due yet")
            clock.advance(300)
            let third = try #require(try await store.claimOutboundEmail(domains: Self.domains, limit: 10, lease: 60).first)
            try await store.markOutboundSent(third)
            #expect(try await store.outbox(status: .sent, limit: 10).count == 1)
            #expect(try await store.messages(ticketID: r.ticketID).last?.deliveryStatus == .sent)
            let state = try #require(try await store.channelState("support-email"))
            #expect(state.sent == 1 && state.sendFailures == 1)
            let deliveries = try await store.events(after: 0, limit: 100).filter { $0.type == .messageDelivery }
            #expect(deliveries.map { $0.data["status"] } == [.string("sent")])
        }
    }

    @Test(arguments: Backend.allCases) func aPermanentFailureIsFinal(_ backend: Backend) async throws {
        try await backend.withStore(clock: clock) { store async throws in
            let agent = try await store.createAgent(name: "Sara", role: .agent, email: nil, groups: [], capacity: nil).0
            let r = try await store.ingest(Fixture.email("m1"), channel: Fixture.email, rules: Fixture.rules)
            _ = try await store.reply(ticketID: r.ticketID, ReplyInput(text: "Hello"), actor: agent.id)
            let job = try #require(try await store.claimOutboundEmail(domains: Self.domains, limit: 10, lease: 60).first)
            try await store.markOutboundFailed(job, reason: "550 no such user", retryAt: nil)
            clock.advance(3600)
            #expect(try await store.claimOutboundEmail(domains: Self.domains, limit: 10, lease: 60).isEmpty)
            #expect(try await store.messages(ticketID: r.ticketID).last?.deliveryStatus == .failed)
            #expect(try await store.events(after: 0, limit: 100).last?.data["reason"] == .string("550 no such user"))
        }
    }
}
