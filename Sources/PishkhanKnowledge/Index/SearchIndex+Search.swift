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
        guard options.snippets else {
            return (top.map { SearchHit(id: documentIDs[Int($0.doc)], score: $0.score, snippet: "", highlights: [], highlighted: "") }, statistics)
        }
        let matched = Set(plan.map { terms[$0.term] })
        let hits = top.map { entry -> SearchHit in
            let article = articles[Int(entry.doc)]!
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
        var planned: [QueryTerm] = []
        func use(_ term: Int, _ weight: Double) {
            if let i = planned.firstIndex(where: { $0.term == term }) {
                planned[i].weight = max(planned[i].weight, weight)
            } else {
                planned.append(QueryTerm(term: term, weight: weight))
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
        return planned
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

    /// One query term's posting list being walked.
    ///
    /// It reads the index's arrays through pointers, without reference counting or bounds checks, so it must
    /// not outlive the call on the index that made it: the index is immutable for that call and keeps the
    /// arrays alive.
    struct Cursor {
        let postings: UnsafeBufferPointer<Posting>
        let frequencies: UnsafeBufferPointer<SIMD4<UInt16>>
        let blocks: UnsafeBufferPointer<Double>
        let blockLasts: UnsafeBufferPointer<UInt32>
        private(set) var position = 0
        /// The document at `position`; `UInt32.max` past the end.
        private(set) var doc: UInt32
        /// Query weight × idf.
        let factor: Double
        /// Growth of the field averages since the bounds were computed (see `cursors(_:)`).
        let scale: Double
        /// No posting of this term scores more.
        let upperBound: Double
        /// The last block whose bound was computed, that bound and the block's last document.
        private var boundBlock = -1
        private var blockBound = 0.0
        private var boundLast: UInt32 = 0

        init(postings: UnsafeBufferPointer<Posting>, frequencies: UnsafeBufferPointer<SIMD4<UInt16>>,
             blocks: UnsafeBufferPointer<Double>, blockLasts: UnsafeBufferPointer<UInt32>, upperFrequency: Double, factor: Double, scale: Double) {
            self.postings = postings
            self.frequencies = frequencies
            self.blocks = blocks
            self.blockLasts = blockLasts
            self.doc = postings.isEmpty ? .max : postings[0].doc
            self.factor = factor
            self.scale = scale
            self.upperBound = factor * SearchIndex.saturate(upperFrequency * scale)
        }

        @inline(__always) var frequency: SIMD4<UInt16> { frequencies[position] }
        @inline(__always) var impact: Double { postings[position].impact }

        @inline(__always) private func lastDoc(_ block: Int) -> UInt32 { blockLasts[block] }

        /// The bound of the block holding the first posting at or after `target`, and that block's last
        /// document; no bound and no end when the list has nothing from `target` on. Only the block moves,
        /// not the cursor; `target` must never be lower than in the previous call.
        mutating func block(containing target: UInt32) -> (bound: Double, last: UInt32) {
            var block = Swift.max(position / SearchIndex.blockSize, boundBlock)
            if block == boundBlock, target <= boundLast { return (blockBound, boundLast) }
            let count = blocks.count
            if block < count, lastDoc(block) < target {
                var step = 1
                var low = block + 1
                var high = block + 1
                while high < count, lastDoc(high) < target {
                    low = high + 1
                    high += step
                    step *= 2
                }
                high = Swift.min(high, count)
                while low < high {
                    let mid = (low + high) / 2
                    if lastDoc(mid) < target { low = mid + 1 } else { high = mid }
                }
                block = low
            }
            boundBlock = block
            if block < count {
                blockBound = factor * SearchIndex.saturate(blocks[block] * scale)
                boundLast = lastDoc(block)
            } else {
                blockBound = 0
                boundLast = .max
            }
            return (blockBound, boundLast)
        }

        @inline(__always) mutating func next() {
            position += 1
            doc = position < postings.count ? postings[position].doc : .max
        }

        /// Moves to the first posting at or after `target`, galloping then bisecting; from the block that
        /// `block(containing:)` found, when it found one ahead (every posting before it is below `target`).
        mutating func advance(to target: UInt32) {
            var low = position
            if boundBlock > position / SearchIndex.blockSize { low = Swift.min(boundBlock * SearchIndex.blockSize, postings.count) }
            var step = 1
            var high = low
            while high < postings.count, postings[high].doc < target {
                low = high + 1
                high += step
                step *= 2
            }
            high = Swift.min(high, postings.count)
            while low < high {
                let mid = (low + high) / 2
                if postings[mid].doc < target { low = mid + 1 } else { high = mid }
            }
            position = low
            doc = position < postings.count ? postings[position].doc : .max
        }

        /// This term's part of the score of `doc`, the document at the cursor (see `score(_:_:_:)`).
        @inline(__always)
        func score(_ doc: UInt32, _ documents: Documents) -> Double {
            guard !documents.impactsHold else { return factor * impact }
            let normalizer = SearchIndex.normalizer(documents.lengths[Int(doc)], averages: documents.averages)
            return factor * SearchIndex.saturate(SearchIndex.weightedFrequency(frequency, normalizer))
        }
    }

    /// What filtering and scoring read per document, through pointers into the index's arrays (see `Cursor`).
    struct Documents {
        let alive: UnsafeBufferPointer<Bool>
        let locales: UnsafeBufferPointer<Article.Locale>
        let lengths: UnsafeBufferPointer<SIMD4<Float>>
        /// Whether the averages are still the reference ones, at which the postings' impacts were computed.
        let impactsHold: Bool
        let averages: SIMD4<Double>
        let locale: Article.Locale?

        @inline(__always)
        func accepts(_ doc: UInt32) -> Bool {
            alive[Int(doc)] && (locale == nil || locales[Int(doc)] == locale)
        }

    }

    func cursors(_ plan: [QueryTerm]) -> [Cursor] {
        // Upper bounds were computed at `referenceAverages`; a field's normalized frequency grows at most
        // by the factor its average grew since (1 − b + b·l/a is affine in 1/a), so scaling keeps them safe.
        let growth = (currentAverages / referenceAverages).max()
        let scale = Swift.max(1, growth) * (1 + 1e-9)
        return plan.map { query in
            let idf = Self.inverseDocumentFrequency(Int(documentFrequency[query.term]), documents: liveCount)
            return Cursor(
                postings: postings[query.term].withUnsafeBufferPointer { $0 },
                frequencies: postingFrequencies[query.term].withUnsafeBufferPointer { $0 },
                blocks: blockUpper[query.term].withUnsafeBufferPointer { $0 },
                blockLasts: blockLast[query.term].withUnsafeBufferPointer { $0 },
                upperFrequency: upperFrequency[query.term], factor: query.weight * idf, scale: scale)
        }
    }

    func documents(locale: Article.Locale?) -> Documents {
        let averages = currentAverages
        return Documents(
            alive: alive.withUnsafeBufferPointer { $0 }, locales: documentLocales.withUnsafeBufferPointer { $0 },
            lengths: documentLengths.withUnsafeBufferPointer { $0 },
            impactsHold: averages == referenceAverages,
            averages: averages, locale: locale)
    }

    /// Sum over the cursors positioned on `doc`, in query-term order (so that every retrieval strategy
    /// adds the same numbers in the same order). The stored impacts are the very numbers the frequencies
    /// give at the reference averages; after the averages moved, the frequencies are normalized again.
    @inline(__always)
    static func score(_ doc: UInt32, _ cursors: UnsafeMutableBufferPointer<Cursor>, _ documents: Documents) -> Double {
        var total = 0.0
        if documents.impactsHold {
            for c in cursors.indices where cursors[c].doc == doc { total += cursors[c].factor * cursors[c].impact }
        } else {
            let normalizer = SearchIndex.normalizer(documents.lengths[Int(doc)], averages: documents.averages)
            for c in cursors.indices where cursors[c].doc == doc {
                total += cursors[c].factor * saturate(weightedFrequency(cursors[c].frequency, normalizer))
            }
        }
        return total
    }

    /// Block-max MaxScore (Turtle and Flood, 1995; block bounds after Ding and Suel, 2011). The lists are
    /// ranked by upper bound, and the weakest ones whose bounds together cannot beat the k-th best score so
    /// far are non-essential: they never propose a document, they are only probed, strongest first, for a
    /// document an essential list holds, and only while they can still lift it into the top k. Before that,
    /// the bounds of the blocks around the document decide whether it, and everything up to the nearest
    /// block end, can be passed over unscored. Documents are visited in increasing order.
    func topK(_ plan: [QueryTerm], limit: Int, locale: Article.Locale?, scored: inout Int) -> [TopK.Entry] {
        var cursors = cursors(plan)
        let documents = documents(locale: locale)
        var top = TopK(capacity: limit)
        // With every live document eligible and the stored impacts current, the best term's floor alone
        // guarantees `limit` documents at or above it: anything below it can be passed over.
        var floor = 0.0
        if locale == nil, documents.impactsHold, limit <= Self.floorRank {
            for (c, query) in plan.enumerated() { floor = max(floor, cursors[c].factor * impactFloor[query.term]) }
        }
        let below = floor.nextDown
        let order = cursors.indices.sorted { cursors[$0].upperBound < cursors[$1].upperBound }
        // reach[i]: the sum of the upper bounds of order[0...i]; blockReach[i], of what they can add to the
        // current document by the bounds of their blocks around it.
        var reach: [Double] = []
        reach.reserveCapacity(order.count)
        for c in order { reach.append((reach.last ?? 0) + cursors[c].upperBound) }
        var blockReach = [Double](repeating: 0, count: order.count)
        var count = 0
        cursors.withUnsafeMutableBufferPointer { cursors in
            blockReach.withUnsafeMutableBufferPointer { blockReach in
                // order[..<essential] are the non-essential lists.
                var essential = 0
                while essential < order.count, reach[essential] <= below { essential += 1 }
                while essential < order.count {
                    var doc = UInt32.max
                    for i in essential..<order.count { doc = min(doc, cursors[order[i]].doc) }
                    guard doc != .max else { break }
                    let threshold = max(top.threshold, below)
                    // A bound on every document from `doc` up to `next`: a list whose cursor is already past
                    // `doc` holds nothing before its cursor, any other holds nothing above its block's bound.
                    var next = UInt32.max
                    var bound = 0.0
                    for i in order.indices {
                        let cursor = cursors[order[i]].doc
                        if cursor > doc {
                            next = min(next, cursor)
                        } else {
                            let block = cursors[order[i]].block(containing: doc)
                            bound += block.bound
                            if block.last < next { next = block.last + 1 }
                        }
                        blockReach[i] = bound
                    }
                    if bound <= threshold {
                        for i in essential..<order.count where cursors[order[i]].doc < next { cursors[order[i]].advance(to: next) }
                        continue
                    }
                    if documents.accepts(doc) {
                        var partial = 0.0
                        for i in essential..<order.count where cursors[order[i]].doc == doc { partial += cursors[order[i]].score(doc, documents) }
                        var i = essential - 1
                        while i >= 0, partial + blockReach[i] > threshold {
                            cursors[order[i]].advance(to: doc)
                            if cursors[order[i]].doc == doc { partial += cursors[order[i]].score(doc, documents) }
                            i -= 1
                        }
                        if i < 0 {
                            // Every list is on `doc` or past it: the full score, in query-term order.
                            count += 1
                            top.offer(doc: doc, score: Self.score(doc, cursors, documents))
                            while essential < order.count, reach[essential] <= max(top.threshold, below) { essential += 1 }
                        }
                    }
                    for i in essential..<order.count where cursors[order[i]].doc == doc { cursors[order[i]].next() }
                }
            }
        }
        scored += count
        return top.sorted()
    }

    /// Scores every document in any of the plan's posting lists: the reference the pruned result must equal.
    func exhaustiveTopK(_ plan: [QueryTerm], limit: Int, locale: Article.Locale?) -> (top: [TopK.Entry], matching: Int) {
        var cursors = cursors(plan)
        let documents = documents(locale: locale)
        var top = TopK(capacity: limit)
        var matching = 0
        cursors.withUnsafeMutableBufferPointer { cursors in
            while let doc = cursors.map(\.doc).min(), doc != .max {
                if documents.accepts(doc) {
                    matching += 1
                    top.offer(doc: doc, score: Self.score(doc, cursors, documents))
                }
                for c in cursors.indices where cursors[c].doc == doc { cursors[c].next() }
            }
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
