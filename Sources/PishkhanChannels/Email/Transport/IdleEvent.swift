/// How an IMAP IDLE wait (RFC 2177) ended.
public enum IdleEvent: Sendable, Hashable {
    /// The server announced new mail: `exists` is the new message count.
    case newMessages(exists: Int)
    /// Nothing arrived before the timeout.
    case timedOut
    /// The server does not offer IDLE; the caller should poll instead.
    case unsupported
}
