import Foundation
import PishkhanCore
import Yams

/// A knowledge-base article: Markdown with YAML front matter.
public struct Article: Codable, Sendable, Equatable {
    public enum Locale: String, Codable, Sendable { case fa, en }
    public enum Status: String, Codable, Sendable { case draft, published, archived }

    public var id: String
    public var title: String
    public var locale: Locale
    public var tags: [String]
    public var keywords: [String]
    public var summary: String?
    public var status: Status
    public var body: String
}

/// Reads `KnowledgeBase/**/*.md` (except README.md and the `canned/` folder) and rejects a malformed file
/// with its path and the failing field.
public enum ArticleLoader {
    public static func load(from directory: URL) throws -> [Article] {
        let fm = FileManager.default
        guard fm.fileExists(atPath: directory.path), let walker = fm.enumerator(atPath: directory.path) else { return [] }
        var paths: [String] = []
        while let path = walker.nextObject() as? String {
            guard path.hasSuffix(".md"), !path.hasPrefix("canned/"), (path as NSString).lastPathComponent != "README.md" else { continue }
            paths.append(path)
        }
        var articles: [Article] = []
        var ids: [String: String] = [:]
        for path in paths.sorted() {
            let text = try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
            let article = try parse(text, path: path)
            if let other = ids[article.id] {
                throw KnowledgeFileError(path: path, field: "id", reason: "'\(article.id)' is already used by \(other)")
            }
            ids[article.id] = path
            articles.append(article)
        }
        return articles
    }

    struct FrontMatter: Decodable {
        var id: String?
        var title: String?
        var locale: String?
        var tags: [String]?
        var keywords: [String]?
        var summary: String?
        var status: String?
    }

    public static func parse(_ text: String, path: String) throws -> Article {
        func fail(_ field: String, _ reason: String) -> KnowledgeFileError { KnowledgeFileError(path: path, field: field, reason: reason) }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---",
              let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" })
        else { throw fail("front matter", "is missing: start the file with a '---' block") }
        let yaml = lines[1..<end].joined(separator: "\n")
        let body = lines[(end + 1)...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let fm: FrontMatter
        do {
            fm = try YAMLDecoder().decode(FrontMatter.self, from: yaml)
        } catch {
            throw fail("front matter", "is not valid YAML: \(error)")
        }
        guard let id = fm.id, id.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) != nil else {
            throw fail("id", "is required: lower-case letters, digits and '-'")
        }
        guard let title = fm.title, !title.isEmpty else { throw fail("title", "is required") }
        guard let localeName = fm.locale, let locale = Article.Locale(rawValue: localeName) else { throw fail("locale", "must be fa or en") }
        let status = try fm.status.map { s in
            guard let parsed = Article.Status(rawValue: s) else { throw fail("status", "must be draft, published or archived") }
            return parsed
        } ?? .published
        guard !body.isEmpty else { throw fail("body", "is empty") }
        return Article(id: id, title: title, locale: locale, tags: fm.tags ?? [], keywords: fm.keywords ?? [], summary: fm.summary, status: status, body: body)
    }
}

public struct KnowledgeFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var field: String
    public var reason: String
    public var description: String { "KnowledgeBase/\(path): \(field) \(reason)" }
}
