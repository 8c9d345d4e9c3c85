import Foundation
import Hummingbird
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanStore

/// Messages a channel could not store, and replaying one after a fix (supervisor and up: a quarantined
/// message may belong to any customer).
struct QuarantineRoutes: Sendable {
    let store: any Store
    let channels: ChannelDirectory
    let rules: PriorityRules

    func register(on api: RouterGroup<PishkhanRequestContext>) {
        api.get("channels/:id/quarantine", use: list)
        api.post("channels/:id/quarantine/:qid/retry", use: retry)
    }

    struct ListBody: Codable, ResponseEncodable {
        var items: [QuarantineItem]
    }

    func channel(_ context: PishkhanRequestContext) throws -> ChannelSettings {
        let id = context.parameters.get("id") ?? ""
        guard let channel = channels[id] else { throw Problem.notFound("channel '\(id)' is not configured") }
        return channel
    }

    @Sendable func list(_ request: Request, context: PishkhanRequestContext) async throws -> ListBody {
        _ = try context.require(.supervisor)
        let channel = try channel(context)
        let q = Query(request: request)
        return ListBody(items: try await store.quarantined(
            channel: channel.id, all: q.string("all") == "true", limit: try q.int("limit", default: 100, range: 1...1000)))
    }

    struct RetryBody: Codable, ResponseEncodable {
        var item: QuarantineItem
        var result: IngestResult?
    }

    @Sendable func retry(_ request: Request, context: PishkhanRequestContext) async throws -> RetryBody {
        _ = try context.require(.supervisor)
        let channel = try channel(context)
        let item = try await store.quarantineItem(id: try context.parameters.id("qid"))
        guard item.channel == channel.id else { throw Problem.notFound("quarantined message \(item.id) is not on channel \(channel.id)") }
        if item.resolvedAt != nil { return RetryBody(item: item, result: nil) }
        guard channel.kind == .email else { throw StoreError.conflict("only email messages can be replayed from the quarantine") }
        let raw = [UInt8](try await store.raw(sha256: item.rawSHA256))
        switch try await EmailIngest(store: store, rules: rules, logger: context.logger).ingest(raw: raw, channel: channel, sourceRef: item.sourceRef) {
        case .stored(let result), .duplicate(let result):
            return RetryBody(item: try await store.resolveQuarantine(id: item.id, ticketID: result.ticketID), result: result)
        case .quarantined(let again):
            throw StoreError.conflict("still cannot be stored: \(again.reason)")
        }
    }
}
