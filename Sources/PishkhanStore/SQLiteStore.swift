import Crypto
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import Logging
import PishkhanCore
import Synchronization

/// The embedded store: SQLite through GRDB, WAL, `synchronous=FULL` so an acknowledged write survives
/// a power cut, not just a crash. Ingests are group-committed: concurrent ingests share one transaction,
/// and every caller is answered only after that transaction committed.
public final class SQLiteStore: Store {
    let writer: any DatabaseWriter
    let attachments: AttachmentFiles?
    let normalizer: IdentityNormalizer
    let clock: @Sendable () -> Date
    let logger: Logger
    public let events: EventHub
    /// Clock changes for the SLA scheduler, in commit order.
    public let slaTimers: SLATimerFeed
    /// The SLA policies and calendars in force; swapped on the writer when an admin changes them.
    let sla: Mutex<SLAConfiguration>
    let committer: GroupCommitter

    /// Opens (creating if needed) the database file and runs pending migrations.
    public convenience init(
        path: String, attachmentsDirectory: URL?, normalizer: IdentityNormalizer = IdentityNormalizer(),
        logger: Logger = Logger(label: "pishkhan.store"), clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        _ = SQLiteLibrary.configured
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // 64 MiB of page cache per connection, and a checkpoint every 64 MiB of WAL rather than every
            // 4 MiB: hot index pages are then copied back once per checkpoint instead of dozens of times.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        let pool = try DatabasePool(path: path, configuration: config)
        let checkpointer = try WALCheckpointer(path: path, logger: logger)
        try self.init(writer: pool, attachmentsDirectory: attachmentsDirectory, normalizer: normalizer, logger: logger, clock: clock,
                      checkpointer: checkpointer)
    }

    /// An in-memory database, for tests of store logic.
    public static func inMemory(
        attachmentsDirectory: URL? = nil, normalizer: IdentityNormalizer = IdentityNormalizer(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws -> SQLiteStore {
        _ = SQLiteLibrary.configured
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA foreign_keys = ON") }
        return try SQLiteStore(
            writer: DatabaseQueue(configuration: config), attachmentsDirectory: attachmentsDirectory,
            normalizer: normalizer, logger: Logger(label: "pishkhan.store"), clock: clock)
    }

    init(writer: any DatabaseWriter, attachmentsDirectory: URL?, normalizer: IdentityNormalizer, logger: Logger,
         clock: @escaping @Sendable () -> Date, checkpointer: WALCheckpointer? = nil) throws {
        self.writer = writer
        self.attachments = attachmentsDirectory.map(AttachmentFiles.init(directory:))
        self.normalizer = normalizer
        self.clock = clock
        self.logger = logger
        let hub = EventHub()
        self.events = hub
        let feed = SLATimerFeed()
        self.slaTimers = feed
        self.committer = GroupCommitter(writer: writer, logger: logger, feed: feed, checkpointer: checkpointer,
                                        onCommit: { log in hub.publish(log.maxSeq, committed: log.committed) })
        try Migrations.migrator.migrate(writer)
        self.sla = Mutex(try writer.read(Self.loadSLAConfiguration))
        let latest = try writer.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0 }
        events.publish(latest)
    }

    /// Migrations the database file at `path` does not have yet, oldest first (all of them when there is no
    /// file). Reads only; nothing is applied.
    public static func pendingMigrations(path: String) throws -> [String] {
        let all = Migrations.migrator.migrations
        guard FileManager.default.fileExists(atPath: path) else { return all }
        _ = SQLiteLibrary.configured
        var config = Configuration()
        config.readonly = true
        let applied = try DatabaseQueue(path: path, configuration: config).read { db in
            try db.tableExists("grdb_migrations") ? Set(try Migrations.migrator.appliedIdentifiers(db)) : []
        }
        return all.filter { !applied.contains($0) }
    }

    /// Names of the migrations applied, oldest first.
    public func appliedMigrations() throws -> [String] {
        try writer.read { db in try Migrations.migrator.appliedMigrations(db) }
    }

    public func ping() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// Runs one write transaction and tells event followers about the events it wrote, after commit.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database, inout EventLog) throws -> T) async throws -> T {
        let feed = slaTimers
        let (value, log) = try await writer.write { db -> (T, EventLog) in
            var log = EventLog()
            let value = try body(db, &log)
            log.announceTimers(db, to: feed)
            return (value, log)
        }
        if log.maxSeq > 0 { events.publish(log.maxSeq, committed: log.committed) }
        return value
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.read(body)
    }
}

