import Foundation
import Hummingbird
import Logging
import NIOCore
import PishkhanChannels
import PishkhanCore
import PishkhanStore

/// Telegram's webhook, outside `/api/v1`: `POST /webhooks/telegram/{channel}` takes a Bot API `Update`,
/// refused (401 missing, 403 wrong; logged and counted) unless `X-Telegram-Bot-Api-Secret-Token` is the
/// channel's secret, compared in constant time. Telegram retries an update until it gets a 2xx, so
/// everything it sends that Pishkhan does not store (callback queries, channel posts, stickers, group chats,
/// even a message Intake cannot take) is answered 200 and counted; a stored message is answered 200 only
/// after the commit, and a store failure is a 5xx so Telegram delivers it again.
struct TelegramWebhookRoutes: Sendable {
    let store: any Store
    let channels: ChannelDirectory
    let credentials: [String: TelegramCredentials]
    let rules: PriorityRules
    let metrics: ServerMetrics
    /// Updates carry one message (4096 characters at most) and its context; anything larger is refused unread.
    static let bodyLimit = 256 * 1024
    static let secretHeader = "x-telegram-bot-api-secret-token"

    func register(on router: Router<PishkhanRequestContext>) {
        router.post("webhooks/telegram/:channel", use: inbound)
    }

    enum Refusal: String {
        case unknownChannel = "unknown_channel"
        case notConfigured = "not_configured"
        case tooLarge = "too_large"
        case missingSecret = "missing_secret"
        case badSecret = "bad_secret"
        case malformed
        case invalidMessage = "invalid_message"

        var problem: Problem {
            switch self {
            case .unknownChannel: .notFound("no Telegram channel by that name")
            case .notConfigured: .notFound("this Telegram channel has no telegram section; it takes no webhooks")
            case .tooLarge: Problem(status: .contentTooLarge, title: "Content Too Large", detail: "the update is larger than 256 KiB")
            case .missingSecret: Problem(status: .unauthorized, title: "Unauthorized", detail: "X-Telegram-Bot-Api-Secret-Token is missing")
            case .badSecret: Problem(status: .forbidden, title: "Forbidden", detail: "X-Telegram-Bot-Api-Secret-Token is not this channel's secret")
            case .malformed: Problem(status: .badRequest, title: "Bad Request", detail: "the body is not a Telegram Update")
            case .invalidMessage: Problem(status: .unprocessableContent, title: "Unprocessable Content", detail: "the message cannot be stored")
            }
        }
    }

    @Sendable func inbound(_ request: Request, context: PishkhanRequestContext) async throws -> Response {
        let id = context.parameters.get("channel") ?? ""
        guard let settings = channels[id], settings.kind == .telegram else { throw refuse(.unknownChannel, channel: "unknown", context, id: id) }
        guard channels.telegram[id] != nil, let secret = credentials[id]?.secretToken else { throw refuse(.notConfigured, channel: id, context) }
        guard let given = request.headers.first(where: { $0.name.canonicalName == Self.secretHeader })?.value, !given.isEmpty else {
            throw refuse(.missingSecret, channel: id, context)
        }
        guard !secret.isEmpty, ConstantTime.equals(Array(given.utf8), Array(secret.utf8)) else { throw refuse(.badSecret, channel: id, context) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.bodyLimit)
        } catch is NIOTooManyBytesError {
            throw refuse(.tooLarge, channel: id, context)
        }
        let update: TelegramUpdate
        do {
            update = try JSONDecoder().decode(TelegramUpdate.self, from: Data(buffer: body))
        } catch {
            throw refuse(.malformed, channel: id, context, detail: "\(error)")
        }
        switch TelegramInbound.outcome(update, channel: id, receivedAt: Date()) {
        case .ignored(let reason):
            metrics.telegramUpdatesIgnored(channel: id, reason: reason.rawValue).increment()
            context.logger.info("Telegram update ignored", metadata: ["channel": "\(id)", "update": "\(update.updateID)", "reason": "\(reason.rawValue)"])
        case .message(let message):
            do {
                let start = ContinuousClock.now
                let result = try await store.ingest(message, channel: settings, rules: rules)
                metrics.ingestLatency.record(ContinuousClock.now - start)
                (result.duplicate ? metrics.duplicates : metrics.ingested).increment()
                context.logger.info("Telegram message stored", metadata: [
                    "channel": "\(id)", "externalID": "\(message.externalID)", "ticket": "\(result.ticketID)", "duplicate": "\(result.duplicate)",
                ])
            } catch StoreError.invalid(let error) {
                // Refusing would only have Telegram send it again and again: taken, logged, counted.
                _ = refuse(.invalidMessage, channel: id, context, detail: error.description)
            }
        }
        return Response(status: .ok)
    }

    func refuse(_ reason: Refusal, channel: String, _ context: PishkhanRequestContext, id: String? = nil, detail: String? = nil) -> Problem {
        var metadata: Logger.Metadata = ["channel": "\(id ?? channel)", "reason": "\(reason.rawValue)"]
        if let detail { metadata["detail"] = "\(detail)" }
        context.logger.warning("Telegram webhook refused", metadata: metadata)
        metrics.chatWebhookRefused(kind: "telegram", channel: channel, reason: reason.rawValue).increment()
        return reason.problem
    }
}
