import PishkhanCore
@testable import PishkhanStore
import Synchronization
import Testing

@Suite struct SLATimerFeedTests {
    /// The store announces clock changes after every commit, for as long as the server runs, so the
    /// scheduler must be reached the same way on the millionth commit as on the first. (Kept directly in a
    /// `Mutex`, the subscriber's closure gained two reabstraction thunks on every publish: the call chain,
    /// and with it the stack and the time per commit, grew without end.)
    @Test func theSchedulerIsCalledAtTheSameStackDepthOnEveryPublish() {
        let feed = SLATimerFeed()
        let stackAddresses = Mutex<[Int]>([])
        feed.subscribe { updates in
            var marker = updates.count
            let address = withUnsafeMutablePointer(to: &marker) { Int(bitPattern: $0) }
            stackAddresses.withLock { $0.append(address) }
        }
        let update = SLATimerUpdate(key: SLATimerQueue.Key(ticketID: 1, metric: .firstResponse), timer: nil)
        for _ in 0..<2_000 { feed.publish([update]) }
        feed.publish([])  // nothing to announce: not called

        let seen = stackAddresses.withLock { $0 }
        #expect(seen.count == 2_000)
        #expect(Set(seen).count == 1, "the subscriber ran \(abs((seen.first ?? 0) - (seen.last ?? 0))) bytes deeper in the stack after 2,000 publishes")
    }
}