/// What followers must learn once the current transaction commits: the events it wrote and the SLA
/// timers it changed.
struct EventLog {
    var maxSeq: Int64 = 0
    var timers: [SLATimerUpdate] = []
    /// The events written, for the hub to hand to this process's followers without a read.
    var committed: [EventHub.Committed] = []

    /// Hands the timer changes to the scheduler from the commit hook: in commit order, and never for a
    /// transaction that rolled back.
    mutating func announceTimers(_ db: Database, to feed: SLATimerFeed) {
        guard !timers.isEmpty else { return }
        let updates = timers
        timers = []
        db.afterNextTransaction { _ in feed.publish(updates) }
    }

    mutating func append(_ db: Database, _ type: EventType, ticket: Int64?, customer: Int64?, at: Date, data: [String: JSONValue]) throws {
        let text = JSONValue.object(data).jsonText
        let occurred = at.timeIntervalSince1970
        try Binder.execute(db, "INSERT INTO events (type, version, ticket_id, customer_id, data, occurred_at) VALUES (?, 1, ?, ?, ?, ?)") {
            $0.text(type.rawValue)
            $0.int(ticket)
            $0.int(customer)
            $0.text(text)
            $0.double(occurred)
        }
        let seq = db.lastInsertedRowID
        maxSeq = max(maxSeq, seq)
        committed.append(EventHub.Committed(seq: seq, type: type, ticketID: ticket, customerID: customer, occurredAt: occurred, data: text))
    }
}

/// Serializes batches of ingests into single transactions on a dedicated thread, keeping the cooperative
/// pool free while SQLite works and fsyncs.
final class GroupCommitter: Sendable {
    typealias Work = @Sendable (Database, inout EventLog) throws -> IngestResult
    private struct Job {
        var work: Work
        var continuation: CheckedContinuation<IngestResult, any Error>
    }
    private struct State {
        var queue: [Job] = []
        var draining = false
    }
    private let state = Mutex(State())
    private let writer: any DatabaseWriter
    private let logger: Logger
    private let feed: SLATimerFeed
    /// Told the events of each committed batch that wrote any.
    private let onCommit: @Sendable (EventLog) -> Void
    private let checkpointer: WALCheckpointer?
    private let thread = DispatchQueue(label: "pishkhan.ingest")
    static let maxBatch = 1024

    init(writer: any DatabaseWriter, logger: Logger, feed: SLATimerFeed, checkpointer: WALCheckpointer? = nil,
         onCommit: @escaping @Sendable (EventLog) -> Void) {
        self.writer = writer
        self.logger = logger
        self.feed = feed
        self.checkpointer = checkpointer
        self.onCommit = onCommit
    }

