import Foundation
import PishkhanCore
import PishkhanStore
import Testing

/// SMS delivery on both backends (see `Backend`): claims, outcomes and delivery reports.
@Suite(.timeLimit(.minutes(2)))
struct SMSStoreTests {
    /// A customer's SMS and an agent's reply to it, queued.
    static func replyQueued(_ store: any Backend.Conforming, _ id: String = "SMin1", from: String = "09121234567",
                            text: String = "Your parcel ships today.") async throws -> (ticket: Int64, message: Int64) {
        let ingest = try await store.ingest(Fixture.sms(id, from: from), channel: Fixture.sms, rules: Fixture.rules)
        let agent = try await store.createAgent(name: "Neda", role: .agent, email: nil, groups: [], capacity: nil).0
        let reply = try await store.reply(ticketID: ingest.ticketID, ReplyInput(text: text), actor: agent.id)
        return (ingest.ticketID, reply.id)
    }

    /// A reply claimed and accepted by the provider under `providerID`.
    static func accepted(_ store: any Backend.Conforming, providerID: String, providerStatus: String) async throws -> (ticket: Int64, message: Int64) {
        let queued = try await replyQueued(store)
        let job = try #require(try await store.claimOutboundSMS(channels: ["sms"], limit: 10, lease: 60).first)
        try await store.markSMSAccepted(job, providerID: providerID, providerStatus: providerStatus)
        return queued
    }

    static func message(_ store: any Backend.Conforming, _ ticket: Int64, _ id: Int64) async throws -> Message {
        try #require(try await store.messages(ticketID: ticket).first { $0.id == id })
    }

    @Test(arguments: Backend.allCases)
    func aClaimIsLeasedCountedAndAcceptedOnce(_ backend: Backend) async throws {
        let clock = TestClock()
        try await backend.withStore(clock: clock) { store async throws in
            let text = "سلام، بسته شما امروز ارسال می‌شود و تا فردا عصر به دستتان می‌رسد. کد پیگیری: BZ-1042"
            let (ticket, id) = try await Self.replyQueued(store, text: text)
            #expect(try await store.claimOutboundSMS(channels: [], limit: 10, lease: 60).isEmpty)
            #expect(try await store.claimOutboundSMS(channels: ["other-sms"], limit: 10, lease: 60).isEmpty)
            let job = try #require(try await store.claimOutboundSMS(channels: ["sms"], limit: 10, lease: 60).first)
            #expect(job.messageID == id && job.ticketID == ticket && job.channel == "sms" && job.recipient == "+989121234567")
            #expect(job.text == text && job.encoding == SMSSegments.count(text).encoding && job.segments == 2 && job.attempts == 1)
            #expect(try await Self.message(store, ticket, id).deliveryStatus == .sending)
            #expect(try await Self.message(store, ticket, id).segments == 2)
            #expect(try await store.claimOutboundSMS(channels: ["sms"], limit: 10, lease: 60).isEmpty, "leased")

            // The worker died: once the lease runs out the job is claimed again, as a second attempt.
            clock.advance(61)
            let again = try #require(try await store.claimOutboundSMS(channels: ["sms"], limit: 10, lease: 60).first)
            #expect(again.outboxID == job.outboxID && again.attempts == 2)
            try await store.markSMSAccepted(again, providerID: "SM1f2e3d", providerStatus: "queued")
            let message = try await Self.message(store, ticket, id)
            #expect(message.deliveryStatus == .sent && message.providerID == "SM1f2e3d" && message.providerStatus == "queued")
            clock.advance(3600)
            #expect(try await store.claimOutboundSMS(channels: ["sms"], limit: 10, lease: 60).isEmpty, "sent once, never again")
            let delivery = try #require(try await store.events(after: 0, limit: 100).last)
            #expect(delivery.type == .messageDelivery && delivery.data["providerID"] == .string("SM1f2e3d"))
        }
    }

