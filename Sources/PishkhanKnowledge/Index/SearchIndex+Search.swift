import PishkhanCore
extension SearchIndex {
    public func search(_ query: String, options: SearchOptions = .init()) -> [SearchHit] {
        searchWithStatistics(query, options: options).hits
    }

    /// `search`, with how much work the top-k retrieval did.
    public func searchWithStatistics(_ query: String, options: SearchOptions = .init()) -> (hits: [SearchHit], statistics: SearchStatistics) {
        let plan = plan(query, options: options)
        var statistics = SearchStatistics(terms: plan.count, postings: plan.reduce(0) { $0 + postings[$1.term].count }, scoredDocuments: 0)
        guard options.limit > 0, !plan.isEmpty else { return ([], statistics) }
        let top = topK(plan, limit: options.limit, locale: options.locale, scored: &statistics.scoredDocuments)
        let matched = Set(plan.map { terms[$0.term] })
        let hits = top.map { entry -> SearchHit in
            let article = articles[Int(entry.doc)]!
            guard options.snippets else { return SearchHit(id: article.id, score: entry.score, snippet: "", highlights: [], highlighted: "") }
            let snippet = SnippetBuilder.snippet(for: article, matching: matched, analyzer: analyzer)
            return SearchHit(id: article.id, score: entry.score, snippet: snippet.text, highlights: snippet.highlights, highlighted: snippet.html)
        }
        return (hits, statistics)
    }

    // MARK: Query terms

    struct QueryTerm {
        var term: Int
        /// 1 for a word as typed, less for a prefix completion or a typo correction.
        var weight: Double
    }

    static let prefixWeight = 0.7
    static let typoWeight = 0.5
    static let prefixScanLimit = 256
    static let prefixExpansions = 8
    static let typoExpansions = 3
    /// Longer words are not corrected: the probes grow with the length and nobody types such words by hand.
    static let typoMaximumLength = 24
    /// A query word this rare or rarer is also looked up with one typo.
    static let rareFrequency: Int32 = 2

    /// The index terms a query searches, with their weights; one entry per term.
    func plan(_ query: String, options: SearchOptions) -> [QueryTerm] {
        let tokens = analyzer.analyze(query, locale: options.locale)
        var weights: [Int: Double] = [:]
        var order: [Int] = []
        func use(_ term: Int, _ weight: Double) {
            if let old = weights[term] {
                weights[term] = max(old, weight)
            } else {
                weights[term] = weight
                order.append(term)
            }
        }
        for (k, token) in tokens.enumerated() {
            let exact = termIDs[token.term].map(Int.init).flatMap { documentFrequency[$0] > 0 ? $0 : nil }
            if let exact { use(exact, 1) }
            var completed = false
            if options.prefixLastTerm, k == tokens.count - 1, token.range.upperBound == query.endIndex {
                for term in completions(of: token.normalized) where term != exact {
                    use(term, Self.prefixWeight)
                    completed = true
                }
            }
            let rare = exact.map { documentFrequency[$0] <= Self.rareFrequency } ?? true
            if options.typoTolerance, !completed, rare, (5...Self.typoMaximumLength).contains(token.term.unicodeScalars.count) {
                for term in TypoCandidates.terms(oneEditFrom: token.term, in: self) where term != exact {
                    use(term, Self.typoWeight)
                }
            }
        }
        return order.map { QueryTerm(term: $0, weight: weights[$0]!) }
    }

    /// Live terms starting with `prefix`: the most frequent few among the first `prefixScanLimit` in the
    /// sorted dictionary.
    func completions(of prefix: String) -> [Int] {
        guard prefix.unicodeScalars.count >= 2 else { return [] }
        var low = 0
        var high = sortedTerms.count
        while low < high {
            let mid = (low + high) / 2
            if Self.precedes(terms[Int(sortedTerms[mid])], prefix) { low = mid + 1 } else { high = mid }
        }
        var found: [Int] = []
        var i = low
        while i < sortedTerms.count, i - low < Self.prefixScanLimit {
            let term = Int(sortedTerms[i])
            guard terms[term].utf8.starts(with: prefix.utf8) else { break }
            if documentFrequency[term] > 0 { found.append(term) }
            i += 1
        }
        if found.count > Self.prefixExpansions {
            found.sort { documentFrequency[$0] > documentFrequency[$1] }
            found.removeLast(found.count - Self.prefixExpansions)
        }
        return found
    }

