import Foundation
import PishkhanCore

/// An outbound text ready to post to the SMS provider, claimed by the SMS outbox worker.
public struct OutboundSMS: Sendable, Equatable {
    public var outboxID: Int64
    public var messageID: Int64
    public var ticketID: Int64
    public var channel: String
    /// The customer's phone number (E.164), nil when the customer has none.
    public var recipient: String?
    public var text: String
    public var encoding: SMSEncoding
    public var segments: Int
    /// This attempt's number, from 1.
    public var attempts: Int
}

/// What a provider's delivery report changed on an outbound message.
public struct SMSStatusUpdate: Sendable, Equatable {
    public var messageID: Int64
    public var ticketID: Int64
    public var deliveryStatus: DeliveryStatus?
    public var providerStatus: String?
    /// False when the report was older news than what the message already says (reports can overtake each other).
    public var changed: Bool
}
