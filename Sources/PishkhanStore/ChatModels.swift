import Foundation

/// An agent reply or bot answer on a web-chat ticket, with the chat visitors (identities of kind `chat`
/// of the ticket's customer) whose open connections should get it.
public struct ChatReply: Sendable, Equatable {
    public var channel: String
    public var visitors: [String]
    public var message: Message

    public init(channel: String, visitors: [String], message: Message) {
        self.channel = channel
        self.visitors = visitors
        self.message = message
    }
}
