import PishkhanCore
/// What the search index holds for one article: the searchable fields as written.
public struct IndexedArticle: Sendable, Equatable {
    public var id: String
    public var locale: Article.Locale
    public var title: String
    public var keywords: [String]
    public var tags: [String]
    public var summary: String?
    public var body: String

    public init(id: String, locale: Article.Locale, title: String, keywords: [String] = [], tags: [String] = [], summary: String? = nil, body: String) {
        self.id = id
        self.locale = locale
        self.title = title
        self.keywords = keywords
        self.tags = tags
        self.summary = summary
        self.body = body
    }

    public init(_ article: Article) {
        self.init(id: article.id, locale: article.locale, title: article.title, keywords: article.keywords, tags: article.tags,
                  summary: article.summary, body: article.body)
    }
}
