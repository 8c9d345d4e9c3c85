import Foundation
import PishkhanCore

/// An agent's reply or a bot answer on a chat-webhook or Telegram channel, claimed by the worker that
/// posts it to the partner's callback URL or to the Bot API.
public struct OutboundChatReply: Sendable, Equatable {
    public var outboxID: Int64
    public var messageID: Int64
    public var ticketID: Int64
    public var channel: String
    public var channelKind: ChannelKind
    /// `outbound` (an agent) or `bot`.
    public var kind: MessageKind
    /// The customer's identity on this channel kind (`<channel>:<sender id>` for a chat webhook, the
    /// Telegram user id); nil when the customer has none.
    public var recipient: String?
    /// The conversation (Telegram: the chat) of the customer's latest message on the ticket.
    public var conversationID: String?
    public var text: String
    /// Parts of a split reply already accepted by the platform, from an earlier attempt.
    public var partsSent: Int
    /// This attempt's number, from 1.
    public var attempts: Int
}