    // MARK: Top-k retrieval

    struct Cursor {
        let list: [Posting]
        let blocks: [Double]
        var position = 0
        /// Query weight × idf.
        let factor: Double
        /// Growth of the field averages since the bounds were computed (see `cursors(_:)`).
        let scale: Double
        /// No posting of this term scores more.
        let upperBound: Double

        init(list: [Posting], blocks: [Double], upperFrequency: Double, factor: Double, scale: Double) {
            self.list = list
            self.blocks = blocks
            self.factor = factor
            self.scale = scale
            self.upperBound = factor * SearchIndex.saturate(upperFrequency * scale)
        }

        /// The bound of the block holding the first posting at or after `target`, and that block's last
        /// document; no bound and no end when the list has nothing from `target` on.
        func block(containing target: UInt32) -> (bound: Double, last: UInt32) {
            var block = position / SearchIndex.blockSize
            let count = blocks.count
            @inline(__always) func lastDoc(_ b: Int) -> UInt32 { list[min((b + 1) * SearchIndex.blockSize, list.count) - 1].doc }
            guard block < count else { return (0, .max) }
            if lastDoc(block) < target {
                var step = 1
                var low = block + 1
                var high = block + 1
                while high < count, lastDoc(high) < target {
                    low = high + 1
                    high += step
                    step *= 2
                }
                high = min(high, count)
                while low < high {
                    let mid = (low + high) / 2
                    if lastDoc(mid) < target { low = mid + 1 } else { high = mid }
                }
                block = low
                guard block < count else { return (0, .max) }
            }
            return (factor * SearchIndex.saturate(blocks[block] * scale), lastDoc(block))
        }

        @inline(__always) var doc: UInt32 { position < list.count ? list[position].doc : .max }

        /// Moves to the first posting at or after `target`, galloping then bisecting.
        mutating func advance(to target: UInt32) {
            var step = 1
            var low = position
            var high = position
            while high < list.count, list[high].doc < target {
                low = high + 1
                high += step
                step *= 2
            }
            high = min(high, list.count)
            while low < high {
                let mid = (low + high) / 2
                if list[mid].doc < target { low = mid + 1 } else { high = mid }
            }
            position = low
        }
    }

    func cursors(_ plan: [QueryTerm]) -> [Cursor] {
        // Upper bounds were computed at `referenceAverages`; a field's normalized frequency grows at most
        // by the factor its average grew since (1 − b + b·l/a is affine in 1/a), so scaling keeps them safe.
        let growth = (currentAverages / referenceAverages).max()
        let scale = Swift.max(1, growth) * (1 + 1e-9)
        return plan.map { query in
            let idf = Self.inverseDocumentFrequency(Int(documentFrequency[query.term]), documents: liveCount)
            return Cursor(list: postings[query.term], blocks: blockUpper[query.term], upperFrequency: upperFrequency[query.term], factor: query.weight * idf, scale: scale)
        }
    }

    @inline(__always)
    func accepts(_ doc: UInt32, locale: Article.Locale?) -> Bool {
        alive[Int(doc)] && (locale == nil || documentLocales[Int(doc)] == locale)
    }

    /// Sum over the cursors positioned on `doc`, in query-term order (so that every retrieval strategy
    /// adds the same numbers in the same order).
    @inline(__always)
    func score(_ doc: UInt32, _ cursors: [Cursor], averages: SIMD4<Double>) -> Double {
        let normalizer = Self.normalizer(documentLengths[Int(doc)], averages: averages)
        var total = 0.0
        for cursor in cursors where cursor.doc == doc {
            total += cursor.factor * Self.saturate(Self.weightedFrequency(cursor.list[cursor.position].tf, normalizer))
        }
        return total
    }

