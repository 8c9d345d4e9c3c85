import Foundation
import GRDB
import PishkhanCore

/// A knowledge item's table: articles (`kb_articles`, keyed by id) and canned responses
/// (`canned_responses`, keyed by shortcut) are stored, seeded and versioned the same way.
protocol KnowledgeRecord: Codable, Sendable, Equatable {
    static var table: String { get }
    static var keyColumn: String { get }
    /// Noun for messages and audit actions: "article", "canned response".
    static var noun: String { get }
    /// Content columns besides the key, in `values` order.
    static var columns: [String] { get }
    var key: String { get }
    var values: [(any DatabaseValueConvertible)?] { get }
    init(row: Row)
    func validate() throws(ValidationError)
}

extension KnowledgeRecord {
    /// The item as it may be stored, or `StoreError.invalid` naming the field; with `key` (an update), also
    /// refuses changing the key. Both backends check here.
    func storable(replacing key: String? = nil) throws -> Self {
        do {
            try validate()
        } catch {
            throw StoreError.invalid(error)
        }
        if let key, self.key != key {
            throw StoreError.invalid(ValidationError(field: Self.keyColumn, reason: "cannot change (\(key) → \(self.key)); create a new \(Self.noun) instead"))
        }
        return self
    }

    /// The live item's version (nil: missing or deleted, not found); a conflict when it is not the expected one.
    static func checkVersion(_ version: Int64?, key: String, expected: Int64?) throws -> Int64 {
        guard let version else { throw StoreError.notFound("\(noun) \(key)") }
        if let expected, expected != version {
            throw StoreError.conflict("\(noun) \(key) is at version \(version), not \(expected): someone changed it meanwhile")
        }
        return version
    }
}

extension Article: KnowledgeRecord {
    static let table = "kb_articles"
    static let keyColumn = "id"
    static let noun = "article"
    static let columns = ["locale", "title", "tags", "keywords", "summary", "status", "body"]
    var key: String { id }
    var values: [(any DatabaseValueConvertible)?] {
        [locale.rawValue, title, JSONText.encode(tags), JSONText.encode(keywords), summary, status.rawValue, body]
    }
    init(row: Row) {
        self.init(
            id: row["id"], title: row["title"], locale: Locale(rawValue: row["locale"]) ?? .en,
            tags: JSONText.decode([String].self, row["tags"], default: []), keywords: JSONText.decode([String].self, row["keywords"], default: []),
            summary: row["summary"], status: Status(rawValue: row["status"]) ?? .published, body: row["body"])
    }
}

extension CannedResponse: KnowledgeRecord {
    static let table = "canned_responses"
    static let keyColumn = "shortcut"
    static let noun = "canned response"
    static let columns = ["locale", "title", "body"]
    var key: String { shortcut }
    var values: [(any DatabaseValueConvertible)?] { [locale.rawValue, title, body] }
    init(row: Row) {
        self.init(shortcut: row["shortcut"], title: row["title"], locale: Article.Locale(rawValue: row["locale"]) ?? .en, body: row["body"])
    }
}

extension SQLiteStore {
    // MARK: Seeding

    /// Brings the files' articles and canned responses into the database. A new item is inserted; an item
    /// still owned by its file takes the file's current content; an item created, edited or deleted through
    /// the API is left as the API left it.
    public func seedKnowledge(articles: [Article], canned: [CannedResponse]) async throws -> (articles: KnowledgeSeedReport, canned: KnowledgeSeedReport) {
        let now = clock().seconds
        return try await write { db, _ in
            (try Self.seed(db, articles, now: now), try Self.seed(db, canned, now: now))
        }
    }

