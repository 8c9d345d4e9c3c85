import Foundation
import PishkhanCore

/// Twilio's webhook payloads translated for Intake: an incoming message, or a delivery report.
public enum TwilioInbound {
    /// Most media links one message may carry (Twilio sends at most 10).
    static let maxMedia = 10

    /// An incoming SMS/MMS (`From`, `To`, `Body`, `MessageSid`, `NumMedia`, `MediaUrlN`,
    /// `MediaContentTypeN`) as an inbound message keyed by its `MessageSid`, so a provider's retry is the
    /// same message. The sender is the phone number; Intake normalizes it. Media stay links.
    public static func message(from form: FormParameters, channel: String, receivedAt: Date) throws -> InboundMessage {
        guard let sid = (form["MessageSid"] ?? form["SmsSid"]).flatMap(nonEmpty) else {
            throw ValidationError(field: "MessageSid", reason: "is required")
        }
        guard let from = form["From"].flatMap(nonEmpty) else { throw ValidationError(field: "From", reason: "is required") }
        let count = Int(form["NumMedia"] ?? "0") ?? 0
        var media: [MediaLink] = []
        for i in 0..<min(max(count, 0), maxMedia) {
            guard let url = form["MediaUrl\(i)"].flatMap(nonEmpty) else { continue }
            media.append(MediaLink(url: url, contentType: form["MediaContentType\(i)"].flatMap(nonEmpty)))
        }
        return InboundMessage(
            channel: channel, channelKind: .sms, externalID: sid, sender: .init(kind: .phone, address: from),
            text: form["Body"] ?? "", media: media, receivedAt: receivedAt)
    }

    /// A delivery report (`MessageSid`, `MessageStatus`, `ErrorCode`, `ErrorMessage`).
    public struct StatusReport: Sendable, Equatable {
        public var messageSID: String
        /// As the provider wrote it: queued, sending, sent, delivered, undelivered, failed, read, …
        public var providerStatus: String
        public var errorCode: String?
        public var errorMessage: String?

        /// Our delivery status for it; nil for a status we do not know (kept, changes nothing).
        public var deliveryStatus: DeliveryStatus? { TwilioInbound.deliveryStatus(providerStatus) }

        /// What went wrong, for the message: `30003: Unreachable destination handset`.
        public var error: String? {
            switch (errorCode.flatMap(nonEmpty), errorMessage.flatMap(nonEmpty)) {
            case let (code?, text?): "\(code): \(text)"
            case let (code?, nil): "error \(code)"
            case let (nil, text?): text
            case (nil, nil): deliveryStatus == .failed ? providerStatus : nil
            }
        }
    }

    public static func statusReport(from form: FormParameters) throws -> StatusReport {
        guard let sid = (form["MessageSid"] ?? form["SmsSid"]).flatMap(nonEmpty) else {
            throw ValidationError(field: "MessageSid", reason: "is required")
        }
        guard let status = (form["MessageStatus"] ?? form["SmsStatus"]).flatMap(nonEmpty) else {
            throw ValidationError(field: "MessageStatus", reason: "is required")
        }
        return StatusReport(messageSID: sid, providerStatus: status.lowercased(), errorCode: form["ErrorCode"], errorMessage: form["ErrorMessage"])
    }

    /// Twilio's message states mapped to ours: everything the provider holds or has handed to the
    /// network is `sent`; delivered (or read) is `delivered`; undelivered, failed and canceled are `failed`.
    public static func deliveryStatus(_ providerStatus: String) -> DeliveryStatus? {
        switch providerStatus.lowercased() {
        case "accepted", "scheduled", "queued", "sending", "sent": .sent
        case "delivered", "read": .delivered
        case "undelivered", "failed", "canceled": .failed
        default: nil
        }
    }

    static func nonEmpty(_ s: String) -> String? {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }
}
