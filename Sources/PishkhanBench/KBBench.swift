import ArgumentParser
import Foundation
import GRDB
import PishkhanCore
import PishkhanKnowledge
import PishkhanStore

/// `pishkhan-bench kb`: the knowledge-base search index against SQLite FTS5 on the same corpus and queries.
///
/// The corpus is real English prose from this machine's manual pages (`/usr/share/man/**/*.gz`, read
/// through `zcat`): every section of every page (NAME, DESCRIPTION, OPTIONS…) with at least 12 words
/// becomes one article, titled "page(section): SECTION NAME", with the page name as keyword and the page's
/// NAME line as summary. On a minimal Debian install `apt-get install man-db manpages manpages-dev` adds
/// enough pages. Queries are drawn from the corpus's own text: two or three words of a random article, a
/// fifth of them with the last word cut short as if still being typed.
struct KB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb",
        abstract: "Search index build time, memory and query latency over man-page sections (/usr/share/man), against SQLite FTS5 bm25().",
        discussion: "The corpus is every man-page section of 12 words or more under /usr/share/man (apt-get install man-db manpages manpages-dev if there are too few).")

    @Option(help: "Articles in the corpus.") var articles = 100_000
    @Option(help: "Queries timed against each engine.") var queries = 10_000
    @Option(help: "Of those, timed against SQLite FTS5 (each takes tens of milliseconds there).") var sqliteQueries = 2_000
    @Option(help: "Hits per query.") var limit = 10
    @Flag(name: .customLong("skip-sqlite"), help: "Skip SQLite FTS5.") var skipSQLite = false
    @Option(help: "The shipped knowledge base, for search quality.") var knowledgeBase = "KnowledgeBase"
    @Option(help: "Judged queries over it (JSON lines).") var judged = "Tests/Data/kb-judged-queries.jsonl"
    @Option(help: "Write every query's ranked hits (id and exact score) to this file, to compare two builds.") var hitsFile: String?

    func run() async throws {
        let quality = try self.quality()
        let corpus = try ManPageCorpus.load(limit: articles)
        guard corpus.count >= articles else {
            throw ValidationError("only \(corpus.count) man-page sections found; install more manual pages or lower --articles")
        }
        let queryTexts = ManPageCorpus.queries(queries, from: corpus)
        var report: [String: JSONValue] = [
            "machine": Ingest().machine(), "articles": .int(Int64(corpus.count)), "queries": .int(Int64(queryTexts.count)),
            "corpusBytes": .int(Int64(corpus.reduce(0) { $0 + $1.body.utf8.count + $1.title.utf8.count + ($1.summary?.utf8.count ?? 0) })),
            "corpus": .string("man-page sections from /usr/share/man"),
            "sampleQueries": .array(queryTexts.prefix(5).map { .string($0) }),
        ]
        report["judgedQualityNDCG10"] = quality
        report["searchIndex"] = try index(corpus, queryTexts)
        if !skipSQLite { report["sqliteFTS5"] = try fts5(corpus, Array(queryTexts.prefix(sqliteQueries))) }
        print(String(decoding: try JSONEncoder.pretty.encode(report), as: UTF8.self))
    }

    func index(_ corpus: [IndexedArticle], _ queryTexts: [String]) throws -> JSONValue {
        let rss0 = ResidentMemory.mebibytes
        let t0 = ContinuousClock.now
        let index = SearchIndex(articles: corpus)
        let buildSeconds = (ContinuousClock.now - t0).seconds
        let rss1 = ResidentMemory.mebibytes
        var hits = 0
        var slowest: [String: JSONValue] = [:]
        func time(_ mode: String, _ options: SearchOptions) -> Latencies {
            for query in queryTexts.prefix(500) { hits &+= index.search(query, options: options).count }  // warm-up
            var samples: [Double] = []
            samples.reserveCapacity(queryTexts.count)
            for query in queryTexts {
                let start = ContinuousClock.now
                hits &+= index.search(query, options: options).count
                samples.append((ContinuousClock.now - start).seconds * 1e6)
            }
            let worst = samples.indices.sorted { samples[$0] > samples[$1] }.prefix(5)
            slowest[mode] = .object(Dictionary(worst.map { (queryTexts[$0], .number(samples[$0].rounded())) }, uniquingKeysWith: { a, _ in a }))
            return Latencies(samples)
        }
        let full = time("withSnippets", SearchOptions(limit: limit))
        let exact = time("exactWordsOnly", SearchOptions(limit: limit, prefixLastTerm: false, typoTolerance: false, snippets: false))
        let ranking = time("rankingOnly", SearchOptions(limit: limit, snippets: false))
        // The part of each query spent analyzing its text (normalizing, tokenizing, stemming), not searching.
        let analyzer = Analyzer()
        var analysisSamples: [Double] = []
        for query in queryTexts {
            let start = ContinuousClock.now
            hits &+= analyzer.analyze(query).count
            analysisSamples.append((ContinuousClock.now - start).seconds * 1e6)
        }
        let analysis = Latencies(analysisSamples)
        var scored = 0, postings = 0
        for query in queryTexts {
            let s = index.searchWithStatistics(query, options: SearchOptions(limit: limit, snippets: false)).statistics
            scored += s.scoredDocuments
            postings += s.postings
        }
        if let hitsFile {
            var lines = ""
            for query in queryTexts {
                let ranked = index.search(query, options: SearchOptions(limit: limit, snippets: false))
                lines += query + "\t" + ranked.map { "\($0.id) \(String($0.score.bitPattern, radix: 16))" }.joined(separator: " ") + "\n"
            }
            try Data(lines.utf8).write(to: URL(fileURLWithPath: hitsFile))
        }
        let statistics = index.statistics
        return .object([
            "buildSeconds": .number(buildSeconds.rounded(to: 2)), "rssDeltaMiB": .number((rss1 - rss0).rounded()),
            "terms": .int(Int64(statistics.terms)),
            "latencyMicrosRankingOnly": ranking.summary, "latencyMicrosWithSnippets": full.summary,
            "latencyMicrosExactWordsOnly": exact.summary, "latencyMicrosQueryAnalysisOnly": analysis.summary,
            "scoredDocumentsPerQuery": .number((Double(scored) / Double(queryTexts.count)).rounded(to: 1)),
            "postingsPerQuery": .number((Double(postings) / Double(queryTexts.count)).rounded(to: 1)),
            "hitsReturned": .int(Int64(hits)), "target": .string("p50 ≤ 100 µs, p99 ≤ 1 ms"),
            "slowestQueriesMicros": .object(slowest),
        ])
    }

    /// The same articles in an FTS5 table (porter stemmer over unicode61, diacritics removed), ranked by
    /// bm25() with the index's field weights; words are ORed, the as-you-type query ends in a prefix.
    func fts5(_ corpus: [IndexedArticle], _ queryTexts: [String]) throws -> JSONValue {
        _ = SQLiteLibrary.configured
        let database = try DatabaseQueue()
        let rss0 = ResidentMemory.mebibytes
        let t0 = ContinuousClock.now
        try database.write { db in
            try db.execute(sql: "CREATE VIRTUAL TABLE kb USING fts5(title, keywords, summary, body, tokenize = 'porter unicode61 remove_diacritics 2')")
            let insert = try db.makeStatement(sql: "INSERT INTO kb (rowid, title, keywords, summary, body) VALUES (?, ?, ?, ?, ?)")
            for (n, article) in corpus.enumerated() {
                try insert.execute(arguments: [n, article.title, article.keywords.joined(separator: " "), article.summary ?? "", article.body])
            }
        }
        let buildSeconds = (ContinuousClock.now - t0).seconds
        let rss1 = ResidentMemory.mebibytes
        var hits = 0
        func time(_ sql: String) throws -> Latencies {
            try database.read { db in
                let statement = try db.makeStatement(sql: sql)
                for query in queryTexts.prefix(500) { hits &+= try Row.fetchAll(statement, arguments: [Self.matchExpression(query), limit]).count }
                var samples: [Double] = []
                for query in queryTexts {
                    let match = Self.matchExpression(query)
                    let start = ContinuousClock.now
                    hits &+= try Row.fetchAll(statement, arguments: [match, limit]).count
                    samples.append((ContinuousClock.now - start).seconds * 1e6)
                }
                return Latencies(samples)
            }
        }
        let ranking = try time("SELECT rowid FROM kb WHERE kb MATCH ? ORDER BY bm25(kb, 3.0, 2.5, 1.5, 1.0) LIMIT ?")
        let full = try time("SELECT rowid, snippet(kb, 3, '<mark>', '</mark>', '…', 24) FROM kb WHERE kb MATCH ? ORDER BY bm25(kb, 3.0, 2.5, 1.5, 1.0) LIMIT ?")
        return .object([
            "buildSeconds": .number(buildSeconds.rounded(to: 2)), "rssDeltaMiB": .number((rss1 - rss0).rounded()),
            "latencyMicrosRankingOnly": ranking.summary, "latencyMicrosWithSnippets": full.summary,
            "queries": .int(Int64(queryTexts.count)), "hitsReturned": .int(Int64(hits)), "sqlite": .string(try database.read { try String.fetchOne($0, sql: "SELECT sqlite_version()") } ?? ""),
        ])
    }

    /// Mean nDCG@10 over the judged queries on the shipped knowledge base: this index, and FTS5 with the
    /// same field weights (title 3, keywords 2.5, summary 1.5, body 1) and its porter/unicode61 tokenizer.
    /// Both get the question as typed, words ORed, no prefix.
    func quality() throws -> JSONValue {
        let queries = try JudgedQuery.load(jsonLines: URL(fileURLWithPath: judged))
        let articles = try ArticleLoader.load(from: URL(fileURLWithPath: knowledgeBase)).filter { $0.status == .published }
        let index = SearchIndex(articles: articles.map(IndexedArticle.init))
        _ = SQLiteLibrary.configured
        let database = try DatabaseQueue()
        try database.write { db in
            try db.execute(sql: "CREATE VIRTUAL TABLE kb USING fts5(title, keywords, summary, body, tokenize = 'porter unicode61 remove_diacritics 2')")
            for (n, a) in articles.enumerated() {
                try db.execute(sql: "INSERT INTO kb (rowid, title, keywords, summary, body) VALUES (?, ?, ?, ?, ?)",
                               arguments: [n, a.title, a.keywords.joined(separator: " "), a.summary ?? "", a.body])
            }
        }
        func ours(_ subset: [JudgedQuery]) -> Double {
            Relevance.meanNDCG(subset) { index.search($0.query + " ", options: .init(limit: 10, locale: $0.locale, snippets: false)).map(\.id) }
        }
        func fts(_ subset: [JudgedQuery]) throws -> Double {
            try database.read { db in
                let statement = try db.makeStatement(sql: "SELECT rowid FROM kb WHERE kb MATCH ? ORDER BY bm25(kb, 3.0, 2.5, 1.5, 1.0) LIMIT 10")
                var ranked: [String: [String]] = [:]
                for q in subset {
                    let match = Self.matchExpression(q.query + " ")
                    ranked[q.id] = match.isEmpty ? [] : try Int.fetchAll(statement, arguments: [match]).map { articles[$0].id }
                }
                return Relevance.meanNDCG(subset) { ranked[$0.id] ?? [] }
            }
        }
        let fa = queries.filter { $0.locale == .fa }, en = queries.filter { $0.locale == .en }
        func round(_ x: Double) -> JSONValue { .number(x.rounded(to: 3)) }
        return .object([
            "queries": .int(Int64(queries.count)), "articles": .int(Int64(articles.count)),
            "searchIndex": .object(["all": round(ours(queries)), "fa": round(ours(fa)), "en": round(ours(en))]),
            "sqliteFTS5": .object(["all": round(try fts(queries)), "fa": round(try fts(fa)), "en": round(try fts(en))]),
        ])
    }

    /// `"word" OR "word" OR "pref"*`: quoted so that no query word is read as FTS5 syntax; punctuation
    /// (`?`, `،`, `؟`) is left out of the words.
    static func matchExpression(_ query: String) -> String {
        var words = query.split { !($0.isLetter || $0.isNumber || $0 == "\u{200C}" || $0 == "-") }.map { "\"" + $0 + "\"" }
        if !query.hasSuffix(" "), let last = words.popLast() { words.append(last + "*") }
        return words.joined(separator: " OR ")
    }
}

