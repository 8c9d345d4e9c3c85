/// One indexed or searched word: its analyzed term and where it was written.
public struct Token: Sendable, Equatable {
    /// Normalized and stemmed: what the index stores.
    public var term: String
    /// Normalized, before stop-word removal and stemming (the prefix search of the last query word uses it).
    public var normalized: String
    /// Word number in the text, counting stop words too.
    public var position: Int
    /// Where the word is in the original text; a prefix or suffix joined across a space is included.
    public var range: Range<String.Index>
    /// The same place as UTF-16 offsets, for clients that highlight in JavaScript.
    public var utf16Range: Range<Int>

    public init(term: String, normalized: String, position: Int, range: Range<String.Index>, utf16Range: Range<Int>) {
        self.term = term
        self.normalized = normalized
        self.position = position
        self.range = range
        self.utf16Range = utf16Range
    }
}