    func submit(_ work: @escaping Work) async throws -> IngestResult {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { s -> Bool in
                s.queue.append(Job(work: work, continuation: continuation))
                if s.draining { return false }
                s.draining = true
                return true
            }
            if start { thread.async { self.drain() } }
        }
    }

    /// One transaction for the whole batch. Without isolation any error aborts it (the fast path: errors
    /// are rare, validation happened before); with isolation each job runs in its own savepoint.
    private func run(_ batch: [Job], isolated: Bool) throws -> ([Result<IngestResult, any Error>], EventLog) {
        try writer.write { db in
            var log = EventLog()
            var outcomes = [Result<IngestResult, any Error>]()
            outcomes.reserveCapacity(batch.count)
            for job in batch {
                guard isolated else {
                    outcomes.append(.success(try job.work(db, &log)))
                    continue
                }
                var outcome: Result<IngestResult, any Error> = .failure(CancellationError())
                do {
                    try db.inSavepoint {
                        var jobLog = log
                        outcome = .success(try job.work(db, &jobLog))
                        log = jobLog
                        return .commit
                    }
                } catch {
                    outcome = .failure(error)
                }
                outcomes.append(outcome)
            }
            log.announceTimers(db, to: feed)
            return (outcomes, log)
        }
    }

    private func drain() {
        while true {
            let batch = state.withLock { s -> [Job] in
                let n = min(s.queue.count, Self.maxBatch)
                let batch = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                if batch.isEmpty { s.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            var outcomes = [Result<IngestResult, any Error>]()
            var log = EventLog()
            do {
                (outcomes, log) = try run(batch, isolated: false)
            } catch {
                // Something in the batch failed and the whole transaction rolled back. Redo it with a
                // savepoint per job, so a failure costs only its own message.
                logger.notice("ingest batch failed; retrying each message on its own", metadata: ["size": "\(batch.count)", "error": "\(error)"])
                do {
                    (outcomes, log) = try run(batch, isolated: true)
                } catch {
                    logger.error("ingest batch could not be committed", metadata: ["size": "\(batch.count)", "error": "\(error)"])
                    for job in batch { job.continuation.resume(throwing: error) }
                    continue
                }
            }
            if log.maxSeq > 0 { onCommit(log) }
            for (job, outcome) in zip(batch, outcomes) { job.continuation.resume(with: outcome) }
            checkpointer?.committed()
        }
    }
}

/// Copies committed WAL pages back into the database file from a connection and a thread of its own,
/// so that the copy and its fsync do not stall ingest. Left to SQLite's automatic checkpoint, every
/// 16,384 pages of WAL the committing connection copied them itself (50–70 ms) while every message
/// waited; with small group commits at 2,000 chat messages a second that was every 1–2 s. Checkpoints
/// here are PASSIVE (they never wait for or block readers and writers) and run at most every
/// `interval` after commits; the writer's own automatic checkpoint stays as the backstop, and finds
/// little left to copy.
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let logger: Logger
    private let interval: Duration
    private let queue = DispatchQueue(label: "pishkhan.checkpoint")
    private let state = Mutex<(running: Bool, last: ContinuousClock.Instant)>((false, .now))

    init(path: String, logger: Logger = Logger(label: "pishkhan.store"), interval: Duration = .milliseconds(200)) throws {
        _ = SQLiteLibrary.configured
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        connection = try DatabaseQueue(path: path, configuration: config)
        self.logger = logger
        self.interval = interval
    }

    /// Called after each commit: starts a checkpoint when none is running and the last began `interval` ago.
    func committed() {
        let start = state.withLock { s -> Bool in
            guard !s.running, ContinuousClock.now - s.last >= interval else { return false }
            s.running = true
            s.last = .now
            return true
        }
        guard start else { return }
        queue.async {
            do {
                _ = try self.checkpoint()
            } catch {
                // Busy means another checkpoint (the writer's own) is running: nothing lost, next time.
                self.logger.debug("WAL checkpoint skipped", metadata: ["error": "\(error)"])
            }
            self.state.withLock { $0.running = false }
        }
    }

    /// One PASSIVE checkpoint now, on the caller's thread: frames in the WAL, and how many of them are
    /// now in the database file.
    func checkpoint() throws -> (walFrameCount: Int, checkpointedFrameCount: Int) {
        try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }

    /// Returns once a checkpoint started by `committed()` has ended.
    func waitForCheckpoint() {
        queue.sync {}
    }
}

/// Content-addressed attachment files: `<dir>/<first two hex>/<sha256>`, written before the transaction
/// that references them (an orphan file is harmless; a row without its file is not).
struct AttachmentFiles: Sendable {
    let directory: URL
    /// File writes end in an fsync; they run here, not on the cooperative pool, so many can be in flight
    /// at once (a mailbox batch writes dozens) without starving other tasks.
    private let queue = DispatchQueue(label: "pishkhan.files", attributes: .concurrent)

    init(directory: URL) {
        self.directory = directory
    }

