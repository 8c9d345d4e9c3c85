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
    private let articles = Mutex<(index: SearchIndex, byID: [String: Article])>((SearchIndex(), [:]))
    private let canned = Mutex<(index: SearchIndex, byShortcut: [String: CannedResponse])>((SearchIndex(), [:]))

    public init(store: any Store, directory: URL) {
        self.store = store
        self.directory = directory
    }

    /// Reads the files (a malformed one throws, naming itself and the field), seeds the store, and rebuilds
    /// both indexes from the store. Run at start and on SIGHUP.
    @discardableResult
    public func reload() async throws -> (articles: KnowledgeSeedReport, canned: KnowledgeSeedReport) {
        let files = try ArticleLoader.load(from: directory)
        let cannedFiles = try CannedLoader.load(from: directory)
        let report = try await store.seedKnowledge(articles: files, canned: cannedFiles)
        try await rebuild()
        return report
    }

    /// Indexes what the store holds.
    public func rebuild() async throws {
        let stored = try await store.articles().map(\.item).filter { $0.status == .published }
        let index = SearchIndex(articles: stored.map(IndexedArticle.init))
        articles.withLock { $0 = (index, Dictionary(uniqueKeysWithValues: stored.map { ($0.id, $0) })) }
        let responses = try await store.cannedResponses().map(\.item)
        let cannedIndex = SearchIndex(articles: responses.map(Self.indexed))
        canned.withLock { $0 = (cannedIndex, Dictionary(uniqueKeysWithValues: responses.map { ($0.shortcut, $0) })) }
    }

    static func indexed(_ response: CannedResponse) -> IndexedArticle {
        IndexedArticle(id: response.shortcut, locale: response.locale, title: response.title, keywords: [response.shortcut], body: response.body)
    }

    public var articleCount: Int { articles.withLock { $0.index.count } }

    func articleChanged(_ article: Article) {
        articles.withLock { state in
            if article.status == .published {
                state.index.upsert(IndexedArticle(article))
                state.byID[article.id] = article
            } else {
                state.index.remove(id: article.id)
                state.byID[article.id] = nil
            }
        }
    }

    func articleRemoved(id: String) {
        articles.withLock { state in
            state.index.remove(id: id)
            state.byID[id] = nil
        }
    }

    func cannedChanged(_ response: CannedResponse) {
        canned.withLock { state in
            state.index.upsert(Self.indexed(response))
            state.byShortcut[response.shortcut] = response
        }
    }

    func cannedRemoved(shortcut: String) {
        canned.withLock { state in
            state.index.remove(id: shortcut)
            state.byShortcut[shortcut] = nil
        }
    }

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

    public func searchArticles(_ query: String, locale: Article.Locale? = nil, limit: Int = 10) -> [ArticleHit] {
        let (index, byID) = articles.withLock { ($0.index, $0.byID) }
        return index.search(query, options: SearchOptions(limit: limit, locale: locale)).compactMap { hit in
            guard let a = byID[hit.id] else { return nil }
            return ArticleHit(id: a.id, title: a.title, locale: a.locale, summary: a.summary, tags: a.tags,
                              score: (hit.score * 1000).rounded() / 1000, snippet: hit.snippet, highlighted: hit.highlighted)
        }
    }

    public func searchCanned(_ query: String, locale: Article.Locale? = nil, limit: Int = 5) -> [CannedHit] {
        let (index, byShortcut) = canned.withLock { ($0.index, $0.byShortcut) }
        return index.search(query, options: SearchOptions(limit: limit, locale: locale, snippets: false)).compactMap { hit in
            guard let c = byShortcut[hit.id] else { return nil }
            return CannedHit(shortcut: c.shortcut, title: c.title, locale: c.locale, body: c.body, score: (hit.score * 1000).rounded() / 1000)
        }
    }
}
