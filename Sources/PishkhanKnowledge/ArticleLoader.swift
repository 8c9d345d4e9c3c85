import Foundation
import PishkhanCore
import Yams

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
        let (yaml, body) = try frontMatter(text, path: path)
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
        let article = Article(id: id, title: title, locale: locale, tags: fm.tags ?? [], keywords: fm.keywords ?? [], summary: fm.summary, status: status, body: body)
        do {
            try article.validate()
        } catch {
            throw fail(error.field, error.reason)
        }
        return article
    }

    /// Splits a file into its YAML front matter and trimmed body.
    static func frontMatter(_ text: String, path: String) throws -> (yaml: String, body: String) {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---",
              let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" })
        else { throw KnowledgeFileError(path: path, field: "front matter", reason: "is missing: start the file with a '---' block") }
        return (lines[1..<end].joined(separator: "\n"), lines[(end + 1)...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Reads `KnowledgeBase/canned/*.md` (except README.md): front matter `shortcut`, `title`, `locale`, then the
/// Mustache body.
public enum CannedLoader {
    struct FrontMatter: Decodable {
        var shortcut: String?
        var title: String?
        var locale: String?
    }

    public static func load(from knowledgeBase: URL) throws -> [CannedResponse] {
        let directory = knowledgeBase.appendingPathComponent("canned")
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path) else { return [] }
        var responses: [CannedResponse] = []
        var seen: [String: String] = [:]
        for name in names.sorted() where name.hasSuffix(".md") && name != "README.md" {
            let path = "canned/\(name)"
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let response = try parse(text, path: path)
            if let other = seen[response.shortcut] {
                throw KnowledgeFileError(path: path, field: "shortcut", reason: "'\(response.shortcut)' is already used by \(other)")
            }
            seen[response.shortcut] = path
            responses.append(response)
        }
        return responses
    }

    public static func parse(_ text: String, path: String) throws -> CannedResponse {
        func fail(_ field: String, _ reason: String) -> KnowledgeFileError { KnowledgeFileError(path: path, field: field, reason: reason) }
        let (yaml, body) = try ArticleLoader.frontMatter(text, path: path)
        let front: FrontMatter
        do {
            front = try YAMLDecoder().decode(FrontMatter.self, from: yaml)
        } catch {
            throw fail("front matter", "is not valid YAML: \(error)")
        }
        guard let shortcut = front.shortcut else { throw fail("shortcut", "is required") }
        guard let title = front.title else { throw fail("title", "is required") }
        guard let localeName = front.locale, let locale = Article.Locale(rawValue: localeName) else { throw fail("locale", "must be fa or en") }
        let response = CannedResponse(shortcut: shortcut, title: title, locale: locale, body: body)
        do {
            try response.validate()
            _ = try ReplyTemplate(response.body)
        } catch {
            throw fail(error.field, error.reason)
        }
        return response
    }
}

public struct KnowledgeFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var field: String
    public var reason: String
    public var description: String { "KnowledgeBase/\(path): \(field) \(reason)" }
}
