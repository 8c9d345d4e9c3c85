import Foundation
import PishkhanCore
@testable import PishkhanStore
import Testing

/// The hub's recent events: what this process just committed, handed back without a read only when there
/// is no gap; everything else falls back to the tables.
@Suite struct EventHubTests {
    static func committed(_ seqs: ClosedRange<Int64>) -> [EventHub.Committed] {
        seqs.map {
            EventHub.Committed(seq: $0, type: .messageAdded, ticketID: $0 * 10, customerID: nil, occurredAt: 1.8e9 + Double($0),
                               data: #"{"messageID":\#($0),"text":"سلام \#($0)"}"#)
        }
    }

    @Test func aGapFreeRunComesFromMemoryInOrderAndUpToTheLimit() throws {
        let hub = EventHub()
        hub.publish(4)
        hub.publish(7, committed: Self.committed(5...7))
        let all = try #require(hub.recent(after: 4, limit: 500))
        #expect(all.map(\.seq) == [5, 6, 7])
        #expect(all[0].ticketID == 50 && all[0].type == .messageAdded)
        #expect(all[0].data["text"] == .string("سلام 5") && all[0].data["messageID"] == .number(5))
        #expect(all[0].occurredAt == Date(timeIntervalSince1970: 1.8e9 + 5))
        #expect(hub.recent(after: 5, limit: 1)?.map(\.seq) == [6])
        #expect(hub.recent(after: 7, limit: 500)?.isEmpty == true, "caught up: nothing, and no read")
    }

    @Test func aCursorOlderThanTheHubsMemoryOrAGapMeansRead() {
        let hub = EventHub()
        hub.publish(4)
        hub.publish(7, committed: Self.committed(5...7))
        #expect(hub.recent(after: 2, limit: 500) == nil, "events 3 and 4 were never handed to the hub")
        hub.publish(10, committed: Self.committed(10...10))
        #expect(hub.recent(after: 7, limit: 500) == nil, "8 and 9 were committed without the hub being given them")
        #expect(hub.recent(after: 9, limit: 500)?.map(\.seq) == [10])
    }

    @Test func commitsPublishedOutOfOrderAreServedOnlyOnceBothArrived() {
        let hub = EventHub()
        hub.publish(9)
        hub.publish(14, committed: Self.committed(13...14))
        #expect(hub.recent(after: 9, limit: 500) == nil, "10 to 12 committed first but are not published yet")
        hub.publish(12, committed: Self.committed(10...12))
        #expect(hub.recent(after: 9, limit: 500)?.map(\.seq) == Array(10...14))
    }

    @Test func theHubKeepsOnlyTheNewestEvents() {
        let hub = EventHub()
        let total = Int64(3 * EventHub.recentCapacity)
        for seq in 1...total { hub.publish(seq, committed: Self.committed(seq...seq)) }
        #expect(hub.recent(after: 0, limit: 500) == nil)
        #expect(hub.recent(after: total - 3, limit: 500)?.map(\.seq) == [total - 2, total - 1, total])
    }

    /// On SQLite the events a reader gets from memory are the very events stored: the same as a second
    /// store on the same file reads from its tables.
    @Test func eventsFromMemoryEqualTheStoredOnes() async throws {
        let directory = Fixture.tempDirectory()
        let path = directory.appendingPathComponent("events.sqlite").path
        let store = try SQLiteStore(path: path, attachmentsDirectory: directory.appendingPathComponent("files"))
        let start = try await store.latestEventSeq()
        _ = try await store.ingest(Fixture.email("m1", text: "Where is my order? سفارش من کجاست؟"), channel: Fixture.email, rules: Fixture.rules)
        _ = try await store.ingest(Fixture.sms("s1", text: "سلام، ۱۲۳"), channel: Fixture.sms, rules: Fixture.rules)
        _ = try await store.ingest(Fixture.sms("s2", text: "again"), channel: Fixture.sms, rules: Fixture.rules)
        let fromMemory = try #require(store.events.recent(after: start, limit: 1000))
        #expect(fromMemory.count >= 5)
        let reader = try SQLiteStore(path: path, attachmentsDirectory: directory.appendingPathComponent("files"))
        #expect(reader.events.recent(after: start, limit: 1000) == nil)
        let fromTables = try await reader.events(after: start, limit: 1000)
        #expect(fromMemory == fromTables)
        #expect(try await store.events(after: start, limit: 1000) == fromTables)
    }
}
