/// What SELECT reports about a mailbox (RFC 3501 §6.3.1, §7.1).
public struct IMAPMailboxStatus: Sendable, Hashable {
    /// Changes when the server renumbers UIDs; stored watermarks are void when it does (RFC 3501 §2.3.1.1).
    public var uidValidity: UInt32
    /// Predicted UID of the next message, if the server sent it.
    public var uidNext: UInt32?
    /// Number of messages in the mailbox.
    public var exists: Int

    public init(uidValidity: UInt32, uidNext: UInt32?, exists: Int) {
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.exists = exists
    }
}