    private static func seed<T: KnowledgeRecord>(_ db: Database, _ items: [T], now: Double) throws -> KnowledgeSeedReport {
        var report = KnowledgeSeedReport()
        for item in items {
            let row = try Row.fetchOne(db, sql: "SELECT * FROM \(T.table) WHERE \(T.keyColumn) = ?", arguments: [item.key])
            guard let row else {
                try insert(db, item, origin: .file, version: 1, createdAt: now, now: now)
                report.inserted += 1
                continue
            }
            if row["origin"] as String != Stored<T>.Origin.file.rawValue || row["deleted_at"] as Double? != nil {
                report.keptFromAPI += 1
            } else if T(row: row) != item {
                try overwrite(db, item, origin: .file, version: row["version"] as Int64 + 1, now: now)
                report.updated += 1
            } else {
                report.unchanged += 1
            }
        }
        return report
    }

    // MARK: Articles

    public func articles() async throws -> [Stored<Article>] { try await Self.all(self, Article.self) }
    public func article(id: String) async throws -> Stored<Article> { try await Self.one(self, Article.self, key: id) }
    public func createArticle(_ article: Article, actor: Int64) async throws -> Stored<Article> { try await Self.create(self, article, actor: actor) }
    public func updateArticle(id: String, _ article: Article, expectedVersion: Int64?, actor: Int64) async throws -> Stored<Article> {
        try await Self.update(self, key: id, article, expectedVersion: expectedVersion, actor: actor)
    }
    public func deleteArticle(id: String, expectedVersion: Int64?, actor: Int64) async throws {
        try await Self.delete(self, Article.self, key: id, expectedVersion: expectedVersion, actor: actor)
    }

    // MARK: Canned responses

    public func cannedResponses() async throws -> [Stored<CannedResponse>] { try await Self.all(self, CannedResponse.self) }
    public func cannedResponse(shortcut: String) async throws -> Stored<CannedResponse> { try await Self.one(self, CannedResponse.self, key: shortcut) }
    public func createCannedResponse(_ response: CannedResponse, actor: Int64) async throws -> Stored<CannedResponse> {
        try await Self.create(self, response, actor: actor)
    }
    public func updateCannedResponse(shortcut: String, _ response: CannedResponse, expectedVersion: Int64?, actor: Int64) async throws -> Stored<CannedResponse> {
        try await Self.update(self, key: shortcut, response, expectedVersion: expectedVersion, actor: actor)
    }
    public func deleteCannedResponse(shortcut: String, expectedVersion: Int64?, actor: Int64) async throws {
        try await Self.delete(self, CannedResponse.self, key: shortcut, expectedVersion: expectedVersion, actor: actor)
    }

    // MARK: Shared

    private static func stored<T: KnowledgeRecord>(_ row: Row) -> Stored<T> {
        Stored(item: T(row: row), version: row["version"], origin: Stored<T>.Origin(rawValue: row["origin"]) ?? .api,
               createdAt: (row["created_at"] as Double).date, updatedAt: (row["updated_at"] as Double).date)
    }

