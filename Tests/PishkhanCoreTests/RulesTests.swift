import Foundation
import PishkhanCore
import Testing

@Suite struct ThreadingTests {
    @Test("Ticket tokens are found in subjects", arguments: [
        ("Re: Order late [#42]", Int64(42)), ("[#۴۲] پاسخ", 42), ("Fwd: [#7] Re: [#9]", 7), ("no token", nil), ("[#] empty", nil),
        ("[#12 broken", nil), ("[#0]", nil), ("text [#abc] [#15]", 15),
    ])
    func subjectToken(subject: String, expected: Int64?) {
        #expect(Threading.ticketNumber(inSubject: subject) == expected)
    }

    let mine = Threading.Candidate(ticketID: 1, customerID: 10, status: .open)

    @Test func explicitHeaderWinsOverEverything() {
        let other = Threading.Candidate(ticketID: 2, customerID: 10, status: .open)
        #expect(Threading.decide(customerID: 10, byHeader: mine, byConversation: other, bySubjectToken: other, byRecency: other) == .append(ticketID: 1, rule: .threadHeader))
    }

    @Test func anotherCustomersTicketIsNeverJoined() {
        let theirs = Threading.Candidate(ticketID: 5, customerID: 99, status: .open)
        #expect(Threading.decide(customerID: 10, byHeader: nil, byConversation: nil, bySubjectToken: theirs, byRecency: nil) == .newTicket)
    }

    @Test func closedTicketsOpenANewOne() {
        let closed = Threading.Candidate(ticketID: 1, customerID: 10, status: .closed)
        #expect(Threading.decide(customerID: 10, byHeader: closed, byConversation: nil, bySubjectToken: nil, byRecency: nil) == .newTicket)
        let resolved = Threading.Candidate(ticketID: 1, customerID: 10, status: .resolved)
        #expect(Threading.decide(customerID: 10, byHeader: resolved, byConversation: nil, bySubjectToken: nil, byRecency: nil) == .append(ticketID: 1, rule: .threadHeader))
    }

    @Test func recencyIsTheLastResort() {
        #expect(Threading.decide(customerID: 10, byHeader: nil, byConversation: nil, bySubjectToken: nil, byRecency: mine) == .append(ticketID: 1, rule: .recentConversation))
        #expect(Threading.decide(customerID: 10, byHeader: nil, byConversation: nil, bySubjectToken: nil, byRecency: nil) == .newTicket)
    }
}

@Suite struct PriorityRulesTests {
    let rules = PriorityRules.standard

    @Test("Keywords in English and Persian raise priority", arguments: [
        ("URGENT: site down", "", Priority.urgent), ("سفارش", "لطفا فوری رسیدگی کنید", .urgent), ("سفارش", "لطفا فوري رسیدگی کنید", .urgent),
        ("Question", "I was charged twice", .high), ("سوال", "مبلغ دو بار کسر شد", .high), ("Hello", "just a question", .normal),
        ("Insurgent novel", "", .normal),
    ])
    func keywords(subject: String, text: String, expected: Priority) {
        #expect(rules.classify(subject: subject, text: text, tier: .standard, channelKind: .email, channelDefault: nil) == expected)
    }

    @Test func tierAndChannelSetAFloor() {
        #expect(rules.classify(subject: "hi", text: "", tier: .vip, channelKind: .email, channelDefault: nil) == .high)
        #expect(rules.classify(subject: "hi", text: "", tier: .standard, channelKind: .sms, channelDefault: .low) == .low)
        let sms = PriorityRules(keywordRules: [], tierMinimum: [:], channelKindMinimum: [.sms: .high])
        #expect(sms.classify(subject: nil, text: "x", tier: .standard, channelKind: .sms, channelDefault: nil) == .high)
    }
}

@Suite struct AssignmentTests {
    let agents = [
        AssignmentRule.Candidate(agentID: 3, openTickets: 4), AssignmentRule.Candidate(agentID: 1, openTickets: 2),
        AssignmentRule.Candidate(agentID: 2, openTickets: 2, capacity: 2),
    ]

    @Test func roundRobinTakesTurnsInIdOrder() {
        let rule = AssignmentRule.roundRobin(group: "support")
        #expect(rule.pick(from: agents, lastAssigned: nil) == 1)
        #expect(rule.pick(from: agents, lastAssigned: 1) == 2)
        #expect(rule.pick(from: agents, lastAssigned: 3) == 1)
        #expect(rule.pick(from: [], lastAssigned: 3) == nil)
    }

    @Test func leastLoadedRespectsPerAgentCapacity() {
        let rule = AssignmentRule.leastLoaded(group: "support", capacity: 5)
        #expect(rule.pick(from: agents, lastAssigned: nil) == 1)
        #expect(AssignmentRule.leastLoaded(group: "g", capacity: 2).pick(from: agents, lastAssigned: nil) == nil)
    }

    @Test func noneNeverAssigns() {
        #expect(AssignmentRule.none.pick(from: agents, lastAssigned: nil) == nil)
    }
}

@Suite struct TicketStatusTests {
    @Test func closedIsFinal() {
        for s in TicketStatus.allCases where s != .closed { #expect(!TicketStatus.closed.canTransition(to: s)) }
    }

    @Test func customerMessageReopens() {
        #expect(TicketStatus.pending.afterCustomerMessage == .open)
        #expect(TicketStatus.resolved.afterCustomerMessage == .open)
        #expect(TicketStatus.new.afterCustomerMessage == .new)
    }

    @Test func rolesAreOrdered() {
        #expect(Role.admin.satisfies(.supervisor))
        #expect(!Role.agent.satisfies(.supervisor))
        #expect(!Role.integration.satisfies(.agent))
        #expect(Role.integration.satisfies(.integration))
        #expect(!Role.supervisor.satisfies(.admin))
    }
}

@Suite struct JSONTextTests {
    @Test func writesWhatJSONDecoderReadsBack() throws {
        let value = JSONValue.object([
            "b": .array([.int(1), .number(2.5), .bool(true), .null]), "a": .string("سلام \"quoted\" \\ \n\t\u{01}"),
            "nested": .object(["z": .string("")]),
        ])
        #expect(value.jsonText.hasPrefix(#"{"a":"سلام \"quoted\" \\ \n\t\u0001","b":[1,2.5,true,null]"#))
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(value.jsonText.utf8)) == value)
    }
}
