import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PishkhanChannels
import PishkhanCore
import PishkhanStore
import ServiceLifecycle

/// Delivers replies (agents' and the bot's) on SMS channels from the outbox to the provider's Messages
/// API: `From`, `To`, `Body` and `StatusCallback` form-posted with basic auth. The provider's id and
/// status are stored on the message, so delivery reports find it. Work is claimed for a lease; a 5xx, a
/// 429 or a network error retries with backoff, any other 4xx fails the message with the provider's reason.
public final class SMSOutboxWorker: Service, OutboxPolling, Sendable {
    struct Account: Sendable {
        var config: SMSChannelConfig
        var credentials: SMSCredentials
    }

    private let accounts: [String: Account]
    private let store: any Store
    private let logger: Logger
    private let interval: Duration
    private let clock: any WallClock
    private let client: HTTPClient
    /// Time for one API call; an unreachable provider is retried until it runs out.
    private let timeout: TimeAmount
    static let maxAttempts = 10

    /// `credentials` holds each channel's account, read from its environment variables at start.
    public init(channels: [SMSChannelConfig], credentials: [String: SMSCredentials], store: any Store, logger: Logger,
                interval: Duration = .seconds(1), clock: any WallClock = SystemWallClock(), client: HTTPClient = .shared,
                timeout: TimeAmount = .seconds(30)) {
        var accounts: [String: Account] = [:]
        for config in channels {
            guard let account = credentials[config.channel] else { continue }
            accounts[config.channel] = Account(config: config, credentials: account)
        }
        self.accounts = accounts
        self.store = store
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self.client = client
        self.timeout = timeout
    }

    public var isEmpty: Bool { accounts.isEmpty }

    /// Sends what is due now; returns how many were claimed.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let jobs = try await store.claimOutboundSMS(channels: Set(accounts.keys), limit: 16, lease: 300)
        for job in jobs { await deliver(job) }
        return jobs.count
    }

    /// What one attempt came to.
    enum Outcome {
        case accepted(sid: String, status: String?)
        case retry(String)
        case permanent(String)
    }

    func deliver(_ job: OutboundSMS) async {
        guard let account = accounts[job.channel] else { return }
        do {
            guard let recipient = job.recipient, !recipient.isEmpty else {
                try await store.markSMSFailed(job, reason: "the customer has no phone number to reply to", retryAt: nil)
                return
            }
            switch await post(job, to: recipient, account: account) {
            case .accepted(let sid, let status):
                try await store.markSMSAccepted(job, providerID: sid, providerStatus: status)
                logger.info("SMS handed to the provider", metadata: [
                    "channel": "\(job.channel)", "message": "\(job.messageID)", "sid": "\(sid)", "segments": "\(job.segments)",
                ])
            case .retry(let reason) where job.attempts < Self.maxAttempts:
                let retry = clock.now().addingTimeInterval(min(3600, 30 * pow(2, Double(job.attempts - 1))))
                logger.warning("SMS not delivered; will retry", metadata: [
                    "channel": "\(job.channel)", "message": "\(job.messageID)", "error": "\(reason)", "retry": "\(retry)",
                ])
                try await store.markSMSFailed(job, reason: reason, retryAt: retry)
            case .retry(let reason), .permanent(let reason):
                logger.warning("SMS not delivered; giving up", metadata: [
                    "channel": "\(job.channel)", "message": "\(job.messageID)", "error": "\(reason)", "attempts": "\(job.attempts)",
                ])
                try await store.markSMSFailed(job, reason: reason, retryAt: nil)
            }
        } catch {
            logger.error("outbox bookkeeping failed; the lease will hand the SMS out again", metadata: ["message": "\(job.messageID)", "error": "\(error)"])
        }
    }

    private func post(_ job: OutboundSMS, to recipient: String, account: Account) async -> Outcome {
        let config = account.config
        var request = HTTPClientRequest(url: config.messagesURL(accountSID: account.credentials.accountSID))
        request.method = .POST
        request.headers.add(name: "Authorization", value: TwilioMessagesAPI.authorization(account.credentials))
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        let form = TwilioMessagesAPI.form(from: config.from, to: recipient, text: job.text, statusCallback: config.statusCallbackURL)
        request.body = .bytes(ByteBuffer(string: form.encoded()))
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = Data(buffer: try await response.body.collect(upTo: 1 << 20))
            let status = Int(response.status.code)
            switch status {
            case 200..<300:
                guard let created = TwilioMessagesAPI.created(body) else {
                    // Accepted but unreadable: sending again could text the customer twice, so stop here.
                    return .permanent("HTTP \(status) without a message sid in the answer")
                }
                return .accepted(sid: created.sid, status: created.status)
            case 429, 500...:
                return .retry(TwilioMessagesAPI.reason(status: status, body: body))
            default:
                return .permanent(TwilioMessagesAPI.reason(status: status, body: body))
            }
        } catch {
            return .retry("cannot reach the provider: \(error)")
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.pollUntilCancelled(every: self.interval, logger: self.logger, what: "SMS outbox") }
    }
}
