import Foundation

/// A knowledge-base article: Markdown with YAML front matter in `KnowledgeBase/`, stored in the database
/// once running (the files are a seed; the database is the truth).
public struct Article: Codable, Sendable, Equatable {
    public enum Locale: String, Codable, Sendable, CaseIterable { case fa, en }
    public enum Status: String, Codable, Sendable, CaseIterable { case draft, published, archived }

    public var id: String
    public var title: String
    public var locale: Locale
    public var tags: [String]
    public var keywords: [String]
    public var summary: String?
    public var status: Status
    public var body: String

    public init(id: String, title: String, locale: Locale, tags: [String] = [], keywords: [String] = [], summary: String? = nil,
                status: Status = .published, body: String) {
        self.id = id
        self.title = title
        self.locale = locale
        self.tags = tags
        self.keywords = keywords
        self.summary = summary
        self.status = status
        self.body = body
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        title = try c.decode(String.self, forKey: .title)
        locale = try c.decode(Locale.self, forKey: .locale)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        keywords = try c.decodeIfPresent([String].self, forKey: .keywords) ?? []
        summary = try c.decodeIfPresent(String.self, forKey: .summary)
        status = try c.decodeIfPresent(Status.self, forKey: .status) ?? .published
        body = try c.decode(String.self, forKey: .body)
    }

    /// The rules a file and an API write share; the error names the field.
    public func validate() throws(ValidationError) {
        guard id.range(of: "^[a-z0-9][a-z0-9-]{0,127}$", options: .regularExpression) != nil else {
            throw ValidationError(field: "id", reason: "must be 1–128 lower-case letters, digits and '-', starting with a letter or digit")
        }
        guard !title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, title.count <= 300 else {
            throw ValidationError(field: "title", reason: "is required, at most 300 characters")
        }
        guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError(field: "body", reason: "is empty") }
        guard body.utf8.count <= 512 * 1024 else { throw ValidationError(field: "body", reason: "is larger than 512 KiB") }
        guard tags.count <= 50, keywords.count <= 200 else { throw ValidationError(field: "keywords", reason: "at most 50 tags and 200 keywords") }
        if let summary, summary.count > 1000 { throw ValidationError(field: "summary", reason: "at most 1000 characters") }
    }
}

/// A saved reply agents insert by shortcut; the body is a Mustache template (`KnowledgeBase/canned/`).
public struct CannedResponse: Codable, Sendable, Equatable {
    public var shortcut: String
    public var title: String
    public var locale: Article.Locale
    public var body: String

    public init(shortcut: String, title: String, locale: Article.Locale, body: String) {
        self.shortcut = shortcut
        self.title = title
        self.locale = locale
        self.body = body
    }

    public func validate() throws(ValidationError) {
        guard shortcut.range(of: "^[a-z0-9][a-z0-9-]{0,63}$", options: .regularExpression) != nil else {
            throw ValidationError(field: "shortcut", reason: "must be 1–64 lower-case letters, digits and '-'")
        }
        guard !title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, title.count <= 300 else {
            throw ValidationError(field: "title", reason: "is required, at most 300 characters")
        }
        guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError(field: "body", reason: "is empty") }
        guard body.utf8.count <= 64 * 1024 else { throw ValidationError(field: "body", reason: "is larger than 64 KiB") }
    }
}

/// A knowledge item as stored: the item's own fields plus its version (for optimistic concurrency), where it
/// came from and when it changed. Encoded flat: `{"id": …, "title": …, "version": 3, "origin": "api", …}`.
public struct Stored<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public enum Origin: String, Codable, Sendable {
        /// Seeded from `KnowledgeBase/`; later file edits still apply.
        case file
        /// Created or edited through the API; the files no longer change it.
        case api
    }

    public var item: Item
    public var version: Int64
    public var origin: Origin
    public var createdAt: Date
    public var updatedAt: Date

    public init(item: Item, version: Int64, origin: Origin, createdAt: Date, updatedAt: Date) {
        self.item = item
        self.version = version
        self.origin = origin
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey { case version, origin, createdAt, updatedAt }

    public init(from decoder: any Decoder) throws {
        item = try Item(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int64.self, forKey: .version)
        origin = try c.decode(Origin.self, forKey: .origin)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        try item.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(origin, forKey: .origin)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

/// What seeding the database from `KnowledgeBase/` did.
public struct KnowledgeSeedReport: Codable, Sendable, Equatable {
    public var inserted = 0
    /// File articles whose file changed since they were seeded.
    public var updated = 0
    /// Rows the files no longer decide: edited or deleted through the API.
    public var keptFromAPI = 0
    public var unchanged = 0
    public init() {}
}
