import Foundation

/// Which open tickets the queue shows (`f` cycles through them).
public enum QueueFilter: String, Sendable, CaseIterable {
    case all
    case mine
    case unassigned
    case breached

    public var next: QueueFilter {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }

    public func apply(_ tickets: [QueueTicket], me: Int64?, now: Date) -> [QueueTicket] {
        switch self {
        case .all: tickets
        case .mine: tickets.filter { $0.assigneeID != nil && $0.assigneeID == me }
        case .unassigned: tickets.filter { $0.assigneeID == nil }
        case .breached: tickets.filter { SLACountdown(dueAt: $0.dueAt, status: $0.status, now: now).state == .breached }
        }
    }
}

/// Queue search: `channel:sms` and `priority:urgent` (or `p:urgent`) must match those fields exactly (a
/// comma lists alternatives: `channel:sms,telegram`); every other word must appear in the ticket's number,
/// subject, customer, channel, priority or assignee.
public enum QueueSearch {
    public static func matches(_ ticket: QueueTicket, _ query: String, assignee: String? = nil) -> Bool {
        let haystack = ["#\(ticket.number)", ticket.subject, ticket.customerName ?? "", ticket.channel, ticket.priority, assignee ?? ""]
            .joined(separator: " ").lowercased()
        return query.lowercased().split(whereSeparator: \.isWhitespace).allSatisfy { word in
            if let value = field(word, "channel:", "c:") { return value.contains(ticket.channel.lowercased()) }
            if let value = field(word, "priority:", "p:") { return value.contains(ticket.priority.lowercased()) }
            return haystack.contains(word)
        }
    }

    private static func field(_ word: Substring, _ names: String...) -> [String]? {
        for name in names where word.hasPrefix(name) && word.count > name.count {
            return word.dropFirst(name.count).split(separator: ",").map(String.init)
        }
        return nil
    }
}

/// `t` on a ticket: "+vip -late" adds and removes; a plain list replaces the tags.
public enum TagEdit {
    public static func apply(_ input: String, to current: [String]) -> [String] {
        let words = input.split(whereSeparator: { $0.isWhitespace || $0 == "," }).map(String.init)
        guard !words.isEmpty else { return current }
        let isDelta = words.allSatisfy { $0.hasPrefix("+") || $0.hasPrefix("-") }
        var tags = isDelta ? current : []
        for word in words {
            let tag = (isDelta || word.hasPrefix("+") ? String(word.dropFirst()) : word).lowercased()
            guard !tag.isEmpty else { continue }
            if isDelta && word.hasPrefix("-") {
                tags.removeAll { $0 == tag }
            } else if !tags.contains(tag) {
                tags.append(tag)
            }
        }
        return tags
    }
}

/// `a` on a ticket: whom "me", "none", an id or the start of a name means.
public enum AssigneeChoice: Equatable, Sendable {
    case agent(Int64)
    case nobody
    case unknown(String)
    case ambiguous([String])

    public static func resolve(_ input: String, me: Int64?, agents: [AgentInfo]) -> AssigneeChoice {
        let text = input.trimmingCharacters(in: .whitespaces)
        let lower = text.lowercased()
        if lower == "me", let me { return .agent(me) }
        if ["none", "nobody", "-", ""].contains(lower) { return .nobody }
        if let id = Int64(text.trimmingCharacters(in: CharacterSet(charactersIn: "#"))), agents.contains(where: { $0.id == id }) { return .agent(id) }
        let people = agents.filter { $0.role != "integration" }
        if let exact = people.first(where: { $0.name.lowercased() == lower }) { return .agent(exact.id) }
        let matches = people.filter { $0.name.lowercased().hasPrefix(lower) }
        switch matches.count {
        case 1: return .agent(matches[0].id)
        case 0: return .unknown(text)
        default: return .ambiguous(matches.map(\.name))
        }
    }
}

/// Priorities in the order `p` steps through them.
public enum PriorityCycle {
    public static let order = ["low", "normal", "high", "urgent"]
    public static func next(after current: String) -> String {
        order[((order.firstIndex(of: current) ?? 0) + 1) % order.count]
    }
}
