import Foundation
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanStore

/// Raw email bytes to a stored message, or to the quarantine with the reason: shared by the mailbox
/// poller and the quarantine's retry.
struct EmailIngest: Sendable {
    let store: any Store
    let rules: PriorityRules
    let logger: Logger

    enum Outcome: Sendable {
        case stored(IngestResult)
        case duplicate(IngestResult)
        case quarantined(QuarantineItem)
    }

    /// Keeps the raw bytes first, then decodes and ingests. Throws only for what a retry may fix (the
    /// database, the disk); everything about the message itself ends in the quarantine.
    func ingest(raw: [UInt8], channel: ChannelSettings, sourceRef: String) async throws -> Outcome {
        let hash = try store.storeRaw(Data(raw))
        func quarantine(_ reason: String) async throws -> Outcome {
            logger.notice("message quarantined", metadata: ["channel": "\(channel.id)", "source": "\(sourceRef)", "reason": "\(reason)"])
            return .quarantined(try await store.quarantine(channel: channel.id, sourceRef: sourceRef, rawSHA256: hash, size: raw.count, reason: reason))
        }
        let message: InboundMessage
        do {
            let email = try EmailDecoder.decode(raw)
            message = try EmailInbound.message(from: email, raw: raw, rawSHA256: hash, channel: channel.id, receivedAt: Date())
        } catch {
            return try await quarantine("cannot be read as email: \(error)")
        }
        do {
            let result = try await store.ingest(message, channel: channel, rules: rules)
            return result.duplicate ? .duplicate(result) : .stored(result)
        } catch StoreError.invalid(let problem) {
            return try await quarantine(problem.description)
        }
    }
}
