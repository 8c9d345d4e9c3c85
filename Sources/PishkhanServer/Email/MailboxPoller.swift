import Foundation
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanStore
import ServiceLifecycle

/// Reads one email channel's IMAP mailbox into Intake.
///
/// Order per message, never another: fetch by UID (without setting `\Seen`), keep the raw bytes, decode,
/// hand to Intake (which commits), then flag or move the message on the server, then advance the stored
/// watermark. A crash anywhere repeats at most the tail of a batch, and Intake recognises those messages
/// as duplicates. New mail is found by `UID SEARCH` above the watermark, never by `\Seen`; a changed
/// UIDVALIDITY re-scans the whole mailbox and lets the duplicate check skip what is stored. A message that cannot be stored
/// goes to the quarantine with its reason and the batch carries on.
public final class MailboxPoller: Service, Sendable {
    public let config: EmailChannelConfig
    let channel: ChannelSettings
    let client: IMAPClient
    let store: any Store
    let rules: PriorityRules
    let logger: Logger
    /// Held while polling, so one process of a cluster reads the mailbox at a time; nil polls unconditionally.
    let lease: ClusterLease?
    /// Messages fetched with one command (and one login) whose ingests then run together (sharing group
    /// commits) and are flagged with one command.
    static let batch = 256
    /// Batches being committed at once while the next is fetched.
    static let commitsInFlight = 3
    /// UIDs per `UID SEARCH`.
    static let searchWindow: UInt32 = 1000

    public init(config: EmailChannelConfig, channel: ChannelSettings, password: String, store: any Store, rules: PriorityRules, logger: Logger,
                leaseDuration: TimeInterval? = nil) throws {
        guard let imap = config.imap else { throw MailError("channel \(config.channel) has no imap section") }
        self.lease = leaseDuration.map { ClusterLease(store: store, name: "mailbox:\(config.channel)", duration: $0, logger: logger) }
        self.config = config
        self.channel = channel
        self.client = try IMAPClient(settings: imap.settings(password: password))
        self.store = store
        self.rules = rules
        self.logger = logger
    }

    /// One pass over everything above the watermark. Stops at the first message it could neither store
    /// nor quarantine (a database or server error), leaving the watermark just before it.
    @discardableResult
    public func poll() async throws -> PollReport {
        let status = try await client.select(config.mailbox)
        let state = try await store.channelState(config.channel)
        var watermark: UInt32 = 0
        if let state, state.uidValidity == status.uidValidity { watermark = state.watermark }
        if let state, let old = state.uidValidity, old != status.uidValidity {
            logger.warning("UIDVALIDITY changed; re-reading the mailbox, stored messages are skipped as duplicates",
                           metadata: ["channel": "\(config.channel)", "was": "\(old)", "now": "\(status.uidValidity)"])
        }
        var total = PollReport(uidValidity: status.uidValidity, watermark: watermark)
        var uids: [UInt32] = []
        if let uidNext = status.uidNext, uidNext > 0 {
            // Window by window up to UIDNEXT; anything arriving meanwhile is the next poll's.
            var from = watermark
            while from < uidNext - 1 {
                let upper = min(uidNext - 1, from + Self.searchWindow)
                uids += try await client.searchUIDs(in: config.mailbox, above: from, through: upper)
                from = upper
            }
        } else {
            uids = try await client.searchUIDs(in: config.mailbox, above: watermark).sorted()
        }
        if uids.isEmpty {
            try await store.recordPoll(channel: config.channel, total)
            return total
        }
        // A pipeline: batches are fetched ahead while up to `commitsInFlight` earlier ones are being
        // committed (their disk flushes overlap). Flags, moves and the watermark follow commit, batch by
        // batch, in UID order. One fetch connection serves the whole poll: it logs in once, however many
        // batches there are.
        return try await client.withFetchSession(in: config.mailbox) { session in
            typealias Batch = (fetched: [(UInt32, [UInt8])], fetchError: String?, outcomes: Task<[Result<EmailIngest.Outcome, any Error>], Never>)
            var inFlight: [Batch] = []
            var start = 0
            while !inFlight.isEmpty || start < uids.count {
                if start < uids.count && inFlight.count < Self.commitsInFlight {
                    let chunk = Array(uids[start..<min(uids.count, start + Self.batch)])
                    start += chunk.count
                    let (fetched, fetchError) = await fetch(chunk, session)
                    inFlight.append((fetched, fetchError, commit(fetched, uidValidity: status.uidValidity)))
                    if fetchError != nil { start = uids.count }  // fetch no further; what was fetched still commits
                    continue
                }
                let done = inFlight.removeFirst()
                let report = try await finish(done.fetched, outcomes: await done.outcomes.value, fetchError: done.fetchError,
                                              uidValidity: status.uidValidity, watermark: &watermark)
                total.watermark = report.watermark
                total.fetched += report.fetched
                total.stored += report.stored
                total.duplicates += report.duplicates
                total.quarantined += report.quarantined
                if let error = report.error {
                    total.error = error
                    // Later batches may still be committing: let them end (they are neither flagged nor
                    // counted; the next poll sees them again as duplicates) before the next poll starts.
                    for later in inFlight { _ = await later.outcomes.value }
                    return total
                }
            }
            return total
        }
    }

