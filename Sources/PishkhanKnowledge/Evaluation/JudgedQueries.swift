import Foundation
import PishkhanCore

/// A query with the articles that answer it, graded 2 (answers it) or 1 (related), as in
/// `Tests/Data/kb-judged-queries.jsonl`.
public struct JudgedQuery: Codable, Sendable, Equatable {
    public var id: String
    public var locale: Article.Locale
    public var query: String
    public var relevant: [String: Int]

    /// One JSON object per line; blank lines are skipped.
    public static func load(jsonLines url: URL) throws -> [JudgedQuery] {
        let decoder = JSONDecoder()
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : try decoder.decode(JudgedQuery.self, from: Data(trimmed.utf8))
        }
    }
}

/// Ranking quality measures over judged queries.
public enum Relevance {
    /// nDCG@k with gains 2^grade − 1 and a log2 position discount; 1 is the ideal order.
    public static func ndcg(ranked: [String], relevant: [String: Int], k: Int = 10) -> Double {
        func dcg(_ grades: [Int]) -> Double {
            grades.prefix(k).enumerated().reduce(0) { sum, item in
                sum + (pow(2, Double(item.element)) - 1) / log2(Double(item.offset) + 2)
            }
        }
        let ideal = dcg(relevant.values.sorted(by: >))
        guard ideal > 0 else { return 0 }
        return dcg(ranked.map { relevant[$0] ?? 0 }) / ideal
    }

    /// The mean nDCG@k of `search` over `queries`.
    public static func meanNDCG(_ queries: [JudgedQuery], k: Int = 10, search: (JudgedQuery) -> [String]) -> Double {
        guard !queries.isEmpty else { return 0 }
        return queries.reduce(0) { $0 + ndcg(ranked: search($1), relevant: $1.relevant, k: k) } / Double(queries.count)
    }
}
