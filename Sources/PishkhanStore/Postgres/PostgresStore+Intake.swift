import Crypto
import Foundation
import Logging
import PishkhanCore
import PostgresNIO
import Synchronization

extension PostgresStore: IntakeStore {
    /// Stores an inbound message exactly once across every process sharing the database. Concurrent ingests
    /// of this process share transactions (`PGIngestBatcher`): one commit, one flush to disk and one turn on
    /// the event counter for a whole batch. Each transaction first takes an advisory lock on every identity
    /// its messages name, all in one sorted order, so two processes handed messages from the same new sender
    /// at once create one customer, a retry of the same message waits for the first attempt and then finds
    /// it, and two batches never deadlock on each other's locks.
    public func ingest(_ message: InboundMessage, channel: ChannelSettings, rules: PriorityRules) async throws -> IngestResult {
        var prepared = try Intake.Prepared(message, channel: channel, rules: rules, normalizer: normalizer)
        // Content-addressed like the SQLite store's files; here the bytes go into `blobs` in the ingest
        // transaction itself. An attachment staged earlier (`stageFiles`) is already there.
        prepared.files = message.attachments.map { attachment in
            (attachment, attachment.sha256.flatMap { AttachmentFiles.isHash($0) ? $0 : nil } ?? Hex.encode(SHA256.hash(data: attachment.content)))
        }
        return try await batcher.submit(PGIngestBatcher.Job(prepared: prepared, channel: channel, rules: rules))
    }

    /// One transaction for `jobs`, in order; the whole batch fails if one job does.
    func ingestBatch(_ jobs: [PGIngestBatcher.Job]) async throws -> [IngestResult] {
        let now = clock()
        return try await write { connection, log in
            try await PGCustomers.lock(connection, logger: logger, keys: Set(jobs.flatMap(\.prepared.lockKeys)))
            let batch = try await PGIntakeBatch.load(connection, logger: logger, jobs.map(\.prepared))
            let intake = PGIntake(connection: connection, logger: logger, now: now, batch: batch)
            var results: [IngestResult] = []
            results.reserveCapacity(jobs.count)
            for job in jobs {
                results.append(try await intake.ingest(job.prepared, channel: job.channel, rules: job.rules, sla: slaConfiguration(), log: &log))
            }
            try await batch.finish(connection, logger: logger, at: now)
            return results
        }
    }

    /// One job in a transaction of its own, run again after a deadlock or a unique-key race.
    func ingestAlone(_ job: PGIngestBatcher.Job) async throws -> IngestResult {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await ingestBatch([job])[0]
            } catch let error as PSQLError where attempt < 4 && error.isRetryable {
                logger.debug("Ingest transaction conflicted; running it again", metadata: ["sqlState": "\(error.serverInfo?[.sqlState] ?? "")"])
            }
        }
    }
}

extension Intake.Prepared {
    /// The advisory-lock keys of every identity the message names and of every file it refers to.
    var lockKeys: [String] {
        [PGCustomers.lockKey(identityKind.rawValue, address)] + (contacts + unverifiedContacts).map { PGCustomers.lockKey($0.0.rawValue, $0.1) }
            + files.map { PGCustomers.blobLockKey($0.1) }
    }
}

/// Group commit for PostgreSQL intake: ingests waiting at the same moment share one transaction, several
/// batches run at once on separate connections, and every caller is answered only after its batch
/// committed. A batch that fails is run again message by message, so one bad message costs only itself.
final class PGIngestBatcher: Sendable {
    struct Job: Sendable {
        var prepared: Intake.Prepared
        var channel: ChannelSettings
        var rules: PriorityRules
    }
    private struct Waiting {
        var job: Job
        var continuation: CheckedContinuation<IngestResult, any Error>
    }
    private struct State {
        var queue: [Waiting] = []
        var running = 0
    }
    private let state = Mutex(State())
    private struct Owner {
        weak var store: PostgresStore?
    }
    /// Set once by the store that owns this batcher (weakly: the store owns the batcher).
    private let owner = Mutex(Owner())
    static let maxBatch = 256
    /// Transactions in flight at once: they overlap their statements and queue only for the event counter
    /// and the commit's flush.
    static let concurrentBatches = 4

    func attach(_ store: PostgresStore) { owner.withLock { $0.store = store } }

