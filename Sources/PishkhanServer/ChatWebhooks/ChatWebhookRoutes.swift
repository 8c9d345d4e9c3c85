import Foundation
import Hummingbird
import Logging
import NIOCore
import PishkhanChannels
import PishkhanCore
import PishkhanStore

/// The generic chat webhook, outside `/api/v1` (the partner holds no token; it signs instead):
/// `POST /webhooks/chat/{channel}` takes one visitor message as JSON (`ChatWebhookInbound`), signed with
/// the channel's shared secret over timestamp and body (`ChatWebhookSignature`). Calls without a
/// signature are refused 401, forged or replayed ones (older or newer than 5 minutes) 403; every refusal
/// is logged and counted with its reason. The body is parsed only once the signature holds, and a message
/// is answered 200 only after it is committed; a store failure is a 5xx so the partner retries.
struct ChatWebhookRoutes: Sendable {
    let store: any Store
    let channels: ChannelDirectory
    let secrets: [String: String]
    let rules: PriorityRules
    let metrics: ServerMetrics
    let clock: any WallClock
    /// One chat message in JSON; anything larger is refused unread.
    static let bodyLimit = 64 * 1024

    func register(on router: Router<PishkhanRequestContext>) {
        router.post("webhooks/chat/:channel", use: inbound)
    }

    /// Why a call was refused: the metric label and the answer.
    enum Refusal: String {
        case unknownChannel = "unknown_channel"
        case notConfigured = "not_configured"
        case tooLarge = "too_large"
        case missingSignature = "missing_signature"
        case missingTimestamp = "missing_timestamp"
        case malformedTimestamp = "malformed_timestamp"
        case stale
        case future
        case badSignature = "bad_signature"
        case malformed
        case invalidMessage = "invalid_message"

        init(_ failure: ChatWebhookSignature.Failure) {
            switch failure {
            case .missingSignature: self = .missingSignature
            case .missingTimestamp: self = .missingTimestamp
            case .malformedTimestamp: self = .malformedTimestamp
            case .stale: self = .stale
            case .future: self = .future
            case .badSignature: self = .badSignature
            }
        }

        var problem: Problem {
            let signature = ChatWebhookSignature.signatureHeader, timestamp = ChatWebhookSignature.timestampHeader
            return switch self {
            case .unknownChannel: .notFound("no chat-webhook channel by that name")
            case .notConfigured: .notFound("this channel has no webhook section; it takes no webhooks")
            case .tooLarge: Problem(status: .contentTooLarge, title: "Content Too Large", detail: "the webhook body is larger than 64 KiB")
            case .missingSignature: Problem(status: .unauthorized, title: "Unauthorized", detail: "\(signature) is missing")
            case .missingTimestamp: Problem(status: .unauthorized, title: "Unauthorized", detail: "\(timestamp) is missing")
            case .malformedTimestamp: Problem(status: .unauthorized, title: "Unauthorized", detail: "\(timestamp) is not a Unix time in seconds")
            case .stale: Problem(status: .forbidden, title: "Forbidden", detail: "\(timestamp) is more than 5 minutes old; the call is not accepted again")
            case .future: Problem(status: .forbidden, title: "Forbidden", detail: "\(timestamp) is more than 5 minutes ahead of this server's clock")
            case .badSignature: Problem(status: .forbidden, title: "Forbidden", detail: "\(signature) does not match this timestamp and body")
            case .malformed: Problem(status: .badRequest, title: "Bad Request", detail: "the body is not a JSON chat message")
            case .invalidMessage: Problem(status: .unprocessableContent, title: "Unprocessable Content", detail: "the message cannot be stored")
            }
        }
    }

    struct Stored: ResponseEncodable {
        var ticket: Int64
        var message: Int64
        var duplicate: Bool
    }

    @Sendable func inbound(_ request: Request, context: PishkhanRequestContext) async throws -> Stored {
        let id = context.parameters.get("channel") ?? ""
        guard let settings = channels[id], settings.kind == .webhook else { throw refuse(.unknownChannel, channel: "unknown", context, id: id) }
        guard channels.webhook[id] != nil, let secret = secrets[id] else { throw refuse(.notConfigured, channel: id, context) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.bodyLimit)
        } catch is NIOTooManyBytesError {
            throw refuse(.tooLarge, channel: id, context)
        }
        func header(_ name: String) -> String? {
            let lower = name.lowercased()
            return request.headers.first(where: { $0.name.canonicalName == lower })?.value
        }
        if case .failure(let failure) = ChatWebhookSignature.verify(
            signature: header(ChatWebhookSignature.signatureHeader), timestamp: header(ChatWebhookSignature.timestampHeader),
            body: body.readableBytesView, secret: secret, now: clock.now()) {
            throw refuse(Refusal(failure), channel: id, context)
        }
        let message: InboundMessage
        do {
            message = try ChatWebhookInbound.decode(Data(buffer: body)).message(channel: id, receivedAt: clock.now())
        } catch let error as ValidationError {
            _ = refuse(.malformed, channel: id, context, detail: error.description)
            throw Problem(status: .badRequest, title: "Bad Request", detail: "\(error.field) \(error.reason)", field: error.field)
        }
        let result: IngestResult
        do {
            let start = ContinuousClock.now
            result = try await store.ingest(message, channel: settings, rules: rules)
            metrics.ingestLatency.record(ContinuousClock.now - start)
        } catch StoreError.invalid(let error) {
            _ = refuse(.invalidMessage, channel: id, context, detail: error.description)
            throw Problem.invalid(error.field, error.reason)
        }
        (result.duplicate ? metrics.duplicates : metrics.ingested).increment()
        context.logger.info("chat webhook message stored", metadata: [
            "channel": "\(id)", "externalID": "\(message.externalID)", "ticket": "\(result.ticketID)", "duplicate": "\(result.duplicate)",
        ])
        return Stored(ticket: result.ticketID, message: result.messageID, duplicate: result.duplicate)
    }

    func refuse(_ reason: Refusal, channel: String, _ context: PishkhanRequestContext, id: String? = nil, detail: String? = nil) -> Problem {
        var metadata: Logger.Metadata = ["channel": "\(id ?? channel)", "reason": "\(reason.rawValue)"]
        if let detail { metadata["detail"] = "\(detail)" }
        context.logger.warning("chat webhook refused", metadata: metadata)
        metrics.chatWebhookRefused(kind: "webhook", channel: channel, reason: reason.rawValue).increment()
        return reason.problem
    }
}
