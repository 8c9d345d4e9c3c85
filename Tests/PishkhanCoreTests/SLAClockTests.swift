import Foundation
import PishkhanCore
import Testing

/// The clock state machine on its own: inputs and instants in, clocks and changes out.
@Suite struct SLAClockTests {
    static let hour: TimeInterval = 3600
    static let standard = SLAPolicy(
        id: "standard", calendar: "24x7",
        targets: .init(firstResponse: .init(seconds: 4 * hour), nextResponse: .init(seconds: 2 * hour), resolution: .init(seconds: 24 * hour)),
        warnAt: 0.75)
    static let office = SLAPolicy(
        id: "office", calendar: "berlin", targets: .init(firstResponse: .init(seconds: 8 * hour), resolution: .init(seconds: 16 * hour)))
    /// Monday 2025-11-24 10:00 in Berlin (09:00 UTC).
    static let monday = Date(timeIntervalSince1970: 1_763_974_800)

    var calendars: (String) -> BusinessCalendar? {
        { id in [BusinessCalendar.twentyFourSeven, .berlin, .tehran].first { $0.id == id } }
    }

    @discardableResult
    func run(_ clocks: inout TicketClocks, _ input: TicketClocks.Input, at t: Date, policy: SLAPolicy = standard) -> [SLAClockChange] {
        clocks.apply(input, at: t, policy: (policy, calendars(policy.calendar)!), calendars: calendars)
    }

    @Test func creationStartsFirstResponseAndResolutionWithDueAndWarningTimes() {
        var c = TicketClocks()
        let changes = run(&c, .created, at: Self.monday)
        #expect(changes.map(\.kind) == [.activated, .activated])
        #expect(c.clocks[.firstResponse]?.dueAt == Self.monday + 4 * Self.hour)
        #expect(c.clocks[.firstResponse]?.warnAt == Self.monday + 3 * Self.hour)
        #expect(c.clocks[.resolution]?.dueAt == Self.monday + 24 * Self.hour)
        #expect(c.clocks[.nextResponse] == nil)
        #expect(c.earliestDue == Self.monday + 4 * Self.hour)
    }

    @Test func dueTimesAreInBusinessTimeOnThePolicysCalendar() {
        var c = TicketClocks()
        // Friday 2025-11-28 15:00 Berlin: 2 working hours left that day, then the weekend.
        let friday = Self.monday + 4 * 86_400 + 5 * Self.hour
        run(&c, .created, at: friday, policy: Self.office)
        // 8 business hours: 2 on Friday, 6 on Monday 09:00–15:00 (14:00 UTC).
        #expect(c.clocks[.firstResponse]?.dueAt == Self.monday + 7 * 86_400 + 5 * Self.hour)
    }

    @Test func anAgentReplyFulfilsFirstResponseAndABotReplyOnlyWhenThePolicySaysSo() {
        var c = TicketClocks()
        run(&c, .created, at: Self.monday)
        #expect(run(&c, .replied(byBot: true), at: Self.monday + 60).isEmpty)
        #expect(c.clocks[.firstResponse]?.status == .running)
        let changes = run(&c, .replied(byBot: false), at: Self.monday + Self.hour)
        #expect(changes == [SLAClockChange(metric: .firstResponse, kind: .fulfilled, cause: "agent-reply", cycle: 1)])
        #expect(c.clocks[.firstResponse]?.elapsedBefore == Self.hour)
        #expect(c.clocks[.firstResponse]?.met == true)

        var bot = TicketClocks()
        var counting = Self.standard
        counting.botRepliesCount = true
        run(&bot, .created, at: Self.monday, policy: counting)
        #expect(run(&bot, .replied(byBot: true), at: Self.monday + 60, policy: counting).map(\.kind) == [.fulfilled])
    }

    @Test func nextResponseStartsWhenTheCustomerWritesAfterAReplyAndCountsCycles() {
        var c = TicketClocks()
        run(&c, .created, at: Self.monday)
        // Before anyone answered, a second customer message starts nothing: first response covers it.
        #expect(run(&c, .customerWrote, at: Self.monday + 60).isEmpty)
        run(&c, .replied(byBot: false), at: Self.monday + Self.hour)
        #expect(run(&c, .customerWrote, at: Self.monday + 2 * Self.hour).map(\.kind) == [.activated])
        #expect(c.clocks[.nextResponse]?.cycle == 1)
        #expect(c.clocks[.nextResponse]?.dueAt == Self.monday + 4 * Self.hour)
        // A second customer message while an answer is owed does not restart the clock.
        #expect(run(&c, .customerWrote, at: Self.monday + 3 * Self.hour).isEmpty)
        run(&c, .replied(byBot: false), at: Self.monday + 3.5 * Self.hour)
        #expect(c.clocks[.nextResponse]?.status == .fulfilled)
        run(&c, .customerWrote, at: Self.monday + 5 * Self.hour)
        #expect(c.clocks[.nextResponse]?.cycle == 2)
        #expect(c.clocks[.nextResponse]?.status == .running)
    }