/// Current resident set size from /proc (Linux).
enum ResidentMemory {
    static var mebibytes: Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }
}

/// Man-page sections as articles, from troff source with the formatting requests and escapes removed.
enum ManPageCorpus {
    static func load(limit: Int) throws -> [IndexedArticle] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "find /usr/share/man -name '*.gz' -print0 | sort -z | xargs -0 zcat -f 2>/dev/null"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)

        var articles: [IndexedArticle] = []
        var page = "", pageSection = "", nameLine: String? = nil
        var heading = "", lines: [String] = []
        func flush() {
            defer { lines.removeAll(keepingCapacity: true) }
            guard !page.isEmpty, !heading.isEmpty, articles.count < limit else { return }
            let body = lines.joined(separator: " ")
            if heading == "NAME" { nameLine = body }
            guard body.split(separator: " ").count >= 12 else { return }
            articles.append(IndexedArticle(
                id: "man-\(articles.count)", locale: .en, title: "\(page)(\(pageSection)): \(heading.capitalized)",
                keywords: [page], tags: ["man\(pageSection)"], summary: nameLine, body: body))
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard articles.count < limit else { break }
            if raw.hasPrefix(".TH ") {
                flush()
                let fields = arguments(raw.dropFirst(4))
                page = fields.first.map(String.init)?.lowercased() ?? ""
                pageSection = fields.count > 1 ? String(fields[1]) : ""
                nameLine = nil
                heading = ""
            } else if raw.hasPrefix(".SH") || raw.hasPrefix(".SS") {
                flush()
                heading = plain(Substring(arguments(raw.dropFirst(3)).joined(separator: " ")))
            } else if raw.hasPrefix(".") || raw.hasPrefix("'") {
                // Requests that carry words (.B, .I, .BR, .IP "x", .TP label lines follow) keep their arguments.
                let request = raw.prefix { !$0.isWhitespace }
                if [".B", ".I", ".BR", ".BI", ".IB", ".IR", ".RB", ".RI", ".IP", ".It", ".Nm", ".Nd", ".Fl", ".Ar"].contains(String(request)) {
                    let words = plain(Substring(arguments(raw.dropFirst(request.count)).joined(separator: " ")))
                    if !words.isEmpty { lines.append(words) }
                }
            } else {
                let line = plain(Substring(raw))
                if !line.isEmpty { lines.append(line) }
            }
        }
        flush()
        return articles
    }

    /// Request arguments, honouring double quotes.
    static func arguments(_ text: Substring) -> [Substring] {
        var out: [Substring] = []
        var rest = text.drop { $0 == " " }
        while !rest.isEmpty {
            if rest.first == "\"" {
                let inner = rest.dropFirst()
                let end = inner.firstIndex(of: "\"") ?? inner.endIndex
                out.append(inner[..<end])
                rest = end < inner.endIndex ? inner[inner.index(after: end)...] : inner[end...]
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                out.append(rest[..<end])
                rest = rest[end...]
            }
            rest = rest.drop { $0 == " " }
        }
        return out
    }

    /// Text with troff escapes removed: fonts (\fB, \f(CW), sizes (\s-1), registers (\n(xx), named
    /// characters (\(em, \[..]) and strings (\*(..).
    static func plain(_ line: Substring) -> String {
        var out = ""
        var i = line.startIndex
        func next() -> Character? {
            guard i < line.endIndex else { return nil }
            defer { i = line.index(after: i) }
            return line[i]
        }
        /// A one-letter, `(xx` or `[name]` argument.
        func skipName() {
            switch next() {
            case "(": _ = next(); _ = next()
            case "[": while let c = next(), c != "]" {}
            default: break
            }
        }
        while let c = next() {
            guard c == "\\" else {
                out.append(c)
                continue
            }
            switch next() {
            case "f", "n", "*": skipName()
            case "s":
                if let sign = next(), sign == "+" || sign == "-" { _ = next() }
            case "(":
                _ = next(); _ = next()
                out.append(" ")
            case "[":
                while let n = next(), n != "]" {}
                out.append(" ")
            case "-": out.append("-")
            case "e", "\\": out.append("\\")
            default: break
            }
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    /// Two or three words of random articles; every fifth query ends in a word cut short.
    static func queries(_ count: Int, from corpus: [IndexedArticle]) -> [String] {
        var random = SplitMix64(seed: 0x4B42_5345_4152_4348)
        var out: [String] = []
        while out.count < count {
            let words = corpus.randomElement(using: &random)!.body.split { !$0.isLetter }
                .map { $0.lowercased() }.filter { $0.count >= 4 }
            guard words.count >= 3 else { continue }
            var query = (0..<Int.random(in: 2...3, using: &random)).map { _ in words.randomElement(using: &random)! }
            if out.count % 5 == 4, let last = query.popLast() {
                query.append(String(last.prefix(Int.random(in: 3..<last.count, using: &random))))
            }
            out.append(query.joined(separator: " "))
        }
        return out
    }
}
