import Foundation

/// The three clocks a ticket can carry.
public enum SLAMetric: String, Codable, Sendable, CaseIterable, CodingKeyRepresentable {
    /// From ticket creation to the first public reply by an agent.
    case firstResponse = "first-response"
    /// From a customer's message after an agent replied to the next public reply.
    case nextResponse = "next-response"
    /// From ticket creation to resolved, paused while the ticket is pending on the customer.
    case resolution
}

/// An SLA policy: which tickets it covers and how much business time each clock gets. Policies are
/// ordered; the first whose conditions all hold applies.
public struct SLAPolicy: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var match: Match
    /// The `BusinessCalendar` the targets are measured on.
    public var calendar: String
    public var targets: Targets
    /// Fraction of a target after which a warning fires, in (0, 1]; 1 means no warning before the breach.
    public var warnAt: Double
    public var breachActions: [BreachAction]
    /// Whether a bot answer fulfils first and next response. Off by default: a customer waits for a person.
    public var botRepliesCount: Bool

    /// Every listed condition must hold; an empty list matches anything.
    public struct Match: Codable, Sendable, Equatable {
        public var priorities: [Priority]
        public var channels: [String]
        public var channelKinds: [ChannelKind]
        public var tiers: [CustomerTier]
        /// At least one of these tags is on the ticket.
        public var tags: [String]

        public init(priorities: [Priority] = [], channels: [String] = [], channelKinds: [ChannelKind] = [], tiers: [CustomerTier] = [], tags: [String] = []) {
            self.priorities = priorities
            self.channels = channels
            self.channelKinds = channelKinds
            self.tiers = tiers
            self.tags = tags
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            priorities = try c.decodeIfPresent([Priority].self, forKey: .priorities) ?? []
            channels = try c.decodeIfPresent([String].self, forKey: .channels) ?? []
            channelKinds = try c.decodeIfPresent([ChannelKind].self, forKey: .channelKinds) ?? []
            tiers = try c.decodeIfPresent([CustomerTier].self, forKey: .tiers) ?? []
            tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        }

        public func matches(_ ticket: SLATicketFacts) -> Bool {
            (priorities.isEmpty || priorities.contains(ticket.priority))
                && (channels.isEmpty || channels.contains(ticket.channel))
                && (channelKinds.isEmpty || channelKinds.contains(ticket.channelKind))
                && (tiers.isEmpty || tiers.contains(ticket.tier))
                && (tags.isEmpty || tags.contains(where: ticket.tags.contains))
        }
    }

    /// Business-time targets; a missing one means the policy does not run that clock.
    public struct Targets: Codable, Sendable, Equatable {
        public var firstResponse: BusinessDuration?
        public var nextResponse: BusinessDuration?
        public var resolution: BusinessDuration?

        public init(firstResponse: BusinessDuration? = nil, nextResponse: BusinessDuration? = nil, resolution: BusinessDuration? = nil) {
            self.firstResponse = firstResponse
            self.nextResponse = nextResponse
            self.resolution = resolution
        }

        public subscript(metric: SLAMetric) -> TimeInterval? {
            switch metric {
            case .firstResponse: firstResponse?.seconds
            case .nextResponse: nextResponse?.seconds
            case .resolution: resolution?.seconds
            }
        }
    }

    /// What happens, in the breach's own transaction, when a clock breaches.
    public enum BreachAction: Codable, Sendable, Equatable {
        /// One step up: low → normal → high → urgent.
        case raisePriority
        case assignAgent(Int64)
        /// To the group's available agent with the fewest open tickets.
        case assignGroup(String)
        /// A `sla.breached` event addressed to every supervisor, on the live stream.
        case notifySupervisors

        enum CodingKeys: String, CodingKey { case action, agentID, group }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let action = try c.decode(String.self, forKey: .action)
            switch action {
            case "raise-priority": self = .raisePriority
            case "assign-agent": self = .assignAgent(try c.decode(Int64.self, forKey: .agentID))
            case "assign-group": self = .assignGroup(try c.decode(String.self, forKey: .group))
            case "notify-supervisors": self = .notifySupervisors
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .action, in: c,
                    debugDescription: "unknown action \"\(action)\"; one of raise-priority, assign-agent, assign-group, notify-supervisors")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .raisePriority: try c.encode("raise-priority", forKey: .action)
            case .assignAgent(let id):
                try c.encode("assign-agent", forKey: .action)
                try c.encode(id, forKey: .agentID)
            case .assignGroup(let group):
                try c.encode("assign-group", forKey: .action)
                try c.encode(group, forKey: .group)
            case .notifySupervisors: try c.encode("notify-supervisors", forKey: .action)
            }
        }
    }

    public init(
        id: String, name: String? = nil, match: Match = Match(), calendar: String, targets: Targets,
        warnAt: Double = 0.8, breachActions: [BreachAction] = [], botRepliesCount: Bool = false
    ) {
        self.id = id
        self.name = name ?? id
        self.match = match
        self.calendar = calendar
        self.targets = targets
        self.warnAt = warnAt
        self.breachActions = breachActions
        self.botRepliesCount = botRepliesCount
    }

    enum CodingKeys: String, CodingKey { case id, name, match, calendar, targets, warnAt, breachActions, botRepliesCount }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let id = try c.decode(String.self, forKey: .id)
        self.init(
            id: id, name: try c.decodeIfPresent(String.self, forKey: .name),
            match: try c.decodeIfPresent(Match.self, forKey: .match) ?? Match(),
            calendar: try c.decode(String.self, forKey: .calendar),
            targets: try c.decode(Targets.self, forKey: .targets),
            warnAt: try c.decodeIfPresent(Double.self, forKey: .warnAt) ?? 0.8,
            breachActions: try c.decodeIfPresent([BreachAction].self, forKey: .breachActions) ?? [],
            botRepliesCount: try c.decodeIfPresent(Bool.self, forKey: .botRepliesCount) ?? false)
    }

    /// Checks what decoding cannot: names `field` within the policy.
    public func validate(calendars: Set<String>) throws {
        if id.trimmed.isEmpty || id.count > 64 { throw ValidationError(field: "id", reason: "must be 1 to 64 characters") }
        guard calendars.contains(calendar) else {
            throw ValidationError(field: "calendar", reason: "\"\(calendar)\" is not a defined calendar")
        }
        guard warnAt > 0, warnAt <= 1 else { throw ValidationError(field: "warnAt", reason: "must be above 0 and at most 1") }
        if targets.firstResponse == nil && targets.nextResponse == nil && targets.resolution == nil {
            throw ValidationError(field: "targets", reason: "must set at least one of firstResponse, nextResponse, resolution")
        }
        for metric in SLAMetric.allCases {
            if let s = targets[metric], !(s > 0) { throw ValidationError(field: "targets.\(metric.rawValue)", reason: "must be positive") }
        }
    }
}