    /// `store(_:durable:)` off the cooperative pool. Not `durable`: many files, then one `sync()`, cost
    /// one flush instead of one per file.
    func write(_ data: Data, durable: Bool = true) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try self.store(data, durable: durable) }) }
        }
    }

    /// A plain write(2), no fsync: Foundation's `Data.write` syncs every file.
    private static func writeUnsynced(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CocoaError(.fileWriteUnknown)
                }
                offset += n
            }
        }
    }

    /// Flushes everything staged to disk (`syncfs` on the attachments' file system).
    func sync() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                try? FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
                let fd = open(self.directory.path, O_RDONLY)
                guard fd >= 0 else { return continuation.resume(throwing: CocoaError(.fileWriteUnknown)) }
                defer { close(fd) }
                continuation.resume(with: systemSyncfs(fd) == 0 ? .success(()) : .failure(CocoaError(.fileWriteUnknown)))
            }
        }
    }

    /// Several files at once; hashes in order.
    func write(_ files: [Data], durable: Bool = true) async throws -> [String] {
        let writes = files.map { data in Task { try await self.write(data, durable: durable) } }
        var hashes: [String] = []
        for write in writes { hashes.append(try await write.value) }
        return hashes
    }

    /// Attachments' files, hashes in order: one that names the hash of a file already here (staged by
    /// the caller) is taken as it is, without reading it; the others are written.
    func write(_ attachments: [InboundMessage.Attachment], durable: Bool = true) async throws -> [String] {
        var hashes = attachments.map { attachment in
            attachment.sha256.flatMap { Self.isHash($0) && access(url(for: $0).path, F_OK) == 0 ? $0 : nil }
        }
        let missing = hashes.indices.filter { hashes[$0] == nil }
        for (index, hash) in zip(missing, try await write(missing.map { attachments[$0].content }, durable: durable)) {
            hashes[index] = hash
        }
        return hashes.map { $0! }
    }

    /// 64 lowercase hex digits, as `store(_:durable:)` names files.
    static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Writes `data` under its hash. `durable` syncs it to disk before returning; without it the caller
    /// must call `sync()` before committing anything that refers to the file.
    func store(_ data: Data, durable: Bool = true) throws -> String {
        let hash = Hex.encode(SHA256.hash(data: data))
        let folder = directory.path + "/" + hash.prefix(2)
        let file = folder + "/" + hash
        if access(file, F_OK) == 0 { return hash }
        if mkdir(folder, 0o755) != 0 && errno != EEXIST {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let temp = folder + "/.\(hash).\(UUID().uuidString)"
        if durable {
            try data.write(to: URL(fileURLWithPath: temp), options: .atomic)
        } else {
            try Self.writeUnsynced(data, to: temp)
        }
        if rename(temp, file) != 0 {
            unlink(temp)
            if access(file, F_OK) != 0 { throw CocoaError(.fileWriteUnknown) }
        }
        return hash
    }

    func url(for hash: String) -> URL {
        directory.appendingPathComponent(String(hash.prefix(2)), isDirectory: true).appendingPathComponent(hash)
    }

    func remove(_ hash: String) {
        try? FileManager.default.removeItem(at: url(for: hash))
    }
}

enum JSONText {
    /// A list of strings (tags, groups) as JSON, without a JSONEncoder.
    static func encode(_ strings: [String]) -> String {
        JSONValue.array(strings.map(JSONValue.string)).jsonText
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func encode<T: Encodable>(_ value: T) -> String {
        // Encoding plain arrays and dictionaries of JSON values cannot fail.
        String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// A stored JSON object (event data, attributes); empty when absent or not an object.
    static func object(_ text: String?) -> [String: JSONValue] {
        guard let text, case .object(let object)? = JSONValue(parsing: text) else { return [:] }
        return object
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?, default value: T) -> T {
        guard let text, let data = text.data(using: .utf8) else { return value }
        return (try? JSONDecoder().decode(T.self, from: data)) ?? value
    }
}

/// Opaque keyset-pagination cursors.
enum Cursor {
    /// base64url, so a cursor travels in a query string unescaped.
    static func make(_ sort: Double, _ id: Int64) -> String {
        Data("\(sort):\(id)".utf8).base64URLEncoded
    }

    static func parse(_ s: String?) throws -> (Double, Int64)? {
        guard let s else { return nil }
        var b64 = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        b64 += String(repeating: "=", count: (4 - b64.count % 4) % 4)
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8) else {
            throw StoreError.invalid(ValidationError(field: "cursor", reason: "is not a cursor this server issued"))
        }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let sort = Double(parts[0]), let id = Int64(parts[1]) else {
            throw StoreError.invalid(ValidationError(field: "cursor", reason: "is not a cursor this server issued"))
        }
        return (sort, id)
    }
}

extension Data {
    /// RFC 4648 §5 base64url without padding: safe in URLs and headers as it is.
    var base64URLEncoded: String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

extension Date {
    var seconds: Double { timeIntervalSince1970 }
}

extension Optional where Wrapped == Double {
    var date: Date? { map { Date(timeIntervalSince1970: $0) } }
}

extension Double {
    var date: Date { Date(timeIntervalSince1970: self) }
}

/// glibc's `syncfs(2)`, which the Glibc module does not export (it needs `_GNU_SOURCE`).
@_silgen_name("syncfs")
private func systemSyncfs(_ fd: Int32) -> Int32