    private static func all<T: KnowledgeRecord>(_ store: SQLiteStore, _: T.Type) async throws -> [Stored<T>] {
        try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM \(T.table) WHERE deleted_at IS NULL ORDER BY \(T.keyColumn)").map(stored)
        }
    }

    private static func one<T: KnowledgeRecord>(_ store: SQLiteStore, _: T.Type, key: String) async throws -> Stored<T> {
        try await store.read { db in try row(db, T.self, key: key) }
    }

    /// The live item; not found when missing or deleted.
    private static func row<T: KnowledgeRecord>(_ db: Database, _: T.Type, key: String) throws -> Stored<T> {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \(T.table) WHERE \(T.keyColumn) = ? AND deleted_at IS NULL", arguments: [key]) else {
            throw StoreError.notFound("\(T.noun) \(key)")
        }
        return stored(row)
    }

    private static func create<T: KnowledgeRecord>(_ store: SQLiteStore, _ item: T, actor: Int64) async throws -> Stored<T> {
        let item = try item.storable()
        let now = store.clock()
        return try await store.write { db, _ in
            let existing = try Row.fetchOne(db, sql: "SELECT version, deleted_at FROM \(T.table) WHERE \(T.keyColumn) = ?", arguments: [item.key])
            if let existing {
                guard existing["deleted_at"] as Double? != nil else { throw StoreError.conflict("\(T.noun) \(item.key) already exists") }
                // Re-creating a deleted item replaces its tombstone.
                try overwrite(db, item, origin: .api, version: existing["version"] as Int64 + 1, now: now.seconds, created: true)
            } else {
                try insert(db, item, origin: .api, version: 1, createdAt: now.seconds, now: now.seconds)
            }
            try Audit.write(db, at: now, actor: actor, action: "\(T.table).created", targetType: T.table, targetID: nil,
                            details: [T.keyColumn: .string(item.key)])
            return try row(db, T.self, key: item.key)
        }
    }

    private static func update<T: KnowledgeRecord>(
        _ store: SQLiteStore, key: String, _ item: T, expectedVersion: Int64?, actor: Int64
    ) async throws -> Stored<T> {
        let item = try item.storable(replacing: key)
        let now = store.clock()
        return try await store.write { db, _ in
            let version = try current(db, T.self, key: key, expectedVersion: expectedVersion)
            try overwrite(db, item, origin: .api, version: version + 1, now: now.seconds)
            try Audit.write(db, at: now, actor: actor, action: "\(T.table).updated", targetType: T.table, targetID: nil,
                            details: [T.keyColumn: .string(key), "version": .int(version + 1)])
            return try row(db, T.self, key: key)
        }
    }

    private static func delete<T: KnowledgeRecord>(_ store: SQLiteStore, _: T.Type, key: String, expectedVersion: Int64?, actor: Int64) async throws {
        let now = store.clock()
        try await store.write { db, _ in
            let version = try current(db, T.self, key: key, expectedVersion: expectedVersion)
            try db.execute(sql: "UPDATE \(T.table) SET deleted_at = ?, updated_at = ?, origin = 'api', version = ? WHERE \(T.keyColumn) = ?",
                           arguments: [now.seconds, now.seconds, version + 1, key])
            try Audit.write(db, at: now, actor: actor, action: "\(T.table).deleted", targetType: T.table, targetID: nil,
                            details: [T.keyColumn: .string(key)])
        }
    }

    /// The live item's version; not found when missing or deleted, a conflict when it is not the expected one.
    private static func current<T: KnowledgeRecord>(_ db: Database, _: T.Type, key: String, expectedVersion: Int64?) throws -> Int64 {
        try T.checkVersion(
            try Int64.fetchOne(db, sql: "SELECT version FROM \(T.table) WHERE \(T.keyColumn) = ? AND deleted_at IS NULL", arguments: [key]),
            key: key, expected: expectedVersion)
    }

    private static func insert<T: KnowledgeRecord>(_ db: Database, _ item: T, origin: Stored<T>.Origin, version: Int64, createdAt: Double, now: Double) throws {
        let columns = [T.keyColumn] + T.columns + ["origin", "version", "created_at", "updated_at"]
        let values: [(any DatabaseValueConvertible)?] = [item.key] + item.values + [origin.rawValue, version, createdAt, now]
        try db.execute(sql: "INSERT INTO \(T.table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))",
                       arguments: StatementArguments(values))
    }

    private static func overwrite<T: KnowledgeRecord>(_ db: Database, _ item: T, origin: Stored<T>.Origin, version: Int64, now: Double, created: Bool = false) throws {
        let sets = (T.columns + ["origin", "version", "updated_at"]).map { "\($0) = ?" } + ["deleted_at = NULL"] + (created ? ["created_at = ?"] : [])
        let values: [(any DatabaseValueConvertible)?] = item.values + [origin.rawValue, version, now] + (created ? [now] : []) + [item.key]
        try db.execute(sql: "UPDATE \(T.table) SET \(sets.joined(separator: ", ")) WHERE \(T.keyColumn) = ?", arguments: StatementArguments(values))
    }
}
