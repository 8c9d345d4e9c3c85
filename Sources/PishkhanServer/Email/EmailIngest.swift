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

    /// A message read and its files written, not yet committed.
    struct Prepared: Sendable {
        var rawSHA256: String
        var size: Int
        /// Nil when the message cannot be used; `problem` says why.
        var message: InboundMessage?
        var problem: String?
    }

    /// Keeps the raw bytes (staged: durable after `store.syncStagedFiles()`), decodes, and stages the
    /// attachments. Every attachment leaves with the hash of its staged file, so Intake neither hashes
    /// nor writes any of them again; the raw message (`message.eml`) is hashed and written once.
    func prepare(raw: [UInt8], channel: ChannelSettings) async throws -> Prepared {
        let hash = try await store.stageFiles([Data(raw)])[0]
        do {
            let email = try EmailDecoder.decode(raw)
            var message = try EmailInbound.message(from: email, raw: raw, rawSHA256: hash, channel: channel.id, receivedAt: Date())
            let unstaged = message.attachments.indices.filter { message.attachments[$0].sha256 == nil }
            let hashes = try await store.stageFiles(unstaged.map { message.attachments[$0].content })
            for (index, staged) in zip(unstaged, hashes) { message.attachments[index].sha256 = staged }
            return Prepared(rawSHA256: hash, size: raw.count, message: message)
        } catch let error as EmailDecodingError {
            return Prepared(rawSHA256: hash, size: raw.count, problem: "cannot be read as email: \(error)")
        } catch let error as EmailInbound.Unusable {
            return Prepared(rawSHA256: hash, size: raw.count, problem: "cannot be read as email: \(error)")
        }
    }

    /// Hands a prepared message to Intake, or to the quarantine. Throws only for what a retry may fix
    /// (the database, the disk); everything about the message itself ends in the quarantine.
    func commit(_ prepared: Prepared, channel: ChannelSettings, sourceRef: String) async throws -> Outcome {
        func quarantine(_ reason: String) async throws -> Outcome {
            logger.notice("message quarantined", metadata: ["channel": "\(channel.id)", "source": "\(sourceRef)", "reason": "\(reason)"])
            return .quarantined(try await store.quarantine(
                channel: channel.id, sourceRef: sourceRef, rawSHA256: prepared.rawSHA256, size: prepared.size, reason: reason))
        }
        guard let message = prepared.message else { return try await quarantine(prepared.problem ?? "cannot be read as email") }
        do {
            let result = try await store.ingest(message, channel: channel, rules: rules)
            return result.duplicate ? .duplicate(result) : .stored(result)
        } catch StoreError.invalid(let problem) {
            return try await quarantine(problem.description)
        }
    }

    /// One message on its own: prepare, sync, commit.
    func ingest(raw: [UInt8], channel: ChannelSettings, sourceRef: String) async throws -> Outcome {
        let prepared = try await prepare(raw: raw, channel: channel)
        try await store.syncStagedFiles()
        return try await commit(prepared, channel: channel, sourceRef: sourceRef)
    }
}