    func submit(_ job: Job) async throws -> IngestResult {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { s -> Bool in
                s.queue.append(Waiting(job: job, continuation: continuation))
                guard s.running < Self.concurrentBatches else { return false }
                s.running += 1
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { s -> [Waiting] in
                let n = min(s.queue.count, Self.maxBatch)
                let batch = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                if batch.isEmpty { s.running -= 1 }
                return batch
            }
            if batch.isEmpty { return }
            guard let store = owner.withLock({ $0.store }) else {
                for waiting in batch { waiting.continuation.resume(throwing: CancellationError()) }
                continue
            }
            do {
                let results = try await store.ingestBatch(batch.map(\.job))
                for (waiting, result) in zip(batch, results) { waiting.continuation.resume(returning: result) }
            } catch {
                // Something in the batch failed and it rolled back: each message on its own, so a failure
                // (a message refused, a deadlock) costs only that message.
                for waiting in batch {
                    do {
                        waiting.continuation.resume(returning: try await store.ingestAlone(waiting.job))
                    } catch {
                        waiting.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }
}

extension PSQLError {
    /// A deadlock, a serialization failure or a unique-key race: running the transaction again resolves it.
    var isRetryable: Bool {
        guard let state = serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001" || state == "23505"
    }
}

/// What one ingest transaction reads for all its messages at once, and keeps up to date as it stores them:
/// the messages already stored under the batch's idempotency keys, the customers of the identities the
/// batch names (the transaction holds their locks, so nobody else changes them), and the customers to mark
/// as just heard from, in one statement at the end.
final class PGIntakeBatch {
    struct Stored {
        var messageID: Int64
        var ticketID: Int64
        var customerID: Int64
    }
    struct Known {
        var id: Int64
        var tier: CustomerTier
        var unnamed: Bool
    }
    /// By channel and external id.
    private(set) var stored: [String: Stored] = [:]
    /// By identity lock key (`PGCustomers.lockKey`); an identity the batch names that is not here has no customer.
    private var identities: [String: Int64] = [:]
    private var customers: [Int64: Known] = [:]
    private var contacted: Set<Int64> = []

    static func key(channel: String, externalID: String) -> String { channel + "\u{0}" + externalID }

    static func load(_ connection: PostgresConnection, logger: Logger, _ messages: [Intake.Prepared]) async throws -> PGIntakeBatch {
        let batch = PGIntakeBatch()
        let channels = messages.map(\.message.channel), externalIDs = messages.map(\.message.externalID)
        for row in try await connection.rows("""
            SELECT m.channel, m.external_id, m.id, m.ticket_id, t.customer_id
            FROM unnest(\(channels)::text[], \(externalIDs)::text[]) AS k(channel, external_id)
            JOIN messages m ON m.channel = k.channel AND m.external_id = k.external_id JOIN tickets t ON t.id = m.ticket_id
            """, logger: logger) {
            batch.stored[key(channel: try row["channel"], externalID: try row["external_id"])] =
                Stored(messageID: try row["id"], ticketID: try row["ticket_id"], customerID: try row["customer_id"])
        }
        var kinds: [String] = [], values: [String] = []
        for message in messages {
            for (kind, value) in [(message.identityKind, message.address)] + message.contacts + message.unverifiedContacts {
                kinds.append(kind.rawValue)
                values.append(value)
            }
        }
        for row in try await connection.rows("""
            SELECT i.kind, i.value, c.id, c.tier, c.name IS NULL AS unnamed
            FROM unnest(\(kinds)::text[], \(values)::text[]) AS k(kind, value)
            JOIN identities i ON i.kind = k.kind AND i.value = k.value JOIN customers c ON c.id = i.customer_id
            """, logger: logger) {
            let id: Int64 = try row["id"]
            batch.identities[PGCustomers.lockKey(try row["kind"], try row["value"])] = id
            batch.customers[id] = Known(id: id, tier: CustomerTier(rawValue: try row["tier"]) ?? .standard, unnamed: try row["unnamed"])
        }
        return batch
    }

    func customer(kind: IdentityKind, value: String) -> Known? {
        identities[PGCustomers.lockKey(kind.rawValue, value)].flatMap { customers[$0] }
    }

    func remember(_ message: InboundMessage, _ result: IngestResult) {
        stored[Self.key(channel: message.channel, externalID: message.externalID)] =
            Stored(messageID: result.messageID, ticketID: result.ticketID, customerID: result.customerID)
    }

    /// Identities just inserted with `ON CONFLICT DO NOTHING`: one another customer already has stays theirs.
    func added(_ identities: [(IdentityKind, String)], to customer: Known) {
        customers[customer.id] = customer
        for (kind, value) in identities where self.identities[PGCustomers.lockKey(kind.rawValue, value)] == nil {
            self.identities[PGCustomers.lockKey(kind.rawValue, value)] = customer.id
        }
    }

    func named(_ customer: Int64) { customers[customer]?.unnamed = false }

    func contacted(_ customer: Int64) { contacted.insert(customer) }

    func finish(_ connection: PostgresConnection, logger: Logger, at now: Date) async throws {
        guard !contacted.isEmpty else { return }
        try await connection.query("""
            UPDATE customers SET last_contact_at = GREATEST(last_contact_at, \(now.seconds)) WHERE id = ANY(\(contacted.sorted()))
            """, logger: logger)
    }
}

/// The ingest transaction on PostgreSQL: the same steps and rules as `Intake`. What can be read for a whole
/// batch at once comes from `batch`; the rest is one round trip per statement, the fixed-shape ones
/// prepared once per connection (`PGIntakeSQL`).
struct PGIntake {
    let connection: PostgresConnection
    let logger: Logger
    let now: Date
    var batch = PGIntakeBatch()

    func ingest(_ p: Intake.Prepared, channel: ChannelSettings, rules: PriorityRules, sla: SLAConfiguration,
                log: inout PostgresEventLog) async throws -> IngestResult {
        let clocks = PGClockBook(connection: connection, logger: logger, config: sla, now: now)
        let m = p.message
        // The transaction holds the advisory locks of the message's identities (`ingestBatch`).
        // 1. The idempotency key: the same (channel, external id) returns the first result.
        if let dup = batch.stored[PGIntakeBatch.key(channel: m.channel, externalID: m.externalID)] {
            return IngestResult(messageID: dup.messageID, ticketID: dup.ticketID, customerID: dup.customerID,
                                duplicate: true, ticketCreated: false, customerCreated: false, threadedBy: nil)
        }
        let result = m.automated ? try await ingestAutomated(p, channel: channel, log: &log)
            : try await ingestFromCustomer(p, channel: channel, rules: rules, sla: sla, clocks: clocks, log: &log)
        batch.remember(m, result)
        return result
    }

    private func ingestFromCustomer(_ p: Intake.Prepared, channel: ChannelSettings, rules: PriorityRules, sla: SLAConfiguration,
                                    clocks: PGClockBook, log: inout PostgresEventLog) async throws -> IngestResult {
        let m = p.message
        let t = now.seconds

        // 2. Identity → customer (the rules of `Intake.ingest`).
        var customerCreated = false
        let customerID: Int64
        let tier: CustomerTier
        let bySender = batch.customer(kind: p.identityKind, value: p.address)
        var found = bySender
        for (kind, value) in p.contacts where found == nil { found = batch.customer(kind: kind, value: value) }
        if let found {
            customerID = found.id
            tier = found.tier
            if found.unnamed, let display = p.displayName {
                try await connection.query("""
                    UPDATE customers SET name = \(display), search_name = \(p.foldedName), last_contact_at = \(t), updated_at = \(t)
                    WHERE id = \(customerID)
                    """, logger: logger)
                batch.named(customerID)
            } else {
                batch.contacted(customerID)
            }
        } else {
            customerID = try await connection.value(Int64.self, PGIntakeSQL.InsertCustomer.self, [p.displayName, p.foldedName, t],
                                                    logger: logger)!
            tier = .standard
            customerCreated = true
            log.append(.customerCreated, ticket: nil, customer: customerID, at: now, data: ["customerID": .int(customerID)])
        }
        let identities = (bySender == nil ? [(p.identityKind, p.address)] : []) + p.contacts + p.unverifiedContacts
        if !identities.isEmpty {
            var insert = SQLBuilder("INSERT INTO identities (customer_id, kind, value, channel, created_at) VALUES ")
            for (index, (kind, value)) in identities.enumerated() {
                let values = [insert.bind(customerID), insert.bind(kind.rawValue), insert.bind(value), insert.bind(m.channel), insert.bind(t)]
                insert.append((index > 0 ? ", " : "") + "(\(values.joined(separator: ", ")))")
            }
            insert.append(" ON CONFLICT (kind, value) DO NOTHING")
            try await connection.query(insert.query, logger: logger)
        }
        batch.added(identities, to: PGIntakeBatch.Known(id: customerID, tier: tier, unnamed: (found?.unnamed ?? true) && p.displayName == nil))

        // 3. Thread: explicit hints, then the subject token, then recency on conversational channels.
        let decision = Threading.decide(
            customerID: customerID,
            byHeader: try await candidateByHeaders(m.threadHints.referencedMessageIDs),
            byConversation: try await m.threadHints.conversationID.asyncFlatMap { try await candidateByConversation(channel: m.channel, $0) },
            bySubjectToken: try await p.ticketToken.asyncFlatMap { try await candidate(ticketID: $0) },
            byRecency: channel.kind.threadsByRecency
                ? try await candidateByRecency(customerID: customerID, channel: m.channel, since: t - channel.threadWindow) : nil)

        let ticketID: Int64
        var threadedBy: Threading.Rule?
        switch decision {
        case .append(let id, let rule):
            ticketID = id
            threadedBy = rule
            let current = try await connection.rows(PGIntakeSQL.LockTicket.self, [id], logger: logger).first
            let status = try current.flatMap { TicketStatus(rawValue: try $0["status"]) } ?? .open
            let answered = try current.map { try $0["answered"] as Bool } ?? true
            let next = status.afterCustomerMessage
            _ = try await connection.rows(PGIntakeSQL.TouchTicket.self, [id, next.rawValue, t, next != status], logger: logger)
            if next != status {
                log.append(.ticketUpdated, ticket: id, customer: customerID, at: now, data: [
                    "changes": .object(["status": .object(["from": .string(status.rawValue), "to": .string(next.rawValue)])]),
                    "cause": .string("customer-message"),
                ])
            }
            if answered || next != status {
                try await clocks.apply(ticketID: id, log: &log) { _ in
                    (next != status ? [.statusChanged(from: status, to: next)] : []) + [.customerWrote]
                }
            }
        case .newTicket:
            let priority = rules.classify(keywordPriority: p.keywordPriority, tier: tier, channelKind: channel.kind, channelDefault: channel.defaultPriority)
            let assignee = try await pickAssignee(channel.assignment)
            let tags = channel.tags
            let (slaClocks, slaChanges) = clocks.starting(SLATicketFacts(
                priority: priority, channel: m.channel, channelKind: channel.kind, tier: tier, tags: tags))
            let sla = ClockBook.ticketColumns(slaClocks)
            let tagsText = tags.isEmpty ? "[]" : JSONText.encode(tags)
            ticketID = try await connection.value(Int64.self, PGIntakeSQL.InsertTicket.self, [
                p.subject, p.foldedSubject, priority.rawValue, m.channel, channel.kind.rawValue, customerID, assignee, tagsText, t,
                sla.policy, sla.firstResponse, sla.nextResponse, sla.resolution, sla.dueSort,
            ], logger: logger)!
            try await clocks.save(ticketID: ticketID, before: TicketClocks(), after: slaClocks, changes: slaChanges, log: &log, updateTicket: false)
            if !tags.isEmpty {
                var insert = SQLBuilder("INSERT INTO ticket_tags (ticket_id, tag) VALUES ")
                for (index, tag) in Set(tags).sorted().enumerated() {
                    insert.append((index > 0 ? ", " : "") + "(\(insert.bind(ticketID)), \(insert.bind(tag)))")
                }
                try await connection.query(insert.query, logger: logger)
            }
            log.append(.ticketCreated, ticket: ticketID, customer: customerID, at: now, data: [
                "number": .int(ticketID), "status": .string("new"), "priority": .string(priority.rawValue),
                "channel": .string(m.channel), "channelKind": .string(channel.kind.rawValue),
                "assigneeID": .optionalInt(assignee),
            ])
        }

        // 4. The message itself, its attachments, and the event.
        let messageID = try await insertMessage(p, ticketID: ticketID, customerID: customerID, log: &log)
        return IngestResult(
            messageID: messageID, ticketID: ticketID, customerID: customerID, duplicate: false,
            ticketCreated: decision == .newTicket, customerCreated: customerCreated, threadedBy: threadedBy)
    }

    /// A machine's message: the rules of `Intake.ingestAutomated`.
    func ingestAutomated(_ p: Intake.Prepared, channel: ChannelSettings, log: inout PostgresEventLog) async throws -> IngestResult {
        let m = p.message
        let known = batch.customer(kind: p.identityKind, value: p.address)?.id
        var target: (ticket: Int64, customer: Int64, rule: Threading.Rule)?
        if let known, case .append(let id, let rule) = Threading.decide(
            customerID: known, byHeader: try await candidateByHeaders(m.threadHints.referencedMessageIDs),
            byConversation: try await m.threadHints.conversationID.asyncFlatMap { try await candidateByConversation(channel: m.channel, $0) },
            bySubjectToken: try await p.ticketToken.asyncFlatMap { try await candidate(ticketID: $0) },
            byRecency: channel.kind.threadsByRecency
                ? try await candidateByRecency(customerID: known, channel: m.channel, since: now.seconds - channel.threadWindow) : nil) {
            target = (id, known, rule)
        } else if let ours = try await candidateByHeaders(m.threadHints.referencedMessageIDs, outboundOnly: true), ours.status != .closed {
            target = (ours.ticketID, ours.customerID, .threadHeader)
        }
        guard let target else {
            throw StoreError.invalid(ValidationError(
                field: "automated", reason: "an automated message (auto-reply, bounce, list mail) that threads into no ticket opens none"))
        }
        let t = now.seconds
        try await connection.query(
            "UPDATE tickets SET last_activity_at = \(t), updated_at = \(t), message_count = message_count + 1 WHERE id = \(target.ticket)",
            logger: logger)
        let messageID = try await insertMessage(p, ticketID: target.ticket, customerID: known == target.customer ? known : nil, log: &log)
        return IngestResult(
            messageID: messageID, ticketID: target.ticket, customerID: target.customer, duplicate: false,
            ticketCreated: false, customerCreated: false, threadedBy: target.rule)
    }

    private func insertMessage(_ p: Intake.Prepared, ticketID: Int64, customerID: Int64?, log: inout PostgresEventLog) async throws -> Int64 {
        let m = p.message
        let media = m.media.isEmpty ? nil : JSONText.encode(m.media)
        let messageID = try await connection.value(Int64.self, PGIntakeSQL.InsertMessage.self, [
            ticketID, m.channel, m.externalID, m.threadHints.messageID, m.threadHints.conversationID, customerID,
            m.subject, m.text, m.html, (m.sentAt ?? m.receivedAt)?.seconds, now.seconds, m.automated ? Int32(1) : Int32(0), media,
        ], logger: logger)!
        if !p.files.isEmpty {
            // A staged file was committed before this transaction; an erasure may have deleted it since (it
            // cannot now: the transaction holds the file's lock), so one that is gone is stored again.
            let staged = p.files.compactMap(\.0.sha256)
            let present = staged.isEmpty ? [] : Set(try await connection.rows(
                "SELECT sha256 FROM blobs WHERE sha256 = ANY(\(staged))", logger: logger).map { try $0["sha256"] as String })
            try await PGBlobs.insert(connection, logger: logger, p.files.filter { !present.contains($0.1) }.map { ($0.1, $0.0.content) }, at: now)
            var insert = SQLBuilder("INSERT INTO attachments (message_id, name, content_type, size, sha256) VALUES ")
            for (index, (attachment, hash)) in p.files.enumerated() {
                let values = [insert.bind(messageID), insert.bind(attachment.name), insert.bind(attachment.contentType),
                              insert.bind(Int64(attachment.content.count)), insert.bind(hash)]
                insert.append((index > 0 ? ", " : "") + "(\(values.joined(separator: ", ")))")
            }
            try await connection.query(insert.query, logger: logger)
        }
        var data: [String: JSONValue] = ["messageID": .int(messageID), "kind": .string("inbound"), "channel": .string(m.channel)]
        if m.automated { data["automated"] = .bool(true) }
        log.append(.messageAdded, ticket: ticketID, customer: customerID, at: now, data: data)
        return messageID
    }

    /// Follows merges to the ticket that now holds the conversation.
    func candidate(ticketID: Int64) async throws -> Threading.Candidate? {
        var id = ticketID
        for _ in 0..<16 {
            guard let row = try await connection.first("SELECT customer_id, status, merged_into FROM tickets WHERE id = \(id)", logger: logger) else {
                return nil
            }
            if let next: Int64 = try row["merged_into"] { id = next; continue }
            return Threading.Candidate(ticketID: id, customerID: try row["customer_id"], status: TicketStatus(rawValue: try row["status"]) ?? .open)
        }
        return nil
    }

    private func candidateByHeaders(_ ids: [String], outboundOnly: Bool = false) async throws -> Threading.Candidate? {
        for header in ids.prefix(50) {
            let ticket = outboundOnly
                ? try await connection.value(Int64.self, """
                    SELECT ticket_id FROM messages WHERE message_id_header = \(header) AND kind = 'outbound' ORDER BY id DESC LIMIT 1
                    """, logger: logger)
                : try await connection.value(Int64.self, """
                    SELECT ticket_id FROM messages WHERE message_id_header = \(header) ORDER BY id DESC LIMIT 1
                    """, logger: logger)
            if let ticket { return try await candidate(ticketID: ticket) }
        }
        return nil
    }

    private func candidateByConversation(channel: String, _ conversation: String) async throws -> Threading.Candidate? {
        guard let ticket = try await connection.value(Int64.self, """
            SELECT ticket_id FROM messages WHERE channel = \(channel) AND conversation_id = \(conversation) ORDER BY id DESC LIMIT 1
            """, logger: logger) else { return nil }
        return try await candidate(ticketID: ticket)
    }

    private func candidateByRecency(customerID: Int64, channel: String, since: Double) async throws -> Threading.Candidate? {
        try await connection.rows(PGIntakeSQL.TicketByRecency.self, [customerID, channel, since], logger: logger).first.map {
            Threading.Candidate(ticketID: try $0["id"], customerID: customerID, status: TicketStatus(rawValue: try $0["status"]) ?? .open)
        }
    }

    /// Round robin within the group, the cursor row locked so processes assigning at once take turns.
    func pickAssignee(_ rule: AssignmentRule) async throws -> Int64? {
        guard let group = rule.group else { return nil }
        let candidates = try await connection.rows("""
            SELECT a.id, a.capacity,
                (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = a.id AND t.status IN ('new', 'open', 'pending')) AS load
            FROM agents a
            WHERE a.available = 1 AND a.role IN ('agent', 'supervisor', 'admin') AND a.groups::jsonb ? \(group)
            """, logger: logger).map {
            AssignmentRule.Candidate(agentID: try $0["id"], openTickets: try $0.int("load"), capacity: try $0.int("capacity"))
        }
        let last = try await connection.value(Int64.self, """
            SELECT last_agent_id FROM assignment_cursors WHERE group_name = \(group) FOR UPDATE
            """, logger: logger)
        guard let chosen = rule.pick(from: candidates, lastAssigned: last) else { return nil }
        try await connection.query("""
            INSERT INTO assignment_cursors (group_name, last_agent_id) VALUES (\(group), \(chosen))
            ON CONFLICT (group_name) DO UPDATE SET last_agent_id = excluded.last_agent_id
            """, logger: logger)
        return chosen
    }
}

/// File contents (attachments, raw mail) in the database, content-addressed like the SQLite store's files,
/// so every process reads what any process stored.
enum PGBlobs {
    static func insert(_ connection: PostgresConnection, logger: Logger, _ files: [(hash: String, data: Data)], at: Date) async throws {
        var unique: [String: Data] = [:]
        for (hash, data) in files { unique[hash] = data }
        guard !unique.isEmpty else { return }
        var insert = SQLBuilder("INSERT INTO blobs (sha256, data, created_at) VALUES ")
        for (index, (hash, data)) in unique.sorted(by: { $0.key < $1.key }).enumerated() {
            insert.append((index > 0 ? ", " : "") + "(\(insert.bind(hash)), \(insert.bind(ByteBuffer(data: data))), \(insert.bind(at.seconds)))")
        }
        insert.append(" ON CONFLICT (sha256) DO NOTHING")
        try await connection.query(insert.query, logger: logger)
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
