import PishkhanCore
import Foundation

/// The knowledge-base search index: BM25F over title, keywords (with tags), summary and body, top-k
/// retrieval by block-max MaxScore, prefix search on the last word, one-typo tolerance and snippets.
///
/// A value type: every stored property is a copy-on-write standard-library collection, so a server keeps
/// the index under a lock, a reader copies it out (a handful of reference-count increments) and searches
/// that snapshot without the lock while a writer's `upsert` copies only the arrays it touches.
///
/// Documents get internal numbers in insertion order, so every posting list stays sorted by document
/// simply by appending. `upsert` of a known id and `remove` leave the old postings in place as dead
/// (skipped at query time) while document frequencies and field-length totals are corrected at once; a
/// compaction renumbers the live documents and drops dead postings once they are a quarter of all postings.
public struct SearchIndex: Sendable {
    /// BM25F parameters, per field in `Field` order.
    static let weights = SIMD4<Double>(3.0, 2.5, 1.5, 1.0)
    static let lengthNormalization = SIMD4<Double>(0.5, 0.5, 0.6, 0.75)
    static let k1 = 1.2

    let analyzer: Analyzer

    // Terms, by id.
    var termIDs: [String: UInt32] = [:]
    var terms: [String] = []
    /// A document containing a term, with the term's saturated weighted frequency in it at
    /// `referenceAverages`: while the averages have not moved, scoring reads nothing else.
    struct Posting {
        var doc: UInt32
        var impact: Double
    }

    /// Per term, its postings in increasing document order, and beside them (same index) the term's
    /// frequency in each field, read only to compute impacts and after the averages moved.
    var postings: [[Posting]] = []
    var postingFrequencies: [[SIMD4<UInt16>]] = []
    /// Live documents containing the term.
    var documentFrequency: [Int32] = []
    /// Largest weighted, length-normalized term frequency of any posting, computed at `referenceAverages`.
    /// Removals leave it as is (still an upper bound); compaction recomputes it.
    var upperFrequency: [Double] = []
    /// Per block of `blockSize` postings, the largest weighted frequency in it, like `upperFrequency`:
    /// top-k retrieval passes over whole blocks whose bounds cannot reach the top k.
    var blockUpper: [[Double]] = []
    /// Per block, its last document: skipping reads these, 16 to a cache line, instead of the postings.
    var blockLast: [[UInt32]] = []
    static let blockSize = 16
    /// The `floorRank`-th largest impact among the term's live postings, at `referenceAverages` (0 with fewer
    /// postings): a query holding the term has that many documents scoring at least its factor times this,
    /// so top-k retrieval can prune below it from the first document on. Adding postings leaves it a lower
    /// bound; retiring one at or above it zeroes it until compaction recomputes it.
    var impactFloor: [Double] = []
    static let floorRank = 10
    /// Term ids in UTF-8 byte order of their text, for prefix ranges.
    var sortedTerms: [UInt32] = []

    // Documents, by internal number.
    var documentIDs: [String] = []
    var documentLocales: [Article.Locale] = []
    var documentLengths: [SIMD4<Float>] = []
    var articles: [IndexedArticle?] = []
    var alive: [Bool] = []
    var numbers: [String: UInt32] = [:]

    var liveCount = 0
    var lengthTotals = SIMD4<Double>(repeating: 0)
    var referenceAverages = SIMD4<Double>(repeating: 1)
    var totalPostings = 0
    var deadPostings = 0

    public init() {
        analyzer = Analyzer()
    }

    public init(articles: [IndexedArticle]) {
        self.init()
        for article in articles {
            if let old = numbers[article.id] { retire(old) }
            add(article, incremental: false)
        }
        rebuildDerived()
    }

    public var count: Int { liveCount }

    public mutating func upsert(_ article: IndexedArticle) {
        if let old = numbers[article.id] { retire(old) }
        add(article, incremental: true)
        compactIfNeeded()
    }

    public mutating func remove(id: String) {
        guard let old = numbers[id] else { return }
        retire(old)
        compactIfNeeded()
    }

    public var statistics: IndexStatistics {
        IndexStatistics(
            documents: liveCount, terms: documentFrequency.lazy.filter { $0 > 0 }.count,
            averageTitleLength: liveCount == 0 ? 0 : lengthTotals[0] / Double(liveCount),
            averageKeywordsLength: liveCount == 0 ? 0 : lengthTotals[1] / Double(liveCount),
            averageSummaryLength: liveCount == 0 ? 0 : lengthTotals[2] / Double(liveCount),
            averageBodyLength: liveCount == 0 ? 0 : lengthTotals[3] / Double(liveCount),
            deadPostings: deadPostings)
    }

