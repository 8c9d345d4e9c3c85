import Foundation
import PishkhanCore

/// The messages after the bot's watermark, gathered into one turn per ticket: what `botTurns` decides on
/// either backend once it has read the rows.
///
/// The watermark is a position in the event log, not a message id: events are numbered in commit order on
/// both backends, while PostgreSQL hands out message ids at insert, so a message that commits after a
/// later-numbered one would fall behind an id watermark and never get a turn.
struct BotInbox {
    /// The settings key of the bot's place in the event log.
    static let watermarkKey = "bot.eventWatermark"
    /// Where the bot kept its place before, as a message id.
    static let legacyWatermarkKey = "bot.watermark"

    /// The events after the watermark (parameter 1) up to a limit (parameter 2), oldest first, each with the
    /// message it added (NULL columns for other events). `messageID(data)` reads the message id from an
    /// event's JSON in the backend's dialect.
    static func eventsSQL(_ placeholder: (Int) -> String, messageID: (String) -> String) -> String {
        """
        SELECT e.seq, m.id, m.ticket_id, m.channel, m.kind, m.automated, m.subject, m.body_text
        FROM (SELECT seq, type, data FROM events WHERE seq > \(placeholder(1)) ORDER BY seq LIMIT \(placeholder(2))) e
        LEFT JOIN messages m ON e.type = 'message.added' AND m.id = \(messageID("e.data"))
        ORDER BY e.seq
        """
    }

    /// The place in the event log that matches a watermark kept as a message id (parameter 1): just before
    /// the first message after it, or NULL when there is none.
    static func legacyWatermarkSQL(_ placeholder: (Int) -> String, messageID: (String) -> String) -> String {
        """
        SELECT MIN(seq) - 1 FROM events WHERE type = 'message.added' AND \(messageID("data")) > \(placeholder(1))
        """
    }

    /// One message as `botTurns` reads it.
    struct Message {
        var id: Int64
        var ticketID: Int64
        var channel: String
        var kind: String
        var automated: Bool
        var subject: String?
        var text: String?
    }

    /// Tickets with a pending turn, in the order their first pending message came.
    private(set) var tickets: [Int64] = []
    private var pending: [Int64: (ids: [Int64], texts: [String])] = [:]

    /// Keeps customers' own messages (inbound, not automated) on `channels`.
    init(_ messages: [Message], channels: Set<String>) {
        for message in messages where message.kind == MessageKind.inbound.rawValue && !message.automated && channels.contains(message.channel) {
            if pending[message.ticketID] == nil { tickets.append(message.ticketID) }
            let text = (message.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            pending[message.ticketID, default: ([], [])].ids.append(message.id)
            pending[message.ticketID, default: ([], [])].texts.append(text.isEmpty ? message.subject ?? "" : text)
        }
    }

    /// The ticket's turn, given what the bot did on it before.
    func turn(_ ticket: Ticket, answersBefore: Int, lastAction: String?) -> BotTurn? {
        guard let turn = pending[ticket.id] else { return nil }
        return BotTurn(ticket: ticket, messageIDs: turn.ids, text: turn.texts.joined(separator: "\n"), answersBefore: answersBefore,
                       awaitingConfirmation: lastAction == BotAction.answered.rawValue)
    }

    /// Whether a person has the ticket: a reply or a note written on it, or the bot handed it over.
    /// Parameters (`placeholder(n)`: `?` for SQLite, `$n` for PostgreSQL): 1 and 2 the ticket.
    static func personTookSQL(_ placeholder: (Int) -> String) -> String {
        """
        SELECT EXISTS (SELECT 1 FROM messages WHERE ticket_id = \(placeholder(1)) AND kind IN ('outbound', 'note'))
            OR EXISTS (SELECT 1 FROM bot_decisions WHERE ticket_id = \(placeholder(2)) AND action = 'handed-over')
        """
    }

    /// The bot may take a ticket that is not merged or closed and that no person has.
    static func mayTake(_ ticket: Ticket, personTook: Bool) -> Bool {
        ticket.mergedInto == nil && ticket.status != .closed && !personTook
    }

    /// The status a decision leaves the ticket in.
    static func status(after action: BotAction) -> TicketStatus {
        switch action {
        case .answered: .pending
        case .handedOver: .open
        case .resolved: .resolved
        }
    }

    /// What the decision stores of the customer's words.
    static func query(_ input: BotDecisionInput) -> String { String(input.turn.text.prefix(2000)) }

    static func decisionEventData(_ input: BotDecisionInput, decisionID: Int64, messageID: Int64) -> [String: JSONValue] {
        [
            "decisionID": .int(decisionID), "messageID": .int(messageID), "action": .string(input.action.rawValue),
            "reason": .string(input.reason.rawValue), "topScore": input.candidates.first.map { .number($0.score) } ?? .null,
        ]
    }

    /// The ticket-updated event of a status change the bot makes without a message.
    static func statusEventData(from: TicketStatus, to: TicketStatus) -> [String: JSONValue] {
        ["changes": .object(["status": .object(["from": .string(from.rawValue), "to": .string(to.rawValue)])]), "cause": .string("bot")]
    }
}
