import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PishkhanChannels
import PishkhanCore
import PishkhanStore
import ServiceLifecycle

/// Delivers replies (agents' and the bot's) on chat-webhook and Telegram channels from the outbox: a JSON
/// `ChatWebhookCallback` posted to the partner's callback URL and signed like its calls to us, or Bot API
/// `sendMessage` calls to the conversation's chat. Work is claimed for a lease; a 5xx, a 429 (after
/// Telegram's `retry_after` when it gives one) or a network error retries with backoff, any other refusal
/// fails the message with the platform's reason. A reply longer than Telegram's 4096 characters goes as
/// several messages, cut at line breaks or spaces; each part accepted is recorded, so a retry never sends
/// one twice.
public final class ChatWebhookOutboxWorker: Service, OutboxPolling, Sendable {
    enum Target: Sendable {
        case callback(ChatWebhookConfig, secret: String)
        case telegram(TelegramChannelConfig, TelegramCredentials)
    }

    private let targets: [String: Target]
    private let store: any Store
    private let logger: Logger
    private let interval: Duration
    private let clock: any WallClock
    private let client: HTTPClient
    private let timeout: TimeAmount
    static let maxAttempts = 10

    /// `secrets` and `telegramCredentials` hold what each channel's file names, read from the environment
    /// at start; a channel without them is not served.
    public init(webhooks: [ChatWebhookConfig], secrets: [String: String], telegram: [TelegramChannelConfig],
                telegramCredentials: [String: TelegramCredentials], store: any Store, logger: Logger, interval: Duration = .seconds(1),
                clock: any WallClock = SystemWallClock(), client: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)) {
        var targets: [String: Target] = [:]
        for config in webhooks {
            if let secret = secrets[config.channel] { targets[config.channel] = .callback(config, secret: secret) }
        }
        for config in telegram {
            if let credentials = telegramCredentials[config.channel] { targets[config.channel] = .telegram(config, credentials) }
        }
        self.targets = targets
        self.store = store
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self.client = client
        self.timeout = timeout
    }

    public var isEmpty: Bool { targets.isEmpty }

    /// Sends what is due now; returns how many were claimed.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let jobs = try await store.claimChatReplies(channels: Set(targets.keys), limit: 16, lease: 300)
        for job in jobs { await deliver(job) }
        return jobs.count
    }

    /// What one call came to.
    enum Outcome {
        case accepted(id: String?)
        /// Try again; after `after` seconds when the platform said how long to wait.
        case retry(String, after: TimeInterval?)
        case permanent(String)
    }

    func deliver(_ job: OutboundChatReply) async {
        guard let target = targets[job.channel] else { return }
        do {
            switch target {
            case .callback(let config, let secret):
                let outcome = await postCallback(job, config: config, secret: secret)
                try await settle(job, outcome, isLast: true)
            case .telegram(let config, let credentials):
                guard let chat = job.conversationID ?? job.recipient, !chat.isEmpty else {
                    try await store.markChatReplyFailed(job, reason: "the customer has no Telegram chat to reply to", retryAt: nil)
                    return
                }
                let parts = TelegramBotAPI.parts(job.text)
                for index in parts.indices where index >= job.partsSent {
                    let outcome = await sendMessage(parts[index], chat: chat, config: config, token: credentials.botToken)
                    let isLast = index == parts.count - 1
                    if case .accepted(let id) = outcome, !isLast {
                        try await store.recordChatReplyPart(job, part: index, providerID: id)
                        continue
                    }
                    try await settle(job, outcome, isLast: isLast, parts: parts.count)
                    return
                }
            }
        } catch {
            logger.error("outbox bookkeeping failed; the lease will hand the reply out again", metadata: ["message": "\(job.messageID)", "error": "\(error)"])
        }
    }

    /// Records the outcome of the last call made for `job`.
    private func settle(_ job: OutboundChatReply, _ outcome: Outcome, isLast: Bool, parts: Int = 1) async throws {
        let metadata: Logger.Metadata = ["channel": "\(job.channel)", "message": "\(job.messageID)", "attempt": "\(job.attempts)"]
        switch outcome {
        case .accepted(let id):
            try await store.markChatReplySent(job, providerID: id, providerStatus: "accepted")
            logger.info("chat reply delivered", metadata: metadata.merging(["providerID": "\(id ?? "-")", "parts": "\(parts)"]) { $1 })
        case .retry(let reason, let after) where job.attempts < Self.maxAttempts:
            let backoff = after.map { min(3600, max(1, $0)) } ?? min(3600, 30 * pow(2, Double(job.attempts - 1)))
            let retry = clock.now().addingTimeInterval(backoff)
            logger.warning("chat reply not delivered; will retry", metadata: metadata.merging(["error": "\(reason)", "retry": "\(retry)"]) { $1 })
            try await store.markChatReplyFailed(job, reason: reason, retryAt: retry)
        case .retry(let reason, _), .permanent(let reason):
            logger.warning("chat reply not delivered; giving up", metadata: metadata.merging(["error": "\(reason)"]) { $1 })
            try await store.markChatReplyFailed(job, reason: reason, retryAt: nil)
        }
    }

    private func postCallback(_ job: OutboundChatReply, config: ChatWebhookConfig, secret: String) async -> Outcome {
        let prefix = "\(job.channel):"
        let recipient = job.recipient.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
        let now = clock.now()
        let body = ChatWebhookCallback(
            channel: job.channel, conversationID: job.conversationID, recipientID: recipient, messageID: String(job.messageID),
            ticket: job.ticketID, kind: job.kind == .bot ? "bot" : "reply", text: job.text, sentAt: ISO8601.format(now)).encoded()
        var request = HTTPClientRequest(url: config.callbackURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in ChatWebhookSignature.headers(body: body, secret: secret, now: now) { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: timeout)
            let answer = Data(buffer: try await response.body.collect(upTo: 1 << 20))
            let status = Int(response.status.code)
            let reason = Self.reason(status: status, body: answer)
            switch status {
            case 200..<300: return .accepted(id: ChatWebhookCallback.acceptedID(answer))
            case 408, 429, 500...: return .retry(reason, after: Self.retryAfter(response.headers))
            default: return .permanent(reason)
            }
        } catch {
            return .retry("cannot reach the callback URL: \(error)", after: nil)
        }
    }

    private func sendMessage(_ text: String, chat: String, config: TelegramChannelConfig, token: String) async -> Outcome {
        var request = HTTPClientRequest(url: config.methodURL("sendMessage", token: token))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: TelegramBotAPI.SendMessage(chatID: chat, text: text).encoded()))
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = Data(buffer: try await response.body.collect(upTo: 1 << 20))
            let status = Int(response.status.code)
            let answer = TelegramBotAPI.answer(body)
            switch status {
            case 200..<300:
                guard let answer, answer.ok, let sent = answer.result else {
                    // Taken but unreadable: sending again could write to the customer twice, so stop here.
                    return .permanent("HTTP \(status) without a message id in the answer")
                }
                return .accepted(id: String(sent.messageID))
            case 429, 500...:
                let after = answer?.parameters?.retryAfter.map(TimeInterval.init) ?? Self.retryAfter(response.headers)
                return .retry(TelegramBotAPI.reason(status: status, body: body), after: after)
            default:
                return .permanent(TelegramBotAPI.reason(status: status, body: body))
            }
        } catch {
            // The bot token is part of the URL: never let it reach a log or the message.
            return .retry("cannot reach the Bot API: \(error)".replacingOccurrences(of: token, with: "<token>"), after: nil)
        }
    }

    /// `Retry-After` in seconds, when the server sent one.
    static func retryAfter(_ headers: HTTPHeaders) -> TimeInterval? {
        headers.first(name: "Retry-After").flatMap { TimeInterval($0.trimmingCharacters(in: .whitespaces)) }
    }

    static func reason(status: Int, body: Data) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return "HTTP \(status)" + (text.isEmpty ? "" : ": \(text)")
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.pollUntilCancelled(every: self.interval, logger: self.logger, what: "chat webhook outbox") }
    }
}