    /// Live documents containing the analyzed form of `word` (0 for a stop word).
    public func documentFrequency(of word: String) -> Int {
        guard let token = analyzer.analyze(word).first, let id = termIDs[token.term] else { return 0 }
        return Int(documentFrequency[Int(id)])
    }

    // MARK: Adding and retiring documents

    /// Field term frequencies and lengths of one article.
    private func analyzeFields(_ article: IndexedArticle) -> (frequencies: [String: SIMD4<UInt16>], lengths: SIMD4<Float>) {
        let fields = [
            article.title,
            (article.keywords + article.tags).joined(separator: "\n"),
            article.summary ?? "",
            article.body,
        ]
        var frequencies: [String: SIMD4<UInt16>] = [:]
        var lengths = SIMD4<Float>(repeating: 0)
        for (field, text) in fields.enumerated() where !text.isEmpty {
            let tokens = analyzer.analyze(text, locale: article.locale)
            lengths[field] = Float(tokens.count)
            for token in tokens {
                var counts = frequencies[token.term, default: .zero]
                if counts[field] < .max { counts[field] += 1 }
                frequencies[token.term] = counts
            }
        }
        return (frequencies, lengths)
    }

    private mutating func add(_ article: IndexedArticle, incremental: Bool) {
        let (frequencies, lengths) = analyzeFields(article)
        let doc = UInt32(documentIDs.count)
        documentIDs.append(article.id)
        documentLocales.append(article.locale)
        documentLengths.append(lengths)
        articles.append(article)
        alive.append(true)
        numbers[article.id] = doc
        liveCount += 1
        lengthTotals += SIMD4<Double>(lengths)
        if incremental, liveCount == 1 { referenceAverages = Self.averages(lengthTotals, count: 1) }
        let normalizer = Self.normalizer(lengths, averages: referenceAverages)
        for (term, tf) in frequencies {
            let id: Int
            if let known = termIDs[term] {
                id = Int(known)
            } else {
                id = terms.count
                termIDs[term] = UInt32(id)
                terms.append(term)
                postings.append([])
                postingFrequencies.append([])
                documentFrequency.append(0)
                upperFrequency.append(0)
                blockUpper.append([])
                blockLast.append([])
                impactFloor.append(0)
                if incremental { insertSorted(UInt32(id)) }
            }
            // A full build computes impacts and bounds once all lengths are known (`rebuildDerived`).
            let frequency = incremental ? Self.weightedFrequency(tf, normalizer) : 0
            postings[id].append(Posting(doc: doc, impact: Self.saturate(frequency)))
            postingFrequencies[id].append(tf)
            documentFrequency[id] += 1
            if incremental {
                upperFrequency[id] = max(upperFrequency[id], frequency)
                let block = (postings[id].count - 1) / Self.blockSize
                if block == blockUpper[id].count {
                    blockUpper[id].append(frequency)
                    blockLast[id].append(doc)
                } else {
                    blockUpper[id][block] = max(blockUpper[id][block], frequency)
                    blockLast[id][block] = doc
                }
            }
        }
        totalPostings += frequencies.count
    }

    /// Marks a document dead and takes it out of the statistics; its postings stay until compaction.
    private mutating func retire(_ doc: UInt32) {
        guard let article = articles[Int(doc)] else { return }
        let (frequencies, lengths) = analyzeFields(article)
        let normalizer = Self.normalizer(documentLengths[Int(doc)], averages: referenceAverages)
        for (term, tf) in frequencies {
            guard let id = termIDs[term].map(Int.init) else { continue }
            documentFrequency[id] -= 1
            if Self.saturate(Self.weightedFrequency(tf, normalizer)) >= impactFloor[id] { impactFloor[id] = 0 }
        }
        articles[Int(doc)] = nil
        alive[Int(doc)] = false
        numbers[article.id] = nil
        liveCount -= 1
        lengthTotals -= SIMD4<Double>(lengths)
        deadPostings += frequencies.count
    }

    private mutating func insertSorted(_ id: UInt32) {
        let key = terms[Int(id)]
        var low = 0
        var high = sortedTerms.count
        while low < high {
            let mid = (low + high) / 2
            if Self.precedes(terms[Int(sortedTerms[mid])], key) { low = mid + 1 } else { high = mid }
        }
        sortedTerms.insert(id, at: low)
    }

    /// Compacts when dead postings reach a quarter of all, or when field averages drifted so far from the
    /// ones the upper bounds were computed at that pruning would suffer.
    private mutating func compactIfNeeded() {
        let drift = currentAverages / referenceAverages
        let drifted = (drift .> SIMD4(repeating: 1.25)) .| (drift .< SIMD4(repeating: 0.8))
        if deadPostings * 4 >= max(totalPostings, 64) || any(drifted) { compact() }
    }

