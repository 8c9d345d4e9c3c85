import Foundation
import PishkhanCore
import PishkhanKnowledge
import PishkhanStore

/// A canned response filled in for one ticket, in the form its channel sends: plain text everywhere, plus
/// an HTML part for email (built from the text with every value escaped).
public struct RenderedReply: Codable, Sendable, Equatable {
    public var shortcut: String
    public var locale: Article.Locale
    public var channelKind: ChannelKind
    public var text: String
    public var html: String?
    /// For SMS: how the text goes out and how many messages the customer is billed for; nil elsewhere.
    public var sms: SMSLength?

    public struct SMSLength: Codable, Sendable, Equatable {
        /// `gsm7` (160 characters, 153 per part) or `ucs2` (70, 67 per part; any Persian letter makes it UCS-2).
        public var encoding: SMSEncoding
        public var segments: Int
        /// UTF-16 code units, as phones count.
        public var characters: Int
    }
}

/// Fills canned responses with a ticket's customer, the ticket, the agent (or the bot) and an article.
struct ReplyRenderer: Sendable {
    let store: any Store
    let knowledge: KnowledgeBase

    func scope(ticket: Ticket, agentName: String, article: Article?) async throws -> ReplyScope {
        let customer = try await store.customerSummary(id: ticket.customerID)
        func identity(_ kind: IdentityKind) -> String? { customer.identities.last { $0.kind == kind }?.value }
        var scope = ReplyScope(
            customer: ["tier": customer.tier.rawValue],
            ticket: [
                "number": String(ticket.number), "subject": ticket.subject, "channel": ticket.channel,
                "priority": ticket.priority.rawValue, "status": ticket.status.rawValue,
            ],
            agent: ["name": agentName])
        scope.customer["name"] = customer.name
        scope.customer["email"] = identity(.email)
        scope.customer["phone"] = identity(.phone)
        if let article {
            scope.article = ["id": article.id, "title": article.title, "url": knowledge.articleURL(id: article.id)]
            scope.article["summary"] = article.summary
        }
        return scope
    }

    func render(_ response: CannedResponse, ticket: Ticket, agentName: String, article: Article?) async throws -> RenderedReply {
        let text = try ReplyTemplate(response.body).render(try await scope(ticket: ticket, agentName: agentName, article: article))
        return RenderedReply(
            shortcut: response.shortcut, locale: response.locale, channelKind: ticket.channelKind, text: text,
            html: ticket.channelKind == .email ? ReplyHTML.make(fromText: text) : nil,
            sms: ticket.channelKind == .sms ? Self.smsLength(text) : nil)
    }

    static func smsLength(_ text: String) -> RenderedReply.SMSLength {
        let (encoding, segments) = SMSSegments.count(text)
        return RenderedReply.SMSLength(encoding: encoding, segments: segments, characters: text.utf16.count)
    }
}
