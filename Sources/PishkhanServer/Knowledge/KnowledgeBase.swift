import Foundation
import Logging
import PishkhanCore
import PishkhanKnowledge
import PishkhanStore
import Synchronization

/// The running knowledge base: the files under `KnowledgeBase/` seed the store, the store is the truth, and
/// two in-memory search indexes (published articles; canned responses) follow every change without a
/// rebuild. Searches take a snapshot of an index under the lock (a copy-on-write value) and run outside it.
public final class KnowledgeBase: Sendable {
    let store: any Store
    let directory: URL
    private let articles = Mutex(Searchable<Article>())
    private let canned = Mutex(Searchable<CannedResponse>())

    /// A search index and the items it was built from, by key.
    struct Searchable<Item: Sendable>: Sendable {
        var index = SearchIndex()
        var items: [String: Item] = [:]

        init() {}

        init(_ items: [Item], key: (Item) -> String, document: (Item) -> IndexedArticle) {
            index = SearchIndex(articles: items.map(document))
            self.items = Dictionary(uniqueKeysWithValues: items.map { (key($0), $0) })
        }

        mutating func put(_ item: Item, key: String, document: IndexedArticle) {
            index.upsert(document)
            items[key] = item
        }

        mutating func remove(_ key: String) {
            index.remove(id: key)
            items[key] = nil
        }
    }

    /// Where customers read published articles (the server's `/help` pages, or a help centre of your
    /// own): `{{article.url}}` in replies is this plus `/` and the article's id.
    public let helpURL: String

    public init(store: any Store, directory: URL, helpURL: String = "http://127.0.0.1:8080/help") {
        self.store = store
        self.directory = directory
        self.helpURL = helpURL.hasSuffix("/") ? String(helpURL.dropLast()) : helpURL
    }

    public func articleURL(id: String) -> String {
        helpURL + "/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)
    }

    /// A published article by id, as searched.
    public func publishedArticle(id: String) -> Article? { articles.withLock { $0.items[id] } }

    /// Every published article, by title.
    public func publishedArticles() -> [Article] { articles.withLock { Array($0.items.values) }.sorted { $0.title < $1.title } }

    /// A canned response by shortcut.
    public func cannedResponse(shortcut: String) -> CannedResponse? { canned.withLock { $0.items[shortcut] } }

    /// Reads the files (a malformed one throws, naming itself and the field), seeds the store, and rebuilds
    /// both indexes from the store. Run on SIGHUP; at start the executable seeds what it already validated.
    @discardableResult
    public func reload() async throws -> (articles: KnowledgeSeedReport, canned: KnowledgeSeedReport) {
        try await seed(articles: try ArticleLoader.load(from: directory), canned: try CannedLoader.load(from: directory))
    }

    /// Seeds the store with files already read, then rebuilds both indexes from the store.
    @discardableResult
    public func seed(articles files: [Article], canned cannedFiles: [CannedResponse]) async throws -> (articles: KnowledgeSeedReport, canned: KnowledgeSeedReport) {
        let report = try await store.seedKnowledge(articles: files, canned: cannedFiles)
        let published = try await store.articles().map(\.item).filter { $0.status == .published }
        let responses = try await store.cannedResponses().map(\.item)
        articles.withLock { $0 = Searchable(published, key: \.id, document: IndexedArticle.init) }
        canned.withLock { $0 = Searchable(responses, key: \.shortcut, document: Self.indexed) }
        return report
    }

    static func indexed(_ response: CannedResponse) -> IndexedArticle {
        IndexedArticle(id: response.shortcut, locale: response.locale, title: response.title, keywords: [response.shortcut], body: response.body)
    }

    public var articleCount: Int { articles.withLock { $0.index.count } }

    /// Only published articles are searchable: a draft or archived one leaves the index.
    func articleChanged(_ article: Article) {
        articles.withLock { state in
            if article.status == .published {
                state.put(article, key: article.id, document: IndexedArticle(article))
            } else {
                state.remove(article.id)
            }
        }
    }

    func articleRemoved(id: String) { articles.withLock { $0.remove(id) } }
    func cannedChanged(_ response: CannedResponse) { canned.withLock { $0.put(response, key: response.shortcut, document: Self.indexed(response)) } }
    func cannedRemoved(shortcut: String) { canned.withLock { $0.remove(shortcut) } }

    /// A search result: the article's card plus score and snippet.
    public struct ArticleHit: Codable, Sendable, Equatable {
        public var id: String
        public var title: String
        public var locale: Article.Locale
        public var summary: String?
        public var tags: [String]
        public var score: Double
        /// Plain text around the matched words.
        public var snippet: String
        /// The snippet HTML-escaped, matched words in `<mark>`.
        public var highlighted: String
    }

    public struct CannedHit: Codable, Sendable, Equatable {
        public var shortcut: String
        public var title: String
        public var locale: Article.Locale
        public var body: String
        public var score: Double
    }

    static func rounded(_ score: Double) -> Double { (score * 1000).rounded() / 1000 }

    public func searchArticles(_ query: String, locale: Article.Locale? = nil, limit: Int = 10) -> [ArticleHit] {
        let snapshot = articles.withLock { $0 }
        return snapshot.index.search(query, options: SearchOptions(limit: limit, locale: locale)).compactMap { hit in
            guard let a = snapshot.items[hit.id] else { return nil }
            return ArticleHit(id: a.id, title: a.title, locale: a.locale, summary: a.summary, tags: a.tags,
                              score: Self.rounded(hit.score), snippet: hit.snippet, highlighted: hit.highlighted)
        }
    }

    public func searchCanned(_ query: String, locale: Article.Locale? = nil, limit: Int = 5) -> [CannedHit] {
        let snapshot = canned.withLock { $0 }
        return snapshot.index.search(query, options: SearchOptions(limit: limit, locale: locale, snippets: false)).compactMap { hit in
            guard let c = snapshot.items[hit.id] else { return nil }
            return CannedHit(shortcut: c.shortcut, title: c.title, locale: c.locale, body: c.body, score: Self.rounded(hit.score))
        }
    }
}