    @Test func resolutionPausesWhilePendingAndResumesWithTheSameElapsedTime() {
        var c = TicketClocks()
        run(&c, .created, at: Self.monday)
        run(&c, .statusChanged(from: .open, to: .pending), at: Self.monday + 2 * Self.hour)
        #expect(c.clocks[.resolution]?.status == .paused)
        #expect(c.clocks[.resolution]?.dueAt == nil)
        #expect(c.clocks[.resolution]?.elapsedBefore == 2 * Self.hour)
        // Three days later the customer answers: 22 hours are left, counted from now.
        let back = Self.monday + 3 * 86_400
        #expect(run(&c, .statusChanged(from: .pending, to: .open), at: back).map(\.kind) == [.resumed])
        #expect(c.clocks[.resolution]?.dueAt == back + 22 * Self.hour)
        run(&c, .statusChanged(from: .open, to: .resolved), at: back + Self.hour)
        #expect(c.clocks[.resolution]?.status == .fulfilled)
        #expect(c.clocks[.resolution]?.elapsedBefore == 3 * Self.hour)
        // First response was never given: resolving stops it, without calling it met.
        #expect(c.clocks[.firstResponse]?.status == .stopped)
        #expect(c.clocks[.firstResponse]?.met == false)
    }

    @Test func reopeningAResolvedTicketResumesResolution() {
        var c = TicketClocks()
        run(&c, .created, at: Self.monday)
        run(&c, .statusChanged(from: .open, to: .resolved), at: Self.monday + 5 * Self.hour)
        run(&c, .statusChanged(from: .resolved, to: .open), at: Self.monday + 30 * Self.hour)
        #expect(c.clocks[.resolution]?.status == .running)
        #expect(c.clocks[.resolution]?.dueAt == Self.monday + 49 * Self.hour)
    }

    @Test func aPriorityChangeRecalculatesKeepingElapsedTime() {
        var c = TicketClocks()
        run(&c, .created, at: Self.monday)
        let urgent = SLAPolicy(id: "urgent", calendar: "24x7", targets: .init(firstResponse: .init(seconds: 1.5 * Self.hour), resolution: .init(seconds: 8 * Self.hour)))
        let changes = run(&c, .recalculate(cause: "priority-changed", createdAt: Self.monday, responded: false, status: .open), at: Self.monday + Self.hour, policy: urgent)
        #expect(changes.map(\.kind) == [.recalculated, .recalculated])
        #expect(c.clocks[.firstResponse]?.policyID == "urgent")
        #expect(c.clocks[.firstResponse]?.dueAt == Self.monday + 1.5 * Self.hour)
        #expect(c.clocks[.resolution]?.dueAt == Self.monday + 8 * Self.hour)
    }

    @Test func aPolicyThatStartsApplyingRunsClocksFromTicketCreation() {
        var c = TicketClocks()
        c.apply(.created, at: Self.monday, policy: nil, calendars: calendars)
        #expect(c.clocks.isEmpty)
        run(&c, .recalculate(cause: "priority-changed", createdAt: Self.monday, responded: false, status: .open), at: Self.monday + Self.hour)
        #expect(c.clocks[.firstResponse]?.dueAt == Self.monday + 4 * Self.hour)
    }

    @Test func warningThenBreachFireOnceEachAndNeverAfterFulfilment() {
        var c = TicketClocks()
        run(&c, .created, at: Self.monday)
        #expect(c.fireDue(.firstResponse, at: Self.monday + 2 * Self.hour) == nil)
        let warn = c.fireDue(.firstResponse, at: Self.monday + 3 * Self.hour)
        #expect(warn?.0.kind == .warned)
        #expect(c.fireDue(.firstResponse, at: Self.monday + 3.5 * Self.hour) == nil)
        #expect(c.clocks[.firstResponse]?.nextFiring == SLAFiring(kind: .breach, at: Self.monday + 4 * Self.hour))
        let breach = c.fireDue(.firstResponse, at: Self.monday + 5 * Self.hour)
        #expect(breach?.1 == SLAFiring(kind: .breach, at: Self.monday + 4 * Self.hour))
        #expect(c.clocks[.firstResponse]?.breachedAt == Self.monday + 4 * Self.hour)
        #expect(c.fireDue(.firstResponse, at: Self.monday + 6 * Self.hour) == nil)
        run(&c, .replied(byBot: false), at: Self.monday + 6 * Self.hour)
        #expect(c.clocks[.firstResponse]?.met == false)
        #expect(c.fireDue(.resolution, at: Self.monday + 6 * Self.hour) == nil)
    }

