import PishkhanCore
public struct SearchOptions: Sendable {
    /// Hits returned at most.
    public var limit: Int = 10
    /// Only articles in this locale; nil searches both.
    public var locale: Article.Locale? = nil
    /// Treat the last query word as a prefix ("retu" finds "return") unless the query ends with a space.
    public var prefixLastTerm: Bool = true
    /// Let a query word of five or more letters match an index term one edit away (Damerau–Levenshtein)
    /// when the word itself is missing or rare.
    public var typoTolerance: Bool = true
    /// Build snippets for the hits; without them a hit's snippet fields are empty.
    public var snippets: Bool = true

    public init(limit: Int = 10, locale: Article.Locale? = nil, prefixLastTerm: Bool = true, typoTolerance: Bool = true, snippets: Bool = true) {
        self.limit = limit
        self.locale = locale
        self.prefixLastTerm = prefixLastTerm
        self.typoTolerance = typoTolerance
        self.snippets = snippets
    }
}
