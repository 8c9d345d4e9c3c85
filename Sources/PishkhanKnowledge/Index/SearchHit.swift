/// One search result, best first.
public struct SearchHit: Sendable, Equatable {
    public var id: String
    /// BM25F score; only comparable within one search.
    public var score: Double
    /// Plain text around the best-matching passage of the body (or summary, or title), Markdown emphasis
    /// marks and line breaks flattened, "…" where it was cut.
    public var snippet: String
    /// The matched words in `snippet`, as UTF-16 offsets.
    public var highlights: [Range<Int>]
    /// `snippet` HTML-escaped with the matched words wrapped in `<mark></mark>`.
    public var highlighted: String

    public init(id: String, score: Double, snippet: String, highlights: [Range<Int>], highlighted: String) {
        self.id = id
        self.score = score
        self.snippet = snippet
        self.highlights = highlights
        self.highlighted = highlighted
    }
}

/// How a search went, for tests and tuning: how much of the matching postings the top-k retrieval skipped.
public struct SearchStatistics: Sendable, Equatable {
    /// Index terms searched, including prefix and typo expansions.
    public var terms: Int
    /// Postings in those terms' lists.
    public var postings: Int
    /// Documents whose full score was computed.
    public var scoredDocuments: Int
}

/// Index-wide figures.
public struct IndexStatistics: Sendable, Equatable {
    public var documents: Int
    /// Distinct terms with at least one live document.
    public var terms: Int
    public var averageTitleLength: Double
    public var averageKeywordsLength: Double
    public var averageSummaryLength: Double
    public var averageBodyLength: Double
    /// Postings of removed or replaced documents not yet compacted away.
    public var deadPostings: Int
}
