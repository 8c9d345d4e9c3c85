import Foundation
import PishkhanCore
@testable import PishkhanKnowledge
import Testing

/// A larger index made of real sentences from the sample knowledge base, recombined deterministically:
/// every article is a sentence as title and three to twelve sentences of the same language as body.
struct SentenceCorpus {
    var sentences: [Article.Locale: [String]] = [:]
    var words: [Article.Locale: [String]] = [:]

    init() throws {
        for article in try sampleArticles() {
            let parts = (article.summary.map { [$0] } ?? []) + [article.body]
            for part in parts {
                for sentence in part.split(whereSeparator: { ".!?؟؛\n".contains($0) }) {
                    let text = sentence.trimmingCharacters(in: .whitespaces)
                    guard text.count > 12 else { continue }
                    sentences[article.locale, default: []].append(text)
                    for word in text.split(whereSeparator: { !$0.isLetter }) where word.count > 3 {
                        words[article.locale, default: []].append(String(word))
                    }
                }
            }
        }
    }

    func articles(_ count: Int, seed: UInt64, bodyScale: ClosedRange<Int> = 3...12) -> [IndexedArticle] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { n in
            let locale: Article.Locale = Bool.random(using: &random) ? .en : .fa
            let pool = sentences[locale]!
            let body = (0..<Int.random(in: bodyScale, using: &random)).map { _ in pool.randomElement(using: &random)! }
            return IndexedArticle(id: "doc-\(n)", locale: locale, title: pool.randomElement(using: &random)!,
                                  keywords: [words[locale]!.randomElement(using: &random)!], body: body.joined(separator: ". "))
        }
    }

    func queries(_ count: Int, seed: UInt64, words length: ClosedRange<Int> = 1...3) -> [String] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let locale: Article.Locale = Bool.random(using: &random) ? .en : .fa
            return (0..<Int.random(in: length, using: &random)).map { _ in words[locale]!.randomElement(using: &random)! }.joined(separator: " ")
        }
    }
}

@Suite struct TopKRetrievalTests {
    func compare(_ index: SearchIndex, _ queries: [String], limits: [Int] = [1, 10, 25], locales: [Article.Locale?] = [nil, .fa, .en]) -> (scored: Int, matching: Int) {
        var scored = 0
        var matching = 0
        for query in queries {
            for limit in limits {
                for locale in locales {
                    let options = SearchOptions(limit: limit, locale: locale)
                    let plan = index.plan(query, options: options)
                    var count = 0
                    let pruned = index.topK(plan, limit: limit, locale: locale, scored: &count)
                    let reference = index.exhaustiveTopK(plan, limit: limit, locale: locale)
                    #expect(pruned == reference.top, "\(query) limit \(limit) locale \(String(describing: locale))")
                    #expect(count <= reference.matching)
                    scored += count
                    matching += reference.matching
                }
            }
        }
        return (scored, matching)
    }

    @Test func prunedRetrievalEqualsExhaustiveScoring() throws {
        let corpus = try SentenceCorpus()
        let index = SearchIndex(articles: corpus.articles(3000, seed: 7))
        _ = compare(index, corpus.queries(60, seed: 11) + ["retu", "مرجو", "retrun order", "pasword"])
    }

    @Test func prunedRetrievalEqualsExhaustiveAfterEditsAndDrift() throws {
        let corpus = try SentenceCorpus()
        var index = SearchIndex(articles: corpus.articles(3000, seed: 3, bodyScale: 3...6))
        // Longer replacements raise the average body length (upper bounds are then scaled), removals leave
        // dead postings behind.
        for article in corpus.articles(300, seed: 5, bodyScale: 8...12) { index.upsert(article) }
        for n in stride(from: 1000, to: 1300, by: 2) { index.remove(id: "doc-\(n)") }
        #expect(index.statistics.deadPostings > 0)
        #expect((index.currentAverages / index.referenceAverages).max() > 1)
        _ = compare(index, corpus.queries(40, seed: 13))
    }

    /// "beta" is in thousands of documents, so its bound is far below a score of "alpha": once ten documents
    /// holding only "alpha" are kept it never proposes a document, yet the ten that hold both, numbered last,
    /// must still be found by probing it.
    @Test func nonEssentialTermStillDecidesTheTopTen() throws {
        let fillers = (0..<2000).map { IndexedArticle(id: "filler-\($0)", locale: .en, title: "Notes \($0)", body: "beta notes for item \($0)") }
        let alpha = (0..<40).map { n in
            IndexedArticle(id: "alpha-\(n)", locale: .en, title: "Setup", body: n < 30 ? "alpha gamma instructions" : "alpha beta instructions")
        }
        let index = SearchIndex(articles: fillers + alpha)
        let plan = index.plan("alpha beta", options: .init(prefixLastTerm: false, typoTolerance: false))
        #expect(plan.count == 2)
        let cursors = index.cursors(plan)
        let reference = index.exhaustiveTopK(plan, limit: 10, locale: nil).top
        #expect(reference.map { index.documentIDs[Int($0.doc)] } == (30..<40).map { "alpha-\($0)" })
        let alphaOnly = index.exhaustiveTopK([plan[0]], limit: 1, locale: nil).top[0].score
        #expect(cursors[1].upperBound < alphaOnly)
        _ = compare(index, ["alpha beta"], limits: [1, 10, 25], locales: [nil, .en])
    }

    /// Re-adding a document leaves the field averages, and so the stored impacts, as they were; the term
    /// floors of the best documents' terms are dropped with their old postings and pruning stays exact.
    @Test func prunedRetrievalEqualsExhaustiveAfterReplacingTheBestDocuments() throws {
        let corpus = try SentenceCorpus()
        let articles = corpus.articles(3000, seed: 23)
        var index = SearchIndex(articles: articles)
        let queries = corpus.queries(30, seed: 29, words: 1...2)
        let byID = Dictionary(uniqueKeysWithValues: articles.map { ($0.id, $0) })
        for query in queries.prefix(10) {
            for hit in index.search(query, options: .init(limit: 10, snippets: false)) { index.upsert(byID[hit.id]!) }
        }
        #expect(index.statistics.deadPostings > 0)
        #expect(index.currentAverages == index.referenceAverages)
        _ = compare(index, queries, limits: [1, 10], locales: [nil])
    }

    @Test func prunedRetrievalSkipsMostMatchingDocuments() throws {
        let corpus = try SentenceCorpus()
        let index = SearchIndex(articles: corpus.articles(20_000, seed: 17))
        let result = compare(index, corpus.queries(30, seed: 19, words: 2...3), limits: [10], locales: [nil])
        #expect(result.matching > 100_000)
        #expect(result.scored * 4 < result.matching, "scored \(result.scored) of \(result.matching)")

        let (_, statistics) = index.searchWithStatistics("order password refund", options: .init(limit: 10, snippets: false))
        #expect(statistics.scoredDocuments < statistics.postings)
    }
}
