import Foundation
import PishkhanCore
@testable import PishkhanKnowledge
import Testing

/// The sample knowledge base shipped with the product.
func sampleArticles() throws -> [IndexedArticle] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try ArticleLoader.load(from: root.appendingPathComponent("KnowledgeBase")).map(IndexedArticle.init)
}

@Suite struct SearchIndexTests {
    static let filler = "Our support team answers every message in the order it arrives, on working days from nine to five."

    @Test func titleOutranksBody() {
        let index = SearchIndex(articles: [
            IndexedArticle(id: "body", locale: .en, title: "Opening hours", body: "We answer on working days. You can ask for a refund by email. " + Self.filler),
            IndexedArticle(id: "title", locale: .en, title: "Refund policy", body: "We answer on working days. Write to us by email. " + Self.filler),
        ])
        #expect(index.search("refund").map(\.id) == ["title", "body"])
    }

    @Test func keywordsOutrankBody() {
        let index = SearchIndex(articles: [
            IndexedArticle(id: "body", locale: .en, title: "Shipping", body: "The courier brings parcels. Invoices are emailed. " + Self.filler),
            IndexedArticle(id: "keywords", locale: .en, title: "Shipping", keywords: ["invoice"], body: "The courier brings parcels. Bills are emailed. " + Self.filler),
        ])
        #expect(index.search("invoice").first?.id == "keywords")
    }

    @Test func sampleKnowledgeBaseFindsTheRightArticle() throws {
        let index = SearchIndex(articles: try sampleArticles())
        #expect(index.search("reset my password", options: .init(locale: .en)).first?.id == "password-reset-en")
        #expect(index.search("رمز عبور را فراموش کرده‌ام", options: .init(locale: .fa)).first?.id == "password-reset-fa")
        #expect(index.search("مرجوع کردن کالا").first?.id == "return-within-7-days-fa")
        #expect(index.search("warranty claim").first?.id == "warranty-claims-en")
    }

    @Test func localeFilterKeepsOnlyThatLocale() throws {
        let index = SearchIndex(articles: try sampleArticles())
        let persian = index.search("کالا", options: .init(limit: 50, locale: .fa))
        #expect(!persian.isEmpty)
        #expect(persian.allSatisfy { $0.id.hasSuffix("-fa") })
        #expect(index.search("رمز عبور", options: .init(locale: .en)).isEmpty)
        #expect(index.search("password", options: .init(locale: .fa)).map(\.id) == ["password-reset-fa"])  // its tag
        #expect(index.search("password", options: .init(locale: .en)).first?.id == "password-reset-en")
    }

    @Test func lastWordIsAPrefixWhileTyping() {
        let index = SearchIndex(articles: [
            IndexedArticle(id: "returns", locale: .en, title: "Returns", body: "How to return an item you bought."),
            IndexedArticle(id: "delivery", locale: .en, title: "Delivery", body: "When your parcel arrives."),
        ])
        #expect(index.search("retu").map(\.id) == ["returns"])
        #expect(index.search("retu", options: .init(prefixLastTerm: false)).isEmpty)
        #expect(index.search("retu ").isEmpty)  // a finished word is not a prefix
        #expect(index.search("parcel deli").map(\.id) == ["delivery"])
        #expect(index.search("deli parcel").map(\.id) == ["delivery"])  // only the last word completes
        #expect(index.search("deli parcel", options: .init(prefixLastTerm: false)).map(\.id) == ["delivery"])
    }

    @Test func persianPrefix() throws {
        let index = SearchIndex(articles: try sampleArticles())
        #expect(index.search("مرجو", options: .init(locale: .fa)).first?.id == "return-within-7-days-fa")
    }

    @Test func oneTypoIsForgivenOnLongWords() {
        let index = SearchIndex(articles: [
            IndexedArticle(id: "returns", locale: .en, title: "Returns", body: "How to return an item you bought."),
            IndexedArticle(id: "password", locale: .en, title: "Password", body: "Reset your password from the sign-in page."),
            IndexedArticle(id: "order", locale: .en, title: "Order", body: "Track an order."),
        ])
        #expect(index.search("retrun policy", options: .init(prefixLastTerm: false)).map(\.id) == ["returns"])  // transposition
        #expect(index.search("pasword").map(\.id) == ["password"])  // deletion
        #expect(index.search("passwordd").map(\.id) == ["password"])  // insertion
        #expect(index.search("retrun", options: .init(prefixLastTerm: false, typoTolerance: false)).isEmpty)
        #expect(index.search("ordr", options: .init(prefixLastTerm: false)).isEmpty)  // too short to correct
        #expect(index.search("retxrn zzzz", options: .init(prefixLastTerm: false)).first?.id == "returns")
    }

    @Test func typoMatchesScoreBelowExactOnes() {
        let index = SearchIndex(articles: [
            IndexedArticle(id: "courier", locale: .en, title: "Courier", body: "The courier calls first."),
            IndexedArticle(id: "couriers", locale: .en, title: "Couriel", body: "A couriel is not a word but it is one edit away."),
        ])
        let hits = index.search("couriel", options: .init(prefixLastTerm: false))
        #expect(hits.map(\.id) == ["couriers", "courier"])
    }

