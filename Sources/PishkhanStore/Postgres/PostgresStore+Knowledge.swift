import Foundation
import Logging
import PishkhanCore
import PostgresNIO

/// A knowledge item's row on PostgreSQL: every content column is text.
protocol PGKnowledgeRecord: KnowledgeRecord {
    var textValues: [String?] { get }
    init(pg row: PGRow) throws
}

extension Article: PGKnowledgeRecord {
    var textValues: [String?] {
        [locale.rawValue, title, JSONText.encode(tags), JSONText.encode(keywords), summary, status.rawValue, body]
    }
    init(pg row: PGRow) throws {
        self.init(
            id: try row["id"], title: try row["title"], locale: Locale(rawValue: try row["locale"]) ?? .en,
            tags: JSONText.decode([String].self, try row["tags"], default: []),
            keywords: JSONText.decode([String].self, try row["keywords"], default: []),
            summary: try row["summary"], status: Status(rawValue: try row["status"]) ?? .published, body: try row["body"])
    }
}

extension CannedResponse: PGKnowledgeRecord {
    var textValues: [String?] { [locale.rawValue, title, body] }
    init(pg row: PGRow) throws {
        self.init(shortcut: try row["shortcut"], title: try row["title"], locale: Article.Locale(rawValue: try row["locale"]) ?? .en,
                  body: try row["body"])
    }
}

extension PostgresStore: KnowledgeStore {
    // MARK: Seeding

    /// Brings the files' articles and canned responses into the database. A new item is inserted; an item
    /// still owned by its file takes the file's current content; an item created, edited or deleted through
    /// the API is left as the API left it. Processes seeding at once serialize on the rows they touch.
    public func seedKnowledge(articles: [Article], canned: [CannedResponse]) async throws -> (articles: KnowledgeSeedReport, canned: KnowledgeSeedReport) {
        let now = clock().seconds
        let logger = self.logger
        return try await write { connection, _ in
            (try await Self.seed(connection, logger, articles, now: now), try await Self.seed(connection, logger, canned, now: now))
        }
    }

    private static func seed<T: PGKnowledgeRecord>(_ connection: PostgresConnection, _ logger: Logger, _ items: [T], now: Double) async throws -> KnowledgeSeedReport {
        var report = KnowledgeSeedReport()
        for item in items {
            // Insert when absent; otherwise lock the row and decide, so two starting processes agree.
            var insert = SQLBuilder()
            try insertSQL(&insert, item, origin: .file, version: 1, createdAt: now, now: now, ifAbsent: true)
            if try await !connection.rows(insert.query, logger: logger).isEmpty {
                report.inserted += 1
                continue
            }
            var select = SQLBuilder("SELECT * FROM \(T.table) WHERE \(T.keyColumn) = ")
            select.append("\(select.bind(item.key)) FOR UPDATE")
            let row = try await connection.rows(select.query, logger: logger)[0]
            if try row["origin"] as String != Stored<T>.Origin.file.rawValue || row["deleted_at"] as Double? != nil {
                report.keptFromAPI += 1
            } else if try T(pg: row) != item {
                try await overwrite(connection, logger, item, origin: .file, version: try row["version"] as Int64 + 1, now: now)
                report.updated += 1
            } else {
                report.unchanged += 1
            }
        }
        return report
    }

    // MARK: Articles

    public func articles() async throws -> [Stored<Article>] { try await all(Article.self) }
    public func article(id: String) async throws -> Stored<Article> { try await one(Article.self, key: id) }
    public func createArticle(_ article: Article, actor: Int64) async throws -> Stored<Article> { try await create(article, actor: actor) }
    public func updateArticle(id: String, _ article: Article, expectedVersion: Int64?, actor: Int64) async throws -> Stored<Article> {
        try await update(key: id, article, expectedVersion: expectedVersion, actor: actor)
    }
    public func deleteArticle(id: String, expectedVersion: Int64?, actor: Int64) async throws {
        try await delete(Article.self, key: id, expectedVersion: expectedVersion, actor: actor)
    }

