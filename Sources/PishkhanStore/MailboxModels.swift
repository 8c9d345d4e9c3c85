import Foundation
import PishkhanCore

/// How a channel's mailbox and mail delivery are doing, for `GET /api/v1/channels`.
public struct ChannelState: Codable, Sendable, Equatable {
    public var channel: String
    public var uidValidity: UInt32?
    /// Highest UID stored (and flagged or moved) so far.
    public var watermark: UInt32
    public var lastPollAt: Date?
    public var lastSuccessAt: Date?
    public var lastError: String?
    public var lastErrorAt: Date?
    public var fetched: Int
    public var stored: Int
    public var duplicates: Int
    public var quarantined: Int
    public var sent: Int
    public var sendFailures: Int
}

/// What one poll did, added to the channel's counters.
public struct PollReport: Sendable, Equatable {
    public var uidValidity: UInt32
    public var watermark: UInt32
    public var fetched = 0
    public var stored = 0
    public var duplicates = 0
    public var quarantined = 0
    /// Set when the poll stopped on an error; the watermark is then where it got to.
    public var error: String?

    public init(uidValidity: UInt32, watermark: UInt32) {
        self.uidValidity = uidValidity
        self.watermark = watermark
    }
}

/// A message that could not be stored, kept with its raw bytes until someone retries it.
public struct QuarantineItem: Codable, Sendable, Equatable {
    public var id: Int64
    public var channel: String
    /// Where it came from, e.g. `imap:1700000000:42` (UIDVALIDITY and UID).
    public var sourceRef: String
    public var rawSHA256: String
    public var size: Int
    public var reason: String
    public var attempts: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var resolvedAt: Date?
    /// The ticket it landed on once a retry succeeded.
    public var ticketID: Int64?
}

/// An outbound email ready to compose and send, claimed by the outbox worker.
public struct OutboundEmail: Sendable, Equatable {
    public var outboxID: Int64
    public var messageID: Int64
    public var ticketID: Int64
    public var channel: String
    public var recipient: String?
    public var subject: String
    public var text: String
    public var html: String?
    /// Our Message-ID for it, fixed at the first attempt so a resend after a crash is recognisable.
    public var messageIDHeader: String
    /// The customer's latest message on the ticket, and the thread's ids oldest first.
    public var inReplyTo: String?
    public var references: [String]
    public var attempts: Int
}
