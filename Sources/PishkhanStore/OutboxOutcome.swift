import Foundation
import PishkhanCore

/// A claimed delivery: the outbox row and the message it carries.
protocol OutboxJob: Sendable {
    var outboxID: Int64 { get }
    var messageID: Int64 { get }
    var ticketID: Int64 { get }
    var channel: String { get }
}

extension OutboundChatReply: OutboxJob {}

/// What a delivery attempt or a provider's report does to an outbox row and its message, the same on every
/// backend; the stores write it.
enum OutboxOutcome {
    /// The columns a sender needs from a claimed outbox row and its message (`attempts` as before the claim).
    static let claimColumns = """
        o.id AS outbox_id, o.message_id, o.channel, o.channel_kind, o.recipient, o.attempts, o.parts_sent,
            m.ticket_id, m.kind, m.body_text
        """

    /// For chat replies: the conversation of the customer's latest message on the ticket that names one.
    static let conversationColumn = """
        , (SELECT c.conversation_id FROM messages c WHERE c.ticket_id = m.ticket_id AND c.kind = 'inbound'
            AND c.conversation_id IS NOT NULL ORDER BY c.id DESC LIMIT 1) AS conversation_id
        """

    /// The delivery event of a message a provider accepted.
    static func sentEventData(messageID: Int64, providerID: String?) -> [String: JSONValue] {
        var data: [String: JSONValue] = ["messageID": .int(messageID), "status": .string("sent")]
        if let providerID { data["providerID"] = .string(providerID) }
        return data
    }

    /// A failed attempt: queued again for `retryAt`, or failed for good (nil) with the reason on the message
    /// and a delivery event.
    struct Failure {
        var status: String
        var reason: String
        var nextAttemptAt: Double
        var messageError: String?
        var event: [String: JSONValue]?

        init(messageID: Int64, reason: String, retryAt: Date?, now: Date) {
            let reason = String(reason.prefix(1000))
            self.status = retryAt == nil ? "failed" : "queued"
            self.reason = reason
            self.nextAttemptAt = (retryAt ?? now).seconds
            self.messageError = retryAt == nil ? reason : nil
            self.event = retryAt == nil
                ? ["messageID": .int(messageID), "status": .string("failed"), "reason": .string(String(reason.prefix(300)))]
                : nil
        }
    }
}
