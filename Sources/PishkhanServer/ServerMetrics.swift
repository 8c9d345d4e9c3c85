import Foundation
import Hummingbird
import Prometheus

/// The Prometheus registry and the instruments the server records into. Owned by the application,
/// not a global, so every test gets its own.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let ingested: Counter
    let duplicates: Counter
    let ingestLatency: DurationHistogram
    let openTickets: Gauge
    let slaTimers: Gauge
    static let latencyBuckets: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                             .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5)]

    public init() {
        registry = PrometheusCollectorRegistry()
        ingested = registry.makeCounter(descriptor: .init(namespace: "pishkhan", metricName: "ingest_messages", unitName: "total", helpText: "Inbound messages stored"))
        duplicates = registry.makeCounter(descriptor: .init(namespace: "pishkhan", metricName: "ingest_duplicates", unitName: "total", helpText: "Inbound messages already stored (idempotent replays)"))
        ingestLatency = registry.makeDurationHistogram(
            descriptor: .init(namespace: "pishkhan", metricName: "ingest_duration", unitName: "seconds", helpText: "Time to store one inbound message, commit included"),
            labels: [], buckets: Self.latencyBuckets)
        openTickets = registry.makeGauge(descriptor: .init(namespace: "pishkhan", metricName: "open_tickets", unitName: "count", helpText: "Tickets in status new, open or pending"))
        slaTimers = registry.makeGauge(descriptor: .init(namespace: "pishkhan", metricName: "sla_scheduled_timers", unitName: "count", helpText: "SLA warnings and breaches the scheduler is waiting for"))
    }

    /// Warnings and breaches recorded by the scheduler, by kind and metric.
    func slaFired(kind: String, metric: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(namespace: "pishkhan", metricName: "sla_fired", unitName: "total", helpText: "SLA warnings and breaches recorded"),
            labels: [("kind", kind), ("metric", metric)])
    }

    /// Seconds from an SLA instant falling due to its record being committed.
    var slaLag: DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "pishkhan", metricName: "sla_firing_lag", unitName: "seconds", helpText: "Delay from due time to the stored warning or breach"),
            labels: [], buckets: Self.latencyBuckets)
    }

    /// SMS webhook calls refused, by channel and reason (bad signature, too large, …).
    func smsWebhookRefused(channel: String, reason: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(namespace: "pishkhan", metricName: "sms_webhook_refused", unitName: "total", helpText: "SMS webhook calls refused"),
            labels: [("channel", channel), ("reason", reason)])
    }

    /// Chat-webhook and Telegram webhook calls refused, by channel kind, channel and reason.
    func chatWebhookRefused(kind: String, channel: String, reason: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(namespace: "pishkhan", metricName: "chat_webhook_refused", unitName: "total", helpText: "Chat-webhook and Telegram webhook calls refused"),
            labels: [("kind", kind), ("channel", channel), ("reason", reason)])
    }

    /// Telegram updates answered 200 but not stored (unsupported updates or content, group chats), by reason.
    func telegramUpdatesIgnored(channel: String, reason: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(namespace: "pishkhan", metricName: "telegram_updates_ignored", unitName: "total", helpText: "Telegram updates taken but not stored"),
            labels: [("channel", channel), ("reason", reason)])
    }

    func httpDuration(method: String, route: String, status: Int) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "pishkhan", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency by route"),
            labels: [("method", method), ("route", route), ("status", String(status))], buckets: Self.latencyBuckets)
    }
}

/// Records the latency of every request under its route pattern (never the raw path, which would make
/// one series per ticket id).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = PishkhanRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        metrics.httpDuration(method: request.method.rawValue, route: route, status: response.status.code).record(ContinuousClock.now - start)
        return response
    }
}