    /// Renumbers the live documents (keeping their order, so posting lists stay sorted), drops dead
    /// postings and recomputes the upper bounds at the current averages.
    mutating func compact() {
        var renumbered = [UInt32](repeating: .max, count: documentIDs.count)
        var next: UInt32 = 0
        var ids: [String] = [], locales: [Article.Locale] = [], lengths: [SIMD4<Float>] = [], kept: [IndexedArticle?] = []
        ids.reserveCapacity(liveCount)
        for doc in documentIDs.indices where articles[doc] != nil {
            renumbered[doc] = next
            numbers[documentIDs[doc]] = next
            ids.append(documentIDs[doc])
            locales.append(documentLocales[doc])
            lengths.append(documentLengths[doc])
            kept.append(articles[doc])
            next += 1
        }
        documentIDs = ids
        documentLocales = locales
        documentLengths = lengths
        articles = kept
        alive = Array(repeating: true, count: kept.count)
        totalPostings = 0
        for term in postings.indices {
            var kept: [Posting] = [], frequencies: [SIMD4<UInt16>] = []
            kept.reserveCapacity(postings[term].count)
            frequencies.reserveCapacity(postings[term].count)
            for (posting, tf) in zip(postings[term], postingFrequencies[term]) where renumbered[Int(posting.doc)] != .max {
                kept.append(Posting(doc: renumbered[Int(posting.doc)], impact: posting.impact))
                frequencies.append(tf)
            }
            postings[term] = kept
            postingFrequencies[term] = frequencies
            totalPostings += kept.count
        }
        deadPostings = 0
        rebuildDerived()
    }

    /// Impacts and upper bounds at the current averages, and the sorted term dictionary.
    private mutating func rebuildDerived() {
        referenceAverages = currentAverages
        let normalizers = documentLengths.map { Self.normalizer($0, averages: referenceAverages) }
        for term in postings.indices {
            var upper = 0.0
            var blocks = [Double](repeating: 0, count: (postings[term].count + Self.blockSize - 1) / Self.blockSize)
            for i in postings[term].indices {
                let frequency = Self.weightedFrequency(postingFrequencies[term][i], normalizers[Int(postings[term][i].doc)])
                postings[term][i].impact = Self.saturate(frequency)
                upper = max(upper, frequency)
                blocks[i / Self.blockSize] = max(blocks[i / Self.blockSize], frequency)
            }
            upperFrequency[term] = upper
            blockUpper[term] = blocks
            blockLast[term] = blocks.indices.map { postings[term][min(($0 + 1) * Self.blockSize, postings[term].count) - 1].doc }
            impactFloor[term] = floor(of: term)
        }
        sortedTerms = (0..<UInt32(terms.count)).sorted { Self.precedes(terms[Int($0)], terms[Int($1)]) }
    }

    /// The `floorRank`-th largest impact among the term's live postings, or 0.
    private func floor(of term: Int) -> Double {
        var largest: [Double] = []  // ascending
        largest.reserveCapacity(Self.floorRank)
        for posting in postings[term] where alive[Int(posting.doc)] {
            if largest.count == Self.floorRank {
                guard posting.impact > largest[0] else { continue }
                largest.removeFirst()
            }
            largest.insert(posting.impact, at: largest.firstIndex { $0 > posting.impact } ?? largest.count)
        }
        return largest.count == Self.floorRank ? largest[0] : 0
    }

    // MARK: BM25F

    var currentAverages: SIMD4<Double> { Self.averages(lengthTotals, count: liveCount) }

    /// Average field lengths, never below one so that an empty field everywhere divides safely.
    static func averages(_ totals: SIMD4<Double>, count: Int) -> SIMD4<Double> {
        guard count > 0 else { return SIMD4(repeating: 1) }
        return (totals / Double(count)).replacing(with: 1, where: totals / Double(count) .< 1)
    }

    /// Per field: weight / (1 − b + b·length/average).
    @inline(__always)
    static func normalizer(_ lengths: SIMD4<Float>, averages: SIMD4<Double>) -> SIMD4<Double> {
        weights / ((1 - lengthNormalization) + lengthNormalization * SIMD4<Double>(lengths) / averages)
    }

    @inline(__always)
    static func weightedFrequency(_ tf: SIMD4<UInt16>, _ normalizer: SIMD4<Double>) -> Double {
        (SIMD4<Double>(tf) * normalizer).sum()
    }

    /// BM25 saturation of a weighted frequency, scaled to 0…k1+1.
    @inline(__always)
    static func saturate(_ frequency: Double) -> Double {
        frequency * (k1 + 1) / (k1 + frequency)
    }

    static func inverseDocumentFrequency(_ df: Int, documents: Int) -> Double {
        let n = Double(documents), d = Double(df)
        return Foundation.log(1 + (n - d + 0.5) / (d + 0.5))
    }

    /// UTF-8 byte order: the order in which all terms sharing a prefix are adjacent.
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
