import Foundation
import PishkhanTUI
import Testing

/// The pure parts of the ticket actions and queue filters the TUI offers.
@Suite struct TicketActionsTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func ticket(_ id: Int64, assignee: Int64? = nil, dueIn: TimeInterval? = nil, status: String = "open",
                       channel: String = "sms", priority: String = "normal", subject: String = "Order late") -> QueueTicket {
        QueueTicket(id: id, number: id + 100, subject: subject, status: status, priority: priority, channel: channel,
                    customerName: "Sara", assigneeID: assignee, dueAt: dueIn.map { now.addingTimeInterval($0) }, updatedAt: now)
    }

    @Test func filtersCycleAndSelect() {
        let tickets = [Self.ticket(1, assignee: 7, dueIn: -60), Self.ticket(2, dueIn: 600), Self.ticket(3, assignee: 8, dueIn: 7200),
                       Self.ticket(4, dueIn: -5, status: "pending")]
        #expect(QueueFilter.all.next == .mine && QueueFilter.breached.next == .all)
        #expect(QueueFilter.all.apply(tickets, me: 7, now: Self.now).map(\.id) == [1, 2, 3, 4])
        #expect(QueueFilter.mine.apply(tickets, me: 7, now: Self.now).map(\.id) == [1])
        #expect(QueueFilter.mine.apply(tickets, me: nil, now: Self.now).isEmpty)
        #expect(QueueFilter.unassigned.apply(tickets, me: 7, now: Self.now).map(\.id) == [2, 4])
        // A pending ticket's clocks are paused: not breached even past its due time.
        #expect(QueueFilter.breached.apply(tickets, me: 7, now: Self.now).map(\.id) == [1])
    }

    @Test func searchNeedsEveryWordSomewhereInTheRow() {
        let t = Self.ticket(1, channel: "telegram", priority: "urgent", subject: "پرداخت ناموفق")
        #expect(QueueSearch.matches(t, "urgent telegram"))
        #expect(QueueSearch.matches(t, "#101"))
        #expect(QueueSearch.matches(t, "ناموفق sara"))
        #expect(QueueSearch.matches(t, "neda", assignee: "Neda"))
        #expect(!QueueSearch.matches(t, "urgent email"))
        #expect(QueueSearch.matches(t, "channel:telegram p:urgent"))
        #expect(QueueSearch.matches(t, "channel:sms,telegram"))
        #expect(!QueueSearch.matches(t, "channel:sms"))
        #expect(!QueueSearch.matches(Self.ticket(2, subject: "Moved from telegram"), "channel:telegram"), "the subject does not count")
        #expect(!QueueSearch.matches(t, "priority:high"))
    }

    @Test func tagEditsAddRemoveOrReplace() {
        #expect(TagEdit.apply("+vip -late", to: ["late", "refund"]) == ["refund", "vip"])
        #expect(TagEdit.apply("+VIP +vip", to: []) == ["vip"])
        #expect(TagEdit.apply("billing, Refund", to: ["late"]) == ["billing", "refund"])
        #expect(TagEdit.apply("   ", to: ["late"]) == ["late"])
        #expect(TagEdit.apply("-late", to: ["late"]) == [])
    }

    @Test func assigneeByMeNoneIdOrName() {
        let agents = [AgentInfo(id: 1, name: "Administrator", role: "admin"), AgentInfo(id: 2, name: "Neda", role: "agent"),
                      AgentInfo(id: 3, name: "Nima", role: "agent"), AgentInfo(id: 4, name: "Mail bridge", role: "integration")]
        #expect(AssigneeChoice.resolve("me", me: 2, agents: agents) == .agent(2))
        #expect(AssigneeChoice.resolve(" none ", me: 2, agents: agents) == .nobody)
        #expect(AssigneeChoice.resolve("3", me: 2, agents: agents) == .agent(3))
        #expect(AssigneeChoice.resolve("ned", me: 2, agents: agents) == .agent(2))
        #expect(AssigneeChoice.resolve("n", me: 2, agents: agents) == .ambiguous(["Neda", "Nima"]))
        #expect(AssigneeChoice.resolve("mail", me: 2, agents: agents) == .unknown("mail"))
        #expect(AssigneeChoice.resolve("99", me: 2, agents: agents) == .unknown("99"))
    }

    @Test func priorityStepsAndWraps() {
        #expect(PriorityCycle.next(after: "normal") == "high")
        #expect(PriorityCycle.next(after: "urgent") == "low")
        #expect(PriorityCycle.next(after: "unknown") == "normal")
    }
}
