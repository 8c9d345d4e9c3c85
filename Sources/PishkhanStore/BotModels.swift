import Foundation
import PishkhanCore

/// A customer's turn the answer bot has not decided on yet: their new messages on one ticket (several when
/// they wrote twice before the bot got to it), with what the bot did on the ticket before.
public struct BotTurn: Sendable, Equatable {
    public var ticket: Ticket
    /// Oldest first; the decision is recorded on the last one.
    public var messageIDs: [Int64]
    /// The messages' text (the subject when a message has none), joined.
    public var text: String
    public var answersBefore: Int
    /// The bot's last decision on the ticket was an answer.
    public var awaitingConfirmation: Bool
}

/// What `botTurns` found: the turns, and the event sequence number to resume after.
public struct BotWork: Sendable, Equatable {
    public var turns: [BotTurn]
    public var watermark: Int64
}

/// The answer bot's decision as it is to be stored, with the reply to send (if any).
public struct BotDecisionInput: Sendable, Equatable {
    public var turn: BotTurn
    public var action: BotAction
    public var reason: BotReason
    public var locale: Article.Locale
    public var candidates: [BotCandidate]
    public var articleID: String?
    public var replyText: String?
    public var replyHTML: String?

    public init(turn: BotTurn, action: BotAction, reason: BotReason, locale: Article.Locale, candidates: [BotCandidate],
                articleID: String?, replyText: String?, replyHTML: String?) {
        self.turn = turn
        self.action = action
        self.reason = reason
        self.locale = locale
        self.candidates = candidates
        self.articleID = articleID
        self.replyText = replyText
        self.replyHTML = replyHTML
    }
}

/// A stored decision, as supervisors read it: `GET /api/v1/tickets/{id}/bot-decisions`.
public struct BotDecision: Codable, Sendable, Equatable {
    public var id: Int64
    public var ticketID: Int64
    /// The customer's message the decision answered (the last of the turn).
    public var messageID: Int64
    public var action: BotAction
    public var reason: BotReason
    public var locale: Article.Locale
    /// What the bot searched for (emptied when the customer is erased).
    public var query: String
    /// The best matches and their scores, best first.
    public var candidates: [BotCandidate]
    public var articleID: String?
    /// The bot's message to the customer, if it sent one.
    public var replyMessageID: Int64?
    public var createdAt: Date
}
