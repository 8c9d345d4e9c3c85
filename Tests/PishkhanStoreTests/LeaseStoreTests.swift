import Foundation
import PishkhanStore
import Testing

/// Leases on both backends (see `Backend`): what lets one process of a cluster poll a mailbox at a time.
@Suite(.timeLimit(.minutes(2)))
struct LeaseStoreTests {
    @Test(arguments: Backend.allCases)
    func oneHolderAtATimeUntilItsLeaseRunsOut(_ backend: Backend) async throws {
        let clock = TestClock()
        try await backend.withStore(clock: clock) { store async throws in
            let first = try #require(try await store.acquireLease("mailbox:support", holder: "pishkhan-a", for: 30))
            #expect(first.generation == 1)
            #expect(first.expiresAt == clock.date.addingTimeInterval(30))
            #expect(try await store.acquireLease("mailbox:support", holder: "pishkhan-b", for: 30) == nil, "held by a")
            #expect(try await store.acquireLease("mailbox:sales", holder: "pishkhan-b", for: 30) != nil, "another name is free")

            clock.advance(20)
            let renewed = try #require(try await store.acquireLease("mailbox:support", holder: "pishkhan-a", for: 30))
            #expect(renewed.generation == 1, "renewing keeps the generation")
            #expect(renewed.expiresAt == clock.date.addingTimeInterval(30))
            clock.advance(29)
            #expect(try await store.acquireLease("mailbox:support", holder: "pishkhan-b", for: 30) == nil, "renewed, so still a's")

            // a stops renewing (killed): once its lease runs out, b takes over with a new generation.
            clock.advance(1)
            let takeover = try #require(try await store.acquireLease("mailbox:support", holder: "pishkhan-b", for: 30))
            #expect(takeover.generation == 2)
            #expect(try await store.acquireLease("mailbox:support", holder: "pishkhan-a", for: 30) == nil, "a comes back to find it taken")
        }
    }

    @Test(arguments: Backend.allCases)
    func aReleasedLeaseIsFreeAtOnce(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            _ = try #require(try await store.acquireLease("mailbox:support", holder: "pishkhan-a", for: 300))
            try await store.releaseLease("mailbox:support", holder: "pishkhan-b")
            #expect(try await store.acquireLease("mailbox:support", holder: "pishkhan-b", for: 300) == nil, "only the holder releases")
            try await store.releaseLease("mailbox:support", holder: "pishkhan-a")
            #expect(try await store.acquireLease("mailbox:support", holder: "pishkhan-b", for: 300) != nil)
        }
    }

    /// Twenty processes asking at the same moment: exactly one is granted.
    @Test(arguments: Backend.allCases)
    func ofHoldersAskingAtOnceExactlyOneWins(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            for round in 0..<5 {
                let granted = try await withThrowingTaskGroup(of: Lease?.self) { group in
                    for holder in 0..<20 {
                        group.addTask { try await store.acquireLease("mailbox:round-\(round)", holder: "pishkhan-\(holder)", for: 60) }
                    }
                    return try await group.reduce(into: [Lease]()) { if let lease = $1 { $0.append(lease) } }
                }
                #expect(granted.count == 1, "round \(round): \(granted.map(\.holder))")
            }
        }
    }
}
