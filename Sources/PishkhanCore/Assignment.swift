import Foundation

/// How a channel assigns new tickets.
public enum AssignmentRule: Codable, Sendable, Equatable {
    case none
    /// Turn by turn over the group's available agents.
    case roundRobin(group: String)
    /// The available agent with the fewest open tickets, never above their capacity.
    case leastLoaded(group: String, capacity: Int)

    public var group: String? {
        switch self {
        case .none: nil
        case .roundRobin(let g), .leastLoaded(let g, _): g
        }
    }

    /// An agent that could take a ticket, with their current load.
    public struct Candidate: Sendable, Equatable {
        public var agentID: Int64
        public var openTickets: Int
        /// Per-agent capacity; overrides the rule's when set.
        public var capacity: Int?
        public init(agentID: Int64, openTickets: Int, capacity: Int? = nil) {
            self.agentID = agentID
            self.openTickets = openTickets
            self.capacity = capacity
        }
    }

    /// Picks an assignee. `lastAssigned` is the agent the group's round-robin gave the previous ticket.
    /// Returns nil when nobody is available or everybody is at capacity: the ticket stays unassigned.
    public func pick(from candidates: [Candidate], lastAssigned: Int64?) -> Int64? {
        let sorted = candidates.sorted { $0.agentID < $1.agentID }
        switch self {
        case .none:
            return nil
        case .roundRobin:
            guard !sorted.isEmpty else { return nil }
            if let last = lastAssigned, let next = sorted.first(where: { $0.agentID > last }) { return next.agentID }
            return sorted[0].agentID
        case .leastLoaded(_, let capacity):
            return sorted
                .filter { $0.openTickets < ($0.capacity ?? capacity) }
                .min { ($0.openTickets, $0.agentID) < ($1.openTickets, $1.agentID) }?
                .agentID
        }
    }
}

/// What Intake needs to know about a channel. Parsed from `Channels/*.yaml` by PishkhanChannels.
public struct ChannelSettings: Codable, Sendable, Equatable {
    public var id: String
    public var kind: ChannelKind
    public var displayName: String
    public var assignment: AssignmentRule
    /// For conversational channels: a message joins the customer's active ticket on this channel if it
    /// was active within this many seconds.
    public var threadWindow: TimeInterval
    public var defaultPriority: Priority?
    public var tags: [String]
    /// The answer bot, when the channel enables it.
    public var bot: BotSettings?

    public init(
        id: String, kind: ChannelKind, displayName: String? = nil, assignment: AssignmentRule = .none,
        threadWindow: TimeInterval = 24 * 3600, defaultPriority: Priority? = nil, tags: [String] = [], bot: BotSettings? = nil
    ) {
        self.bot = bot
        self.id = id
        self.kind = kind
        self.displayName = displayName ?? id
        self.assignment = assignment
        self.threadWindow = threadWindow
        self.defaultPriority = defaultPriority
        self.tags = tags
    }
}
