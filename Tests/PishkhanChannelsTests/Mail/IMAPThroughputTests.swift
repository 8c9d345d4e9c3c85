@testable import PishkhanChannels
import PishkhanTestSupport
import Testing

extension ServerBackedTests {
    /// Many requests over one reused handle: one connection, one login, in order.
    @Suite
    struct IMAPThroughputTests {
        @Test func fiveHundredMessagesAppendAndFetchInOrderOverOneHandle() async throws {
            try await DovecotServer.with { server in
                let client = try IMAPClient(settings: server.settings)
                let count = 500
                let appendStart = ContinuousClock.now
                for index in 1...count { try await client.append(TestMessage.make(index)) }
                let appendTime = ContinuousClock.now - appendStart

                let uids = try await client.searchUIDs(above: 0)
                #expect(uids == (1...UInt32(count)).map { $0 })
                let fetchStart = ContinuousClock.now
                var mismatches = 0
                for (offset, uid) in uids.enumerated() where try await client.fetch(uid: uid) != TestMessage.make(offset + 1) {
                    mismatches += 1
                }
                let fetchTime = ContinuousClock.now - fetchStart
                #expect(mismatches == 0)

                let logins = server.log().components(separatedBy: "Login: user=<agent>").count - 1
                #expect(logins == 1, "one reused handle should log in once, saw \(logins)")
                print("IMAP throughput over one handle: append \(Self.rate(count, appendTime)) msg/s, fetch \(Self.rate(count, fetchTime)) msg/s (\(count) messages, \(fetchTime))")
            }
        }

        private static func rate(_ count: Int, _ duration: Duration) -> Int {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return Int(Double(count) / seconds)
        }
    }
}
