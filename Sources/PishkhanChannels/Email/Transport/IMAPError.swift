/// IMAP-level failures that are not transport errors from libcurl.
public enum IMAPError: Error, Sendable, Hashable {
    /// No message with this UID in the selected mailbox (it was expunged or never existed).
    case messageNotFound(uid: UInt32)
    /// The server's reply lacked something the command requires, e.g. SELECT without UIDVALIDITY.
    case malformedResponse(String)
    /// A tagged NO or BAD on the raw IDLE connection, with the server's text.
    case commandFailed(command: String, response: String)
    /// The argument cannot be sent as an IMAP string (it contains CR, LF or NUL).
    case invalidArgument(String)
}