    // MARK: Canned responses

    public func cannedResponses() async throws -> [Stored<CannedResponse>] { try await all(CannedResponse.self) }
    public func cannedResponse(shortcut: String) async throws -> Stored<CannedResponse> { try await one(CannedResponse.self, key: shortcut) }
    public func createCannedResponse(_ response: CannedResponse, actor: Int64) async throws -> Stored<CannedResponse> {
        try await create(response, actor: actor)
    }
    public func updateCannedResponse(shortcut: String, _ response: CannedResponse, expectedVersion: Int64?, actor: Int64) async throws -> Stored<CannedResponse> {
        try await update(key: shortcut, response, expectedVersion: expectedVersion, actor: actor)
    }
    public func deleteCannedResponse(shortcut: String, expectedVersion: Int64?, actor: Int64) async throws {
        try await delete(CannedResponse.self, key: shortcut, expectedVersion: expectedVersion, actor: actor)
    }

    // MARK: Shared

    private static func stored<T: PGKnowledgeRecord>(_ row: PGRow) throws -> Stored<T> {
        Stored(item: try T(pg: row), version: try row["version"], origin: Stored<T>.Origin(rawValue: try row["origin"]) ?? .api,
               createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }

    private func all<T: PGKnowledgeRecord>(_: T.Type) async throws -> [Stored<T>] {
        // COLLATE "C": byte order, as SQLite sorts text, whatever the database's locale.
        try await client.rows(
            PostgresQuery(unsafeSQL: "SELECT * FROM \(T.table) WHERE deleted_at IS NULL ORDER BY \(T.keyColumn) COLLATE \"C\""), logger: logger
        ).map(Self.stored)
    }

    private func one<T: PGKnowledgeRecord>(_: T.Type, key: String) async throws -> Stored<T> {
        try await client.withConnection { connection in try await Self.row(connection, logger, T.self, key: key) }
    }

    /// The live item; not found when missing or deleted.
    private static func row<T: PGKnowledgeRecord>(_ connection: PostgresConnection, _ logger: Logger, _: T.Type, key: String) async throws -> Stored<T> {
        var select = SQLBuilder("SELECT * FROM \(T.table) WHERE \(T.keyColumn) = ")
        select.append("\(select.bind(key)) AND deleted_at IS NULL")
        guard let row = try await connection.rows(select.query, logger: logger).first else {
            throw StoreError.notFound("\(T.noun) \(key)")
        }
        return try stored(row)
    }

    private func create<T: PGKnowledgeRecord>(_ item: T, actor: Int64) async throws -> Stored<T> {
        let item = try item.storable()
        let now = clock()
        let logger = self.logger
        return try await write { connection, _ in
            var insert = SQLBuilder()
            try Self.insertSQL(&insert, item, origin: .api, version: 1, createdAt: now.seconds, now: now.seconds, ifAbsent: true)
            if try await connection.rows(insert.query, logger: logger).isEmpty {
                var select = SQLBuilder("SELECT version, deleted_at FROM \(T.table) WHERE \(T.keyColumn) = ")
                select.append("\(select.bind(item.key)) FOR UPDATE")
                let existing = try await connection.rows(select.query, logger: logger)[0]
                guard try existing["deleted_at"] as Double? != nil else { throw StoreError.conflict("\(T.noun) \(item.key) already exists") }
                // Re-creating a deleted item replaces its tombstone.
                try await Self.overwrite(connection, logger, item, origin: .api, version: try existing["version"] as Int64 + 1, now: now.seconds, created: true)
            }
            try await PGAudit.write(connection, logger: logger, at: now, actor: actor, action: "\(T.table).created", targetType: T.table,
                                    targetID: nil, details: [T.keyColumn: .string(item.key)])
            return try await Self.row(connection, logger, T.self, key: item.key)
        }
    }

    private func update<T: PGKnowledgeRecord>(key: String, _ item: T, expectedVersion: Int64?, actor: Int64) async throws -> Stored<T> {
        let item = try item.storable(replacing: key)
        let now = clock()
        let logger = self.logger
        return try await write { connection, _ in
            let version = try await Self.current(connection, logger, T.self, key: key, expectedVersion: expectedVersion)
            try await Self.overwrite(connection, logger, item, origin: .api, version: version + 1, now: now.seconds)
            try await PGAudit.write(connection, logger: logger, at: now, actor: actor, action: "\(T.table).updated", targetType: T.table,
                                    targetID: nil, details: [T.keyColumn: .string(key), "version": .int(version + 1)])
            return try await Self.row(connection, logger, T.self, key: key)
        }
    }

    private func delete<T: PGKnowledgeRecord>(_: T.Type, key: String, expectedVersion: Int64?, actor: Int64) async throws {
        let now = clock()
        let logger = self.logger
        try await write { connection, _ in
            let version = try await Self.current(connection, logger, T.self, key: key, expectedVersion: expectedVersion)
            var sql = SQLBuilder("UPDATE \(T.table) SET ")
            sql.append("deleted_at = \(sql.bind(now.seconds)), updated_at = \(sql.bind(now.seconds)), origin = 'api', version = \(sql.bind(version + 1)) ")
            sql.append("WHERE \(T.keyColumn) = \(sql.bind(key))")
            try await connection.query(sql.query, logger: logger)
            try await PGAudit.write(connection, logger: logger, at: now, actor: actor, action: "\(T.table).deleted", targetType: T.table,
                                    targetID: nil, details: [T.keyColumn: .string(key)])
        }
    }

    /// The live item's version, locked for this transaction; not found when missing or deleted, a conflict
    /// when it is not the expected one.
    private static func current<T: PGKnowledgeRecord>(
        _ connection: PostgresConnection, _ logger: Logger, _: T.Type, key: String, expectedVersion: Int64?
    ) async throws -> Int64 {
        var select = SQLBuilder("SELECT version FROM \(T.table) WHERE \(T.keyColumn) = ")
        select.append("\(select.bind(key)) AND deleted_at IS NULL FOR UPDATE")
        let version = try await connection.query(select.query, logger: logger).decode(Int64.self).reduce(nil as Int64?) { $0 ?? $1 }
        return try T.checkVersion(version, key: key, expected: expectedVersion)
    }

    /// `INSERT … ON CONFLICT DO NOTHING RETURNING key` when `ifAbsent`: a row comes back only when it was inserted.
    private static func insertSQL<T: PGKnowledgeRecord>(
        _ sql: inout SQLBuilder, _ item: T, origin: Stored<T>.Origin, version: Int64, createdAt: Double, now: Double, ifAbsent: Bool
    ) throws {
        let columns = [T.keyColumn] + T.columns + ["origin", "version", "created_at", "updated_at"]
        var placeholders = [sql.bind(item.key)] + item.textValues.map { sql.bind($0) }
        placeholders += [sql.bind(origin.rawValue), sql.bind(version), sql.bind(createdAt), sql.bind(now)]
        sql.append("INSERT INTO \(T.table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders.joined(separator: ", ")))")
        if ifAbsent { sql.append(" ON CONFLICT (\(T.keyColumn)) DO NOTHING RETURNING \(T.keyColumn)") }
    }

    private static func overwrite<T: PGKnowledgeRecord>(
        _ connection: PostgresConnection, _ logger: Logger, _ item: T, origin: Stored<T>.Origin, version: Int64, now: Double, created: Bool = false
    ) async throws {
        var sql = SQLBuilder()
        var sets = zip(T.columns, item.textValues).map { "\($0) = \(sql.bind($1))" }
        sets += ["origin = \(sql.bind(origin.rawValue))", "version = \(sql.bind(version))", "updated_at = \(sql.bind(now))", "deleted_at = NULL"]
        if created { sets.append("created_at = \(sql.bind(now))") }
        let key = sql.bind(item.key)
        sql.append("UPDATE \(T.table) SET \(sets.joined(separator: ", ")) WHERE \(T.keyColumn) = \(key)")
        try await connection.query(sql.query, logger: logger)
    }
}