    @Test func snippetMarksMatchedWordsAndEscapesHTML() {
        let body = "Welcome to the shop. " + String(repeating: "Nothing about it here. ", count: 20)
            + "To **return** an item, open <Orders> & press Return. " + String(repeating: "More filler text. ", count: 20)
        let index = SearchIndex(articles: [IndexedArticle(id: "a", locale: .en, title: "Help", body: body)])
        let hit = try! #require(index.search("returning").first)
        #expect(hit.snippet.contains("To return an item, open <Orders> & press Return."))
        #expect(hit.snippet.hasPrefix("…") && hit.snippet.hasSuffix("…"))
        let marked = hit.highlights.map { String(decoding: Array(hit.snippet.utf16)[$0], as: UTF16.self) }
        #expect(marked == ["return", "Return"])
        #expect(hit.highlighted.contains("To <mark>return</mark> an item, open &lt;Orders&gt; &amp; press <mark>Return</mark>."))
    }

    @Test func persianSnippetMarksWordsWrittenWithSpaces() {
        let index = SearchIndex(articles: [IndexedArticle(id: "a", locale: .fa, title: "راهنما", body: "اگر کتاب ها را می خواهید، سفارش دهید.")])
        let hit = try! #require(index.search("کتاب‌ها").first)
        #expect(hit.highlighted.contains("<mark>کتاب ها</mark>"))
    }

    @Test func snippetFallsBackToSummary() {
        let index = SearchIndex(articles: [IndexedArticle(id: "a", locale: .en, title: "Guide", summary: "All about invoices.", body: "Nothing relevant here.")])
        #expect(index.search("invoice").first?.highlighted == "All about <mark>invoices</mark>.")
    }

    @Test("Arabic letters, Persian digits and missing ZWNJ find the same articles", arguments: [
        ("كالاي معيوب", "کالای معیوب"), ("۷ روز", "7 روز"), ("٧ روز", "7 روز"), ("میخواهم مرجوع کنم", "می‌خواهم مرجوع کنم"),
        ("می خواهم مرجوع کنم", "می‌خواهم مرجوع کنم"), ("سفارش ها", "سفارش‌ها"), ("هزينهٔ ارسال", "هزینه ارسال"),
    ])
    func variantQueriesAreEquivalent(variant: String, standard: String) throws {
        let index = SearchIndex(articles: try sampleArticles())
        let a = index.search(variant, options: .init(limit: 20))
        let b = index.search(standard, options: .init(limit: 20))
        #expect(!b.isEmpty)
        #expect(a.map(\.id) == b.map(\.id))
        #expect(a.map(\.score) == b.map(\.score))
    }

    @Test func upsertAndRemoveAreIncremental() throws {
        let articles = try sampleArticles()
        var index = SearchIndex(articles: articles)
        let before = index.count
        #expect(index.search("zarvarak wrapping").first?.id != "gift-cards-en")

        index.upsert(IndexedArticle(id: "gift-cards-en", locale: .en, title: "Zarvarak wrapping", keywords: ["kadopich"], body: "Add zarvarak wrapping at checkout."))
        #expect(index.count == before + 1)
        #expect(index.search("zarvarak wrapping").first?.id == "gift-cards-en")
        #expect(index.documentFrequency(of: "kadopich") == 1)

        index.upsert(IndexedArticle(id: "gift-cards-en", locale: .en, title: "Ghollak credit", body: "Ghollak credit is added to your account."))
        #expect(index.count == before + 1)
        #expect(index.documentFrequency(of: "kadopich") == 0)
        #expect(index.search("kadopich").isEmpty)
        #expect(index.search("ghollak credit").first?.id == "gift-cards-en")

        index.remove(id: "gift-cards-en")
        #expect(index.count == before)
        #expect(index.search("ghollak credit").first?.id != "gift-cards-en")
        index.remove(id: "no-such-article")
        #expect(index.count == before)
    }

    @Test func statisticsAfterEditsMatchAFreshIndex() throws {
        let articles = try sampleArticles()
        var index = SearchIndex(articles: articles)
        var expected = articles
        // Replace one, remove one, add one.
        var changed = articles[0]
        changed.body = "A much shorter body about parcels."
        index.upsert(changed)
        expected[0] = changed
        index.remove(id: articles[1].id)
        expected.remove(at: 1)
        let added = IndexedArticle(id: "new-en", locale: .en, title: "New", body: "Parcels and couriers and parcels again.")
        index.upsert(added)
        expected.append(added)

        let fresh = SearchIndex(articles: expected)
        var edited = index.statistics
        edited.deadPostings = 0
        #expect(edited == fresh.statistics)
        for query in ["parcel", "password reset", "کالا مرجوع", "refund card"] {
            let a = index.search(query, options: .init(limit: 20))
            let b = fresh.search(query, options: .init(limit: 20))
            #expect(a.map(\.id) == b.map(\.id), "\(query)")
            #expect(zip(a, b).allSatisfy { abs($0.score - $1.score) < 1e-9 }, "\(query)")
        }
    }

    @Test func snapshotIsUnaffectedByLaterWrites() throws {
        var index = SearchIndex(articles: try sampleArticles())
        let snapshot = index
        index.upsert(IndexedArticle(id: "gift-cards-en", locale: .en, title: "Zarvarak wrapping", body: "Add zarvarak wrapping."))
        index.remove(id: "password-reset-en")
        #expect(snapshot.search("zarvarak wrapping").first?.id != "gift-cards-en")
        #expect(snapshot.search("password").first?.id == "password-reset-en")
        #expect(index.search("zarvarak wrapping").first?.id == "gift-cards-en")
    }

    @Test func manyRemovalsCompact() throws {
        let articles = try sampleArticles()
        var index = SearchIndex(articles: articles)
        for article in articles.dropFirst() { index.remove(id: article.id) }
        #expect(index.count == 1)
        #expect(index.statistics.deadPostings == 0)  // compacted
        #expect(index.search(articles[0].title).first?.id == articles[0].id)
    }
}
