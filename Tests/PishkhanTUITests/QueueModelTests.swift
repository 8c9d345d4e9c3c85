import Foundation
import PishkhanTUI
import Testing

@Suite struct QueueModelTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func ticket(_ id: Int64, due: TimeInterval?, status: String = "open", updated: TimeInterval = 0) -> QueueTicket {
        QueueTicket(id: id, number: id, subject: "t\(id)", status: status, priority: "normal", channel: "sms",
                    dueAt: due.map { now.addingTimeInterval($0) }, updatedAt: now.addingTimeInterval(updated))
    }

    @Test func countdownsAreColouredByWhatIsLeft() {
        #expect(SLACountdown(dueAt: now.addingTimeInterval(7500), status: "open", now: now) == .init(state: .onTime, text: "2h 05m"))
        #expect(SLACountdown(dueAt: now.addingTimeInterval(3600), status: "open", now: now).state == .warning)
        #expect(SLACountdown(dueAt: now.addingTimeInterval(59), status: "new", now: now) == .init(state: .warning, text: "1m"))
        #expect(SLACountdown(dueAt: now.addingTimeInterval(-900), status: "open", now: now) == .init(state: .breached, text: "-15m"))
        #expect(SLACountdown(dueAt: now.addingTimeInterval(-1), status: "open", now: now).text == "-1m")
        #expect(SLACountdown(dueAt: now.addingTimeInterval(3 * 86400 + 4 * 3600), status: "open", now: now).text == "3d 4h")
        #expect(SLACountdown(dueAt: now.addingTimeInterval(-60), status: "pending", now: now) == .init(state: .paused, text: "paused"))
        #expect(SLACountdown(dueAt: nil, status: "open", now: now).state == .none)
        #expect(SLACountdown(dueAt: now, status: "resolved", now: now).state == .none)
    }

    @Test func urgencyPutsTheLongestOverdueFirstAndClocklessLast() {
        let rows = [
            ticket(1, due: 3600), ticket(2, due: -60), ticket(3, due: nil, updated: -10), ticket(4, due: -7200),
            ticket(5, due: 60, status: "pending", updated: -5), ticket(6, due: 600), ticket(7, due: nil, updated: -100),
        ]
        #expect(QueueOrder.urgency.sorted(rows, now: now).map(\.id) == [4, 2, 6, 1, 5, 3, 7])
        #expect(QueueOrder.updated.sorted(rows, now: now).map(\.id) == [6, 4, 2, 1, 5, 3, 7], "newest first, then the higher id")
    }

    @Test func theCursorStaysOnItsTicketWhenTheQueueReorders() {
        var rows = [ticket(1, due: 100), ticket(2, due: 200), ticket(3, due: 300)]
        var cursor = QueueCursor()
        cursor.move(by: 1, in: rows)
        #expect(cursor.ticketID == 2)
        // Ticket 3 becomes the most urgent and a new one arrives: the cursor follows ticket 2.
        rows = QueueOrder.urgency.sorted([ticket(1, due: 100), ticket(2, due: 200), ticket(3, due: -5), ticket(8, due: 50)], now: now)
        cursor.follow(rows)
        #expect(cursor.ticketID == 2 && rows[cursor.index].id == 2)
        // Ticket 2 leaves the queue: the cursor keeps its place.
        rows.removeAll { $0.id == 2 }
        cursor.follow(rows)
        #expect(cursor.index < rows.count && cursor.ticketID == rows[cursor.index].id)
        cursor.move(by: 99, in: rows)
        #expect(cursor.index == rows.count - 1)
        cursor.move(by: -99, in: rows)
        #expect(cursor.index == 0)
    }

    @Test func ticketsDecodeFromTheAPI() throws {
        let json = #"{"id":7,"number":7,"subject":"سفارش","status":"open","priority":"high","channel":"sms","channelKind":"sms","customerID":1,"customerName":"Ali","tags":[],"messageCount":1,"createdAt":"2026-11-24T10:00:00Z","updatedAt":"2026-11-24T10:05:00Z","lastActivityAt":"2026-11-24T10:05:00Z","dueAt":"2026-11-24T12:00:00Z"}"#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let t = try decoder.decode(QueueTicket.self, from: Data(json.utf8))
        #expect(t.customerName == "Ali" && t.assigneeID == nil && t.dueAt != nil)
    }

    @Test func slashShortcutsAreFoundAndExpandedOnTheirOwnLines() {
        let text = "Hi,\n/refund-72h\nsee /not-this one\n  /ask-order-number  \n/Bad"
        #expect(Shortcut.uses(in: text).map(\.shortcut) == ["refund-72h", "ask-order-number"])
        #expect(Shortcut.expand(text, with: ["refund-72h": "Your money returns in 72 hours."])
                == "Hi,\nYour money returns in 72 hours.\nsee /not-this one\n  /ask-order-number  \n/Bad")
    }
}