/// What a policy is matched against.
public struct SLATicketFacts: Sendable, Equatable {
    public var priority: Priority
    public var channel: String
    public var channelKind: ChannelKind
    public var tier: CustomerTier
    public var tags: [String]

    public init(priority: Priority, channel: String, channelKind: ChannelKind, tier: CustomerTier, tags: [String]) {
        self.priority = priority
        self.channel = channel
        self.channelKind = channelKind
        self.tier = tier
        self.tags = tags
    }
}

/// A length of business time, written as `4h`, `30m`, `1h30m`, `90s` or a number of seconds.
public struct BusinessDuration: Codable, Sendable, Equatable, Comparable, CustomStringConvertible {
    public var seconds: TimeInterval

    public init(seconds: TimeInterval) { self.seconds = seconds }

    public init(_ text: String) throws {
        let s = text.trimmed.lowercased()
        var total = 0.0, number = "", sawUnit = false
        for ch in s {
            if ch.isNumber || ch == "." {
                number.append(ch)
                continue
            }
            if ch == " " { continue }
            guard let n = Double(number) else { throw Self.invalid(text) }
            switch ch {
            case "d": total += n * 86_400
            case "h": total += n * 3600
            case "m": total += n * 60
            case "s": total += n
            default: throw Self.invalid(text)
            }
            number = ""
            sawUnit = true
        }
        if !number.isEmpty {
            guard !sawUnit, let n = Double(number) else { throw Self.invalid(text) }
            total = n
        }
        guard sawUnit || !s.isEmpty, total.isFinite else { throw Self.invalid(text) }
        seconds = total
    }

