import Foundation
import PishkhanCore

/// Telegram updates translated for Intake. Telegram retries an update until it gets a 2xx, so an update
/// Pishkhan does not take is still answered 200 and only noted, never refused.
public enum TelegramInbound {
    /// What an update comes to.
    public enum Outcome: Sendable, Equatable {
        case message(InboundMessage)
        /// Nothing to store, with the reason (the metric label).
        case ignored(IgnoredReason)
    }

    public enum IgnoredReason: String, Sendable, Equatable, CaseIterable {
        /// Callback queries, channel posts, inline queries, polls, member changes, …
        case unsupportedUpdate = "unsupported_update"
        /// A group, supergroup or channel chat: support conversations are private chats with the bot.
        case notPrivateChat = "not_private_chat"
        /// No sender, or another bot.
        case noPerson = "no_person"
        /// Stickers, locations, dice, games, …: nothing an agent can answer as text.
        case unsupportedContent = "unsupported_content"
    }

    /// Marks a stored edit, before the edited text.
    public static let editedMarker = "[edited]"

    /// A private chat's `message` or `edited_message` as an inbound message from the Telegram user (identity
    /// kind `telegram`, the user id), threaded by the chat id. The external id is `<chat id>:<message id>`
    /// (an edit adds `:edit:<edit date>`), so Telegram's retries store nothing twice. An edit is stored as a
    /// new message beginning with `[edited]`: the customer's words as first written stay as they were, and
    /// agents see what changed. Photos, documents, video, audio and voice keep their caption as the text with
    /// a note of the attachment (the file stays with Telegram); a contact the user shares of themselves adds
    /// their phone number to the customer.
    public static func outcome(_ update: TelegramUpdate, channel: String, receivedAt: Date) -> Outcome {
        let edited = update.message == nil
        guard let m = update.message ?? update.editedMessage else { return .ignored(.unsupportedUpdate) }
        guard m.chat.type == "private" else { return .ignored(.notPrivateChat) }
        guard let from = m.from, !from.isBot else { return .ignored(.noPerson) }

        var lines: [String] = []
        var contacts: [InboundMessage.Contact] = []
        if let text = m.text ?? m.caption, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { lines.append(text) }
        if let photo = m.photo?.max(by: { ($0.width ?? 0) * ($0.height ?? 0) < ($1.width ?? 0) * ($1.height ?? 0) }) {
            lines.append("[photo" + (photo.width.map { w in photo.height.map { " \(w)×\($0)" } ?? "" } ?? "") + ", kept by Telegram]")
        }
        if let d = m.document {
            let details = [d.fileName, d.mimeType].compactMap { $0 }.joined(separator: ", ")
            lines.append("[document" + (details.isEmpty ? "" : ": \(details)") + ", kept by Telegram]")
        }
        if m.video != nil { lines.append("[video, kept by Telegram]") }
        if m.audio != nil { lines.append("[audio, kept by Telegram]") }
        if m.voice != nil { lines.append("[voice message, kept by Telegram]") }
        if let contact = m.contact {
            if contact.userID == from.id {
                contacts.append(.init(kind: .phone, address: contact.phoneNumber))
                lines.append("[shared their phone number: \(contact.phoneNumber)]")
            } else {
                lines.append("[shared a contact: \(contact.firstName ?? "") \(contact.phoneNumber)]")
            }
        }
        guard !lines.isEmpty else { return .ignored(.unsupportedContent) }
        var text = lines.joined(separator: "\n")
        var externalID = "\(m.chat.id):\(m.messageID)"
        if edited {
            text = "\(editedMarker) " + text
            externalID += ":edit:\(m.editDate ?? update.updateID)"
        }
        let name = from.displayName
        return .message(InboundMessage(
            channel: channel, channelKind: .telegram, externalID: externalID,
            sender: .init(kind: .telegram, address: String(from.id), displayName: name.isEmpty ? from.username : name),
            contacts: contacts, threadHints: .init(conversationID: String(m.chat.id)), text: text,
            sentAt: Date(timeIntervalSince1970: TimeInterval(m.editDate ?? m.date)), receivedAt: receivedAt))
    }
}