    @Test func aLongOverdueClockFiresItsWarningThenItsBreachOnceEach() {
        var c = TicketClocks()
        run(&c, .created, at: Self.monday)
        // After an outage both are due: the warning comes first, then the breach, then nothing.
        let fired = c.fireDue(.firstResponse, at: Self.monday + 10 * Self.hour)
        #expect(fired?.0.kind == .warned)
        #expect(c.fireDue(.firstResponse, at: Self.monday + 10 * Self.hour)?.0.kind == .breached)
        #expect(c.fireDue(.firstResponse, at: Self.monday + 10 * Self.hour) == nil)
    }

    @Test(arguments: [("4h", 14_400.0), ("30m", 1800), ("1h30m", 5400), ("90s", 90), ("7200", 7200), ("1.5h", 5400), ("2d", 172_800)])
    func durationsParse(text: String, seconds: Double) throws {
        #expect(try BusinessDuration(text).seconds == seconds)
    }

    @Test(arguments: ["", "h", "4x", "4h3", "-"])
    func malformedDurationsAreRejected(text: String) {
        #expect(throws: ValidationError.self) { try BusinessDuration(text) }
    }

    @Test func configurationErrorsNameThePolicyAndField() {
        let bad = SLAPolicy(id: "p", calendar: "nowhere", targets: .init(firstResponse: .init(seconds: 60)))
        #expect(throws: ValidationError(field: "policies[0].calendar", reason: "\"nowhere\" is not a defined calendar")) {
            try SLAConfiguration(calendars: [.berlin], policies: [bad])
        }
        #expect(throws: ValidationError.self) {
            try SLAConfiguration(calendars: [.berlin, .berlin], policies: [])
        }
    }

    @Test func theFirstMatchingPolicyWins() throws {
        let config = try SLAConfiguration(calendars: [.twentyFourSeven], policies: [
            SLAPolicy(id: "vip", match: .init(tiers: [.vip]), calendar: "24x7", targets: .init(firstResponse: .init(seconds: 60))),
            SLAPolicy(id: "sms", match: .init(channelKinds: [.sms], tags: ["refund"]), calendar: "24x7", targets: .init(firstResponse: .init(seconds: 60))),
            SLAPolicy(id: "all", calendar: "24x7", targets: .init(firstResponse: .init(seconds: 60))),
        ])
        func pick(_ tier: CustomerTier, _ kind: ChannelKind, _ tags: [String]) -> String? {
            config.policy(for: SLATicketFacts(priority: .normal, channel: "x", channelKind: kind, tier: tier, tags: tags))?.0.id
        }
        #expect(pick(.vip, .sms, ["refund"]) == "vip")
        #expect(pick(.standard, .sms, ["refund", "x"]) == "sms")
        #expect(pick(.standard, .sms, []) == "all")
        #expect(pick(.standard, .email, ["refund"]) == "all")
    }
}

/// The scheduler's queue against a plain dictionary model, under random operations.
@Suite struct SLATimerQueueTests {
    @Test func randomScheduleCancelAndPopMatchAReferenceModel() {
        var rng = SplitMix64(seed: 7)
        var queue = SLATimerQueue()
        var model: [SLATimerQueue.Key: SLATimerQueue.Timer] = [:]
        var now = 0.0
        for step in 0..<50_000 {
            let key = SLATimerQueue.Key(ticketID: Int64(rng.next() % 500), metric: SLAMetric.allCases[Int(rng.next() % 3)])
            switch rng.next() % 10 {
            case 0..<6:
                let timer = SLATimerQueue.Timer(at: now + Double(rng.next() % 1000), kind: rng.next() % 2 == 0 ? .warning : .breach, cycle: Int32(rng.next() % 3))
                queue.schedule(key, timer)
                model[key] = timer
            case 6..<8:
                queue.cancel(key)
                model[key] = nil
            default:
                now += Double(rng.next() % 50)
                let popped = queue.popDue(now: now)
                let expected = model.filter { $0.value.at <= now }
                #expect(popped.count == expected.count, "step \(step)")
                #expect(zip(popped, popped.dropFirst()).allSatisfy { $0.1.at <= $1.1.at })
                for (k, t) in popped {
                    #expect(model[k] == t)
                    model[k] = nil
                }
            }
            #expect(queue.count == model.count)
        }
        #expect(queue.nextInstant() == model.values.map(\.at).min())
    }

    @Test func aRebuiltQueueHoldsOneTimerPerKeyAndKeepsTheLastOfDuplicates() {
        let key = SLATimerQueue.Key(ticketID: 1, metric: .resolution)
        var queue = SLATimerQueue([
            (key, .init(at: 10, kind: .warning, cycle: 1)), (key, .init(at: 20, kind: .breach, cycle: 1)),
            (.init(ticketID: 2, metric: .firstResponse), .init(at: 5, kind: .breach, cycle: 1)),
        ])
        #expect(queue.count == 2)
        #expect(queue.popDue(now: 15).map(\.0.ticketID) == [2])
        #expect(queue.popDue(now: 25).map(\.1) == [.init(at: 20, kind: .breach, cycle: 1)])
    }
}