    /// Block-max WAND (Ding and Suel, 2011): cursors kept ordered by current document; the pivot is the first
    /// cursor at which the summed list upper bounds exceed the k-th best score so far, so documents before it
    /// cannot enter the top k. The pivot is then checked against the bounds of the blocks that hold it; when
    /// those cannot reach the k-th score either, the cursors jump past the nearest block end unscored.
    func topK(_ plan: [QueryTerm], limit: Int, locale: Article.Locale?, scored: inout Int) -> [TopK.Entry] {
        var cursors = cursors(plan)
        let averages = currentAverages
        var top = TopK(capacity: limit)
        var order = Array(cursors.indices)
        while true {
            // Insertion sort: the order changes little between steps and queries have few terms.
            for i in 1..<max(order.count, 1) {
                var j = i
                while j > 0, cursors[order[j - 1]].doc > cursors[order[j]].doc {
                    order.swapAt(j - 1, j)
                    j -= 1
                }
            }
            let threshold = top.threshold
            var bound = 0.0
            var pivot = -1
            for (i, c) in order.enumerated() {
                if cursors[c].doc == .max { break }
                bound += cursors[c].upperBound
                if bound > threshold {
                    pivot = i
                    break
                }
            }
            guard pivot >= 0 else { break }
            let pivotDoc = cursors[order[pivot]].doc
            var last = pivot
            while last + 1 < order.count, cursors[order[last + 1]].doc == pivotDoc { last += 1 }
            var blockBound = 0.0
            var next = UInt32.max
            for i in 0...last {
                let block = cursors[order[i]].block(containing: pivotDoc)
                blockBound += block.bound
                next = min(next, block.last == .max ? .max : block.last + 1)
            }
            if blockBound <= threshold {
                if last + 1 < order.count { next = min(next, cursors[order[last + 1]].doc) }
                next = max(next, pivotDoc + 1)
                for i in 0...last where cursors[order[i]].doc < next { cursors[order[i]].advance(to: next) }
            } else if cursors[order[0]].doc == pivotDoc {
                if accepts(pivotDoc, locale: locale) {
                    scored += 1
                    top.offer(doc: pivotDoc, score: score(pivotDoc, cursors, averages: averages))
                }
                for c in cursors.indices where cursors[c].doc == pivotDoc { cursors[c].position += 1 }
            } else {
                for i in 0..<pivot where cursors[order[i]].doc < pivotDoc { cursors[order[i]].advance(to: pivotDoc) }
            }
        }
        return top.sorted()
    }

    /// Scores every document in any of the plan's posting lists: the reference the WAND result must equal.
    func exhaustiveTopK(_ plan: [QueryTerm], limit: Int, locale: Article.Locale?) -> (top: [TopK.Entry], matching: Int) {
        var cursors = cursors(plan)
        let averages = currentAverages
        var top = TopK(capacity: limit)
        var matching = 0
        while let doc = cursors.map(\.doc).min(), doc != .max {
            if accepts(doc, locale: locale) {
                matching += 1
                top.offer(doc: doc, score: score(doc, cursors, averages: averages))
            }
            for c in cursors.indices where cursors[c].doc == doc { cursors[c].position += 1 }
        }
        return (top.sorted(), matching)
    }
}

/// The best `capacity` documents seen so far: a binary min-heap whose root is the worst kept entry. Ties
/// in score go to the lower document number, so every strategy that visits documents in order agrees.
struct TopK {
    struct Entry: Equatable {
        var doc: UInt32
        var score: Double
    }

    let capacity: Int
    private var heap: [Entry] = []

    init(capacity: Int) {
        self.capacity = capacity
        heap.reserveCapacity(capacity)
    }

    /// The score a new document must beat to enter; 0 until full.
    var threshold: Double { heap.count < capacity ? 0 : heap[0].score }

    @inline(__always)
    private static func worse(_ a: Entry, _ b: Entry) -> Bool {
        a.score < b.score || (a.score == b.score && a.doc > b.doc)
    }

    mutating func offer(doc: UInt32, score: Double) {
        let entry = Entry(doc: doc, score: score)
        if heap.count < capacity {
            heap.append(entry)
            var i = heap.count - 1
            while i > 0, Self.worse(heap[i], heap[(i - 1) / 2]) {
                heap.swapAt(i, (i - 1) / 2)
                i = (i - 1) / 2
            }
        } else if Self.worse(heap[0], entry) {
            heap[0] = entry
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < heap.count, Self.worse(heap[l], heap[smallest]) { smallest = l }
                if r < heap.count, Self.worse(heap[r], heap[smallest]) { smallest = r }
                if smallest == i { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
    }

    /// Best first.
    func sorted() -> [Entry] {
        heap.sorted { Self.worse($1, $0) }
    }
}