    private static func invalid(_ text: String) -> ValidationError {
        ValidationError(field: "duration", reason: "\"\(text)\" is not a duration like 4h, 30m or 1h30m")
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Double.self) {
            seconds = n
        } else {
            let text = try c.decode(String.self)
            guard let parsed = try? BusinessDuration(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "\"\(text)\" is not a duration like 4h, 30m or 1h30m")
            }
            self = parsed
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// `1h30m`, `45m`, `2h`, `90s`: hours, minutes and seconds, never days (a business "day" depends
    /// on the calendar).
    public var description: String {
        let total = Int(seconds.rounded())
        let h = total / 3600, m = total % 3600 / 60, s = total % 60
        var out = ""
        if h > 0 { out += "\(h)h" }
        if m > 0 { out += "\(m)m" }
        if s > 0 || out.isEmpty { out += "\(s)s" }
        return out
    }

    public static func < (a: BusinessDuration, b: BusinessDuration) -> Bool { a.seconds < b.seconds }
}

/// The policies and calendars in force: one immutable snapshot, swapped whole when an admin changes them.
public struct SLAConfiguration: Codable, Sendable, Equatable {
    public var calendars: [BusinessCalendar]
    /// In match order.
    public var policies: [SLAPolicy]

    public init(calendars: [BusinessCalendar] = [], policies: [SLAPolicy] = []) throws {
        self.calendars = calendars
        self.policies = policies
        try validate()
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var calendars: [BusinessCalendar] = []
        if c.contains(.calendars), !(try c.decodeNil(forKey: .calendars)) {
            var list = try c.nestedUnkeyedContainer(forKey: .calendars)
            calendars = try BusinessCalendar.decodeList(&list, field: "calendars")
        }
        try self.init(calendars: calendars, policies: try c.decodeIfPresent([SLAPolicy].self, forKey: .policies) ?? [])
    }

    enum CodingKeys: String, CodingKey { case calendars, policies }

    /// Ids unique, every policy valid and on a defined calendar. Fields are named by position:
    /// `policies[2].calendar`.
    public func validate() throws {
        var calendarIDs = Set<String>()
        for (i, calendar) in calendars.enumerated() where !calendarIDs.insert(calendar.id).inserted {
            throw ValidationError(field: "calendars[\(i)].id", reason: "\"\(calendar.id)\" is defined twice")
        }
        var policyIDs = Set<String>()
        for (i, policy) in policies.enumerated() {
            guard policyIDs.insert(policy.id).inserted else {
                throw ValidationError(field: "policies[\(i)].id", reason: "\"\(policy.id)\" is defined twice")
            }
            do { try policy.validate(calendars: calendarIDs) } catch let error as ValidationError {
                throw ValidationError(field: "policies[\(i)].\(error.field)", reason: error.reason)
            }
        }
    }

    /// The first policy whose conditions hold, with its calendar.
    public func policy(for ticket: SLATicketFacts) -> (SLAPolicy, BusinessCalendar)? {
        guard let policy = policies.first(where: { $0.match.matches(ticket) }),
              let calendar = calendar(id: policy.calendar) else { return nil }
        return (policy, calendar)
    }

    public func policy(id: String) -> SLAPolicy? { policies.first { $0.id == id } }
    public func calendar(id: String) -> BusinessCalendar? { calendars.first { $0.id == id } }
}

extension BusinessCalendar {
    /// Decodes a list of calendars, naming the one at fault: a calendar's own validation reports
    /// `timeZone`; this makes it `calendars[2].timeZone`.
    public static func decodeList(_ list: inout any UnkeyedDecodingContainer, field: String) throws -> [BusinessCalendar] {
        var calendars: [BusinessCalendar] = []
        while !list.isAtEnd {
            let index = list.currentIndex
            do {
                calendars.append(try list.decode(BusinessCalendar.self))
            } catch let error as ValidationError {
                throw ValidationError(field: "\(field)[\(index)].\(error.field)", reason: error.reason)
            }
        }
        return calendars
    }
}
