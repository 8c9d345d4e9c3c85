import Foundation
import PishkhanCore

/// Turns a decoded email into an `InboundMessage`. Translation only: Intake decides customers, tickets
/// and threading.
public enum EmailInbound {
    public struct Unusable: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// - `externalID` is the Message-ID plus the first 16 hex digits of the raw message's SHA-256 (or the
    ///   whole hash when there is no Message-ID): the same message fetched again (after a restart, or a
    ///   UIDVALIDITY change) is a duplicate, and two different messages sharing a Message-ID are not.
    /// - The text is the reply with quoted history and signature trimmed; the raw message is attached as
    ///   `message.eml`, so the full text and the HTML are never lost; it carries `rawSHA256`, the hash of
    ///   the file the caller already keeps for it.
    /// - Auto-replies, bounces and bulk mail are marked automated. Mailing-list headers alone are not:
    ///   a support address that is a group alias adds them to human mail.
    public static func message(
        from email: ParsedEmail, raw: [UInt8], rawSHA256: String, channel: String, receivedAt: Date
    ) throws -> InboundMessage {
        guard let from = email.from ?? email.replyTo.first, from.address.contains("@") else {
            throw Unusable(description: "the message has no sender address (From)")
        }
        let externalID = email.messageID.map { "\($0.prefix(400))|\(rawSHA256.prefix(16))" } ?? "sha256:\(rawSHA256)"
        var attachments = email.attachments.enumerated().map { i, a in
            InboundMessage.Attachment(
                name: a.filename.map { String($0.prefix(255)) }.flatMap { $0.isEmpty ? nil : $0 } ?? "attachment-\(i + 1)",
                contentType: a.contentType, content: Data(a.data))
        }
        attachments.append(InboundMessage.Attachment(name: "message.eml", contentType: "message/rfc822", content: Data(raw), sha256: rawSHA256))
        let trimmed = email.replyText.trimmingCharacters(in: .whitespacesAndNewlines)
        return InboundMessage(
            channel: channel, channelKind: .email, externalID: externalID,
            sender: .init(kind: .email, address: from.address, displayName: from.displayName),
            threadHints: .init(messageID: email.messageID.map { "<\($0)>" }, inReplyTo: email.inReplyTo.map { "<\($0)>" },
                               references: (email.references + email.reportedMessageIDs).map { "<\($0)>" }),
            subject: email.subject, text: trimmed.isEmpty ? email.textBody : email.replyText, attachments: attachments,
            sentAt: email.date, receivedAt: receivedAt, automated: isAutomated(email.automation))
    }

    static func isAutomated(_ reason: AutomationReason?) -> Bool {
        switch reason {
        case nil, .mailingList: false
        case .precedence(let value): value.lowercased() != "list"
        case .deliveryReport, .mailerDaemon, .nullReturnPath, .autoSubmitted, .autoReplyHeader: true
        }
    }
}