    /// Fetches a batch with one `UID FETCH <set> (UID BODY.PEEK[])` on the poll's read-only fetch connection.
    /// `BODY.PEEK[]` leaves `\Seen` alone: nothing is flagged before it is committed, and this session
    /// sends no flag changes that the mailbox connection would have to read back as untagged FETCH
    /// responses. Returns the messages in UID order up to the first that could not be fetched, and why.
    private func fetch(_ chunk: [UInt32], _ session: IMAPFetchSession) async -> ([(UInt32, [UInt8])], String?) {
        let bodies: [UInt32: [UInt8]]
        do {
            bodies = try await session.fetch(chunk)
        } catch {
            return ([], "fetch UIDs \(chunk[0])–\(chunk[chunk.count - 1]): \(error)")
        }
        var fetched: [(UInt32, [UInt8])] = []
        for uid in chunk {
            guard let body = bodies[uid] else { return (fetched, "fetch UID \(uid): \(IMAPError.messageNotFound(uid: uid))") }
            fetched.append((uid, body))
        }
        return (fetched, nil)
    }

    /// Reads a batch and writes its files, makes them durable with one flush, then commits the messages
    /// concurrently (they share group commits). Outcomes in UID order.
    private func commit(_ fetched: [(UInt32, [UInt8])], uidValidity: UInt32) -> Task<[Result<EmailIngest.Outcome, any Error>], Never> {
        let intake = EmailIngest(store: store, rules: rules, logger: logger)
        let settings = channel
        let store = self.store
        return Task {
            do {
                let preparing = fetched.map { _, raw in Task { try await intake.prepare(raw: raw, channel: settings) } }
                var prepared: [EmailIngest.Prepared] = []
                for task in preparing { prepared.append(try await task.value) }
                try await store.syncStagedFiles()
                let committing = zip(fetched, prepared).map { item, ready in
                    Task { try await intake.commit(ready, channel: settings, sourceRef: "imap:\(uidValidity):\(item.0)") }
                }
                var outcomes: [Result<EmailIngest.Outcome, any Error>] = []
                for task in committing { outcomes.append(await task.result) }
                return outcomes
            } catch {
                return [.failure(error)]
            }
        }
    }

    /// Flags or moves the committed messages (up to the first that failed) with one command, then advances
    /// the watermark; records the batch.
    private func finish(
        _ fetched: [(UInt32, [UInt8])], outcomes: [Result<EmailIngest.Outcome, any Error>], fetchError: String?, uidValidity: UInt32,
        watermark: inout UInt32
    ) async throws -> PollReport {
        var report = PollReport(uidValidity: uidValidity, watermark: watermark)
        report.fetched = fetched.count
        report.error = fetchError
        // The committed prefix, in UID order: flagged or moved with one command, then the watermark.
        var done: [(UInt32, EmailIngest.Outcome)] = []
        for ((uid, _), outcome) in zip(fetched, outcomes) {
            guard case .success(let result) = outcome else {
                if case .failure(let error) = outcome { report.error = "store UID \(uid): \(error)" }
                break
            }
            done.append((uid, result))
        }
        do {
            try await afterStore(done.map(\.0))
        } catch {
            report.error = "after storing \(done.count) messages from UID \(done[0].0): \(error)"
            done = []
        }
        for (uid, outcome) in done {
            watermark = uid
            report.watermark = uid
            switch outcome {
            case .stored: report.stored += 1
            case .duplicate: report.duplicates += 1
            case .quarantined: report.quarantined += 1
            }
        }
        try await store.recordPoll(channel: config.channel, report)
        return report
    }

    private func afterStore(_ uids: [UInt32]) async throws {
        switch config.afterStore {
        case .markSeen: try await client.markSeen(uids: uids, in: config.mailbox)
        case .move(let folder): try await client.move(uids: uids, from: config.mailbox, to: folder)
        }
    }

    public func run() async throws {
        if case .move(let folder) = config.afterStore { try? await client.create(mailbox: folder) }
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        var failures = 0
        var holding = false
        while !Task.isCancelled {
            do {
                guard let lease else {
                    try await pollAndWait()
                    failures = 0
                    continue
                }
                if try await lease.whileHeld({ try await self.pollAndWait() }) {
                    if !holding { logger.info("mailbox lease taken; this process polls", metadata: ["channel": "\(config.channel)"]) }
                    holding = true
                    failures = 0
                } else {
                    holding = false
                    // Another process polls; try again well before its lease could run out unrenewed.
                    try await Task.sleep(for: .seconds(lease.duration / 3))
                }
            } catch is CancellationError {
                break
            } catch let lost as LeaseLost {
                holding = false
                logger.notice("mailbox lease lost; another process polls", metadata: ["channel": "\(config.channel)", "error": "\(lost)"])
            } catch {
                failures += 1
                logger.error("mailbox poll failed; backing off", metadata: ["channel": "\(config.channel)", "error": "\(error)", "attempt": "\(failures)"])
                try? await store.recordChannelError(channel: config.channel, "\(error)")
                let seconds = min(300, 1 << min(failures, 9))
                try? await Task.sleep(for: .seconds(seconds))
            }
        }
        if holding { await lease?.release() }
    }

    /// One poll, then a wait for new mail: IDLE where the server has it, otherwise the poll interval.
    private func pollAndWait() async throws {
        let report = try await poll()
        if let error = report.error { throw MailError(error) }
        if report.fetched > 0 {
            logger.info("mailbox polled", metadata: [
                "channel": "\(config.channel)", "stored": "\(report.stored)", "duplicates": "\(report.duplicates)",
                "quarantined": "\(report.quarantined)", "watermark": "\(report.watermark)",
            ])
        }
        let next = try await client.select(config.mailbox)
        if case .unsupported = try await client.idle(in: config.mailbox, timeout: config.pollInterval, knownUIDNext: next.uidNext) {
            try await Task.sleep(for: config.pollInterval)
        }
    }
}

/// A mail service's own failure, with the text shown on the channel.
struct MailError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
