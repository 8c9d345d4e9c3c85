import Foundation
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanStore
import ServiceLifecycle

/// Delivers agents' replies on email channels from the outbox through SMTP. A reply is composed as an
/// RFC 5322 message (UTF-8, encoded-word subjects, quoted-printable bodies, text and HTML alternatives)
/// threaded with Message-ID, In-Reply-To, References and the `[#n]` subject token. Delivery is claimed
/// for a lease, so a worker that dies mid-send leaves the reply to be sent again, with the same
/// Message-ID; temporary failures retry with backoff, a permanent refusal fails the message with the
/// server's reason.
public final class EmailOutboxWorker: Service, OutboxPolling, Sendable {
    struct Sender: Sendable {
        var smtp: SMTPSender
        var from: EmailAddress
    }

    private let senders: [String: Sender]
    private let store: any Store
    private let logger: Logger
    private let interval: Duration
    static let maxAttempts = 10

    /// `passwords` holds each channel's SMTP password, read from its environment variable at start.
    public init(channels: [EmailChannelConfig], passwords: [String: String], store: any Store, logger: Logger, interval: Duration = .seconds(1)) throws {
        var senders: [String: Sender] = [:]
        for config in channels {
            guard let smtp = config.smtp, let address = config.fromAddress else { continue }
            senders[config.channel] = Sender(
                smtp: try SMTPSender(settings: smtp.settings(password: passwords[config.channel] ?? "")),
                from: EmailAddress(address: address, displayName: config.fromName))
        }
        self.senders = senders
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    public var isEmpty: Bool { senders.isEmpty }

    /// Sends what is due now; returns how many were claimed.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let domains = senders.mapValues { $0.from.domain }
        let jobs = try await store.claimOutboundEmail(domains: domains, limit: 16, lease: 300)
        for job in jobs { await deliver(job) }
        return jobs.count
    }

    func deliver(_ job: OutboundEmail) async {
        guard let sender = senders[job.channel] else { return }
        do {
            guard let recipient = job.recipient, recipient.contains("@") else {
                try await store.markOutboundFailed(job, reason: "the customer has no email address to reply to", retryAt: nil)
                return
            }
            let email = OutgoingEmail(
                from: sender.from, to: [EmailAddress(address: recipient)], subject: job.subject, textBody: job.text, htmlBody: job.html,
                messageID: job.messageIDHeader, inReplyTo: job.inReplyTo.map { [$0] } ?? [], references: job.references, date: Date())
            let bytes = EmailComposer().compose(email)
            do {
                try await sender.smtp.send(bytes, from: sender.from.address, to: [recipient])
                try await store.markOutboundSent(job)
            } catch let error as CurlError {
                let permanent = error.isPermanent || job.attempts >= Self.maxAttempts
                let retry = permanent ? nil : Date().addingTimeInterval(min(3600, 30 * pow(2, Double(job.attempts - 1))))
                logger.warning("reply not delivered", metadata: [
                    "channel": "\(job.channel)", "message": "\(job.messageID)", "error": "\(error)", "retry": "\(retry.map { "\($0)" } ?? "no")",
                ])
                try await store.markOutboundFailed(job, reason: error.description, retryAt: retry)
            }
        } catch {
            logger.error("outbox bookkeeping failed; the lease will hand the reply out again", metadata: ["message": "\(job.messageID)", "error": "\(error)"])
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.pollUntilCancelled(every: self.interval, logger: self.logger, what: "outbox") }
    }
}