    @Test(arguments: Backend.allCases)
    func aFailedAttemptIsRetriedWhenDueOrFailsForGood(_ backend: Backend) async throws {
        let clock = TestClock()
        try await backend.withStore(clock: clock) { store async throws in
            let (ticket, id) = try await Self.replyQueued(store)
            let first = try #require(try await store.claimOutboundSMS(channels: ["sms"], limit: 10, lease: 60).first)
            try await store.markSMSFailed(first, reason: "HTTP 500 from the provider", retryAt: clock.date.addingTimeInterval(30))
            #expect(try await Self.message(store, ticket, id).deliveryStatus == .queued)
            #expect(try await Self.message(store, ticket, id).deliveryError == nil, "not final yet")
            #expect(try await store.outbox(status: .queued, limit: 10).first?.lastError == "HTTP 500 from the provider")
            #expect(try await store.claimOutboundSMS(channels: ["sms"], limit: 10, lease: 60).isEmpty, "not before the retry time")
            clock.advance(30)
            let second = try #require(try await store.claimOutboundSMS(channels: ["sms"], limit: 10, lease: 60).first)
            #expect(second.attempts == 2)
            try await store.markSMSFailed(second, reason: "21211: not a valid phone number", retryAt: nil)
            let message = try await Self.message(store, ticket, id)
            #expect(message.deliveryStatus == .failed && message.deliveryError == "21211: not a valid phone number")
            #expect(try await store.outbox(status: .failed, limit: 10).count == 1)
            let failures = try await store.events(after: 0, limit: 100).filter { $0.type == .messageDelivery }
            #expect(failures.map { $0.data["status"] } == [.string("failed")], "one event, for the final failure")
        }
    }

    @Test(arguments: Backend.allCases)
    func deliveryReportsNeverMoveAStatusBack(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let (ticket, id) = try await Self.accepted(store, providerID: "SM1", providerStatus: "queued")
            #expect(try await store.recordSMSStatus(channel: "sms", providerID: "SM-unknown", providerStatus: "delivered", status: .delivered, error: nil) == nil)
            #expect(try await store.recordSMSStatus(channel: "other-sms", providerID: "SM1", providerStatus: "delivered", status: .delivered, error: nil) == nil)

            let delivered = try #require(try await store.recordSMSStatus(channel: "sms", providerID: "SM1", providerStatus: "delivered", status: .delivered, error: nil))
            #expect(delivered.messageID == id && delivered.ticketID == ticket && delivered.deliveryStatus == .delivered && delivered.changed)
            let late = try #require(try await store.recordSMSStatus(channel: "sms", providerID: "SM1", providerStatus: "sent", status: .sent, error: nil))
            #expect(late.deliveryStatus == .delivered && late.providerStatus == "sent" && !late.changed, "older news")
            let failed = try #require(try await store.recordSMSStatus(channel: "sms", providerID: "SM1", providerStatus: "undelivered", status: .failed, error: "30003"))
            #expect(!failed.changed, "delivered is final")
            let message = try await Self.message(store, ticket, id)
            #expect(message.deliveryStatus == .delivered && message.providerStatus == "delivered" && message.deliveryError == nil)
            #expect(try await store.outbox(status: .delivered, limit: 10).count == 1)
            let statuses = try await store.events(after: 0, limit: 100).filter { $0.type == .messageDelivery }.map { $0.data["status"] }
            #expect(statuses == [.string("sent"), .string("delivered")])
        }
    }

    @Test(arguments: Backend.allCases)
    func aFailureReportFailsTheMessageWithTheError(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let (ticket, id) = try await Self.accepted(store, providerID: "SMfail1", providerStatus: "accepted")
            let unknownStatus = try #require(try await store.recordSMSStatus(channel: "sms", providerID: "SMfail1", providerStatus: "weird", status: nil, error: nil))
            #expect(!unknownStatus.changed && unknownStatus.deliveryStatus == .sent)
            let failed = try #require(try await store.recordSMSStatus(channel: "sms", providerID: "SMfail1", providerStatus: "undelivered", status: .failed, error: "30003 Unreachable"))
            #expect(failed.changed && failed.deliveryStatus == .failed)
            let message = try await Self.message(store, ticket, id)
            #expect(message.deliveryStatus == .failed && message.deliveryError == "30003 Unreachable" && message.providerStatus == "undelivered")
            #expect(try await store.outbox(status: .failed, limit: 10).first?.lastError == "30003 Unreachable")
            let last = try #require(try await store.events(after: 0, limit: 100).last)
            #expect(last.data["reason"] == .string("30003 Unreachable"))
        }
    }

    /// Two processes claiming the same channel at once, over and over: every reply is claimed by exactly one.
    @Test func twoProcessesNeverClaimTheSameSMS() async throws {
        try await PostgresPair.with { a, b async throws in
            var expected: Set<Int64> = []
            for i in 0..<24 {
                expected.insert(try await Self.replyQueued(a, "SM\(i)", from: "0912100\(String(format: "%04d", i))").message)
            }
            let claimed = try await PostgresPair.claimAll(a, b) { store in
                try await store.claimOutboundSMS(channels: ["sms"], limit: 3, lease: 600).map(\.messageID)
            }
            #expect(claimed.sorted() == expected.sorted(), "each reply claimed once, none twice")
        }
    }
}
