import Foundation
import Hummingbird
import Logging
import NIOCore
import PishkhanChannels
import PishkhanCore
import PishkhanStore

/// The SMS provider's webhooks, outside `/api/v1` (the provider holds no token; it signs instead):
/// `POST /webhooks/sms/{channel}` for incoming messages and `POST /webhooks/sms/{channel}/status` for
/// delivery reports, both in Twilio's form-encoded format and refused with 403 unless
/// `X-Twilio-Signature` matches. Every refusal is logged and counted with its reason. An incoming
/// message is answered 200 only after it is committed; a store failure is a 5xx so the provider retries.
struct SMSWebhookRoutes: Sendable {
    let store: any Store
    let channels: ChannelDirectory
    let credentials: [String: SMSCredentials]
    let rules: PriorityRules
    let metrics: ServerMetrics
    /// Webhook bodies are small forms; anything larger is not from the provider.
    static let bodyLimit = 64 * 1024
    static let emptyTwiML = #"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#

    func register(on router: Router<PishkhanRequestContext>) {
        router.post("webhooks/sms/:channel", use: inbound)
        router.post("webhooks/sms/:channel/status", use: status)
    }

    /// Why a webhook call was refused: the metric label and the answer.
    enum Refusal: String {
        case unknownChannel = "unknown_channel"
        case notConfigured = "not_configured"
        case tooLarge = "too_large"
        case malformed
        case missingSignature = "missing_signature"
        case badSignature = "bad_signature"
        case invalidMessage = "invalid_message"

        var problem: Problem {
            switch self {
            case .unknownChannel: .notFound("no SMS channel by that name")
            case .notConfigured: .notFound("this SMS channel has no provider section; it takes no webhooks")
            case .tooLarge: Problem(status: .contentTooLarge, title: "Content Too Large", detail: "the webhook body is larger than 64 KiB")
            case .malformed: Problem(status: .badRequest, title: "Bad Request", detail: "the body is not application/x-www-form-urlencoded UTF-8")
            case .missingSignature: Problem(status: .forbidden, title: "Forbidden", detail: "X-Twilio-Signature is missing")
            case .badSignature: Problem(status: .forbidden, title: "Forbidden", detail: "X-Twilio-Signature does not match this request")
            case .invalidMessage: Problem(status: .unprocessableContent, title: "Unprocessable Content", detail: "the message cannot be stored")
            }
        }
    }

    /// A verified webhook call: its channel and parameters.
    struct Verified {
        var settings: ChannelSettings
        var config: SMSChannelConfig
        var form: FormParameters
    }

    /// Reads the body and checks the signature against the public URL of this request.
    func verify(_ request: Request, context: PishkhanRequestContext) async throws -> Verified {
        let id = context.parameters.get("channel") ?? ""
        guard let settings = channels[id], settings.kind == .sms else { throw refuse(.unknownChannel, channel: "unknown", context, id: id) }
        guard let config = channels.sms[id], let secret = credentials[id] else { throw refuse(.notConfigured, channel: id, context) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.bodyLimit)
        } catch is NIOTooManyBytesError {
            throw refuse(.tooLarge, channel: id, context)
        }
        guard let form = FormParameters.decode(body.readableBytesView) else { throw refuse(.malformed, channel: id, context) }
        guard let signature = request.headers.first(where: { $0.name.canonicalName == "x-twilio-signature" })?.value, !signature.isEmpty else {
            throw refuse(.missingSignature, channel: id, context)
        }
        // The URL the provider called: our public base (from the channel file, never the Host header a
        // proxy passes on) and the path and query as they reached us.
        let url = config.publicBaseURL + request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
        guard TwilioSignature.isValid(signature, url: url, parameters: form.pairs, authToken: secret.authToken) else {
            throw refuse(.badSignature, channel: id, context, detail: "signed URL \(url)")
        }
        return Verified(settings: settings, config: config, form: form)
    }

    func refuse(_ reason: Refusal, channel: String, _ context: PishkhanRequestContext, id: String? = nil, detail: String? = nil) -> Problem {
        var metadata: Logger.Metadata = ["channel": "\(id ?? channel)", "reason": "\(reason.rawValue)"]
        if let detail { metadata["detail"] = "\(detail)" }
        context.logger.warning("SMS webhook refused", metadata: metadata)
        metrics.smsWebhookRefused(channel: channel, reason: reason.rawValue).increment()
        return reason.problem
    }

    @Sendable func inbound(_ request: Request, context: PishkhanRequestContext) async throws -> Response {
        let call = try await verify(request, context: context)
        let message: InboundMessage
        let result: IngestResult
        do {
            message = try TwilioInbound.message(from: call.form, channel: call.settings.id, receivedAt: Date())
            let start = ContinuousClock.now
            result = try await store.ingest(message, channel: call.settings, rules: rules)
            metrics.ingestLatency.record(ContinuousClock.now - start)
        } catch let error as ValidationError {
            throw invalid(error, call, context)
        } catch StoreError.invalid(let error) {
            throw invalid(error, call, context)
        }
        (result.duplicate ? metrics.duplicates : metrics.ingested).increment()
        context.logger.info("SMS stored", metadata: [
            "channel": "\(call.settings.id)", "sid": "\(message.externalID)", "ticket": "\(result.ticketID)", "duplicate": "\(result.duplicate)",
        ])
        return Self.twiML()
    }

    /// A signed message that can never be stored (no sender, a sender that is no phone number): retrying
    /// cannot help, so it is refused with the reason rather than answered 5xx.
    private func invalid(_ error: ValidationError, _ call: Verified, _ context: PishkhanRequestContext) -> Problem {
        _ = refuse(.invalidMessage, channel: call.settings.id, context, detail: error.description)
        return .invalid(error.field, error.reason)
    }

    @Sendable func status(_ request: Request, context: PishkhanRequestContext) async throws -> Response {
        let call = try await verify(request, context: context)
        let report: TwilioInbound.StatusReport
        do {
            report = try TwilioInbound.statusReport(from: call.form)
        } catch let error as ValidationError {
            throw invalid(error, call, context)
        }
        let update = try await store.recordSMSStatus(
            channel: call.settings.id, providerID: report.messageSID, providerStatus: report.providerStatus,
            status: report.deliveryStatus, error: report.error)
        if let update {
            context.logger.info("SMS delivery report", metadata: [
                "channel": "\(call.settings.id)", "sid": "\(report.messageSID)", "status": "\(report.providerStatus)",
                "message": "\(update.messageID)", "changed": "\(update.changed)",
            ])
        } else {
            context.logger.notice("SMS delivery report for a message we did not send; ignored", metadata: [
                "channel": "\(call.settings.id)", "sid": "\(report.messageSID)", "status": "\(report.providerStatus)",
            ])
        }
        return Self.twiML()
    }

    static func twiML() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/xml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: emptyTwiML)))
    }
}
