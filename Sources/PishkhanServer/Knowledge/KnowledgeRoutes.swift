import Foundation
import HTTPTypes
import Hummingbird
import PishkhanCore
import PishkhanKnowledge
import PishkhanStore

/// `/api/v1/kb/articles` and `/api/v1/canned-responses`: agents read, supervisors and admins write. Every
/// item carries a `version`, also sent as the `ETag`; a write with `If-Match: <version>` fails with 409
/// instead of overwriting someone else's edit.
struct KnowledgeRoutes: Sendable {
    let store: any Store
    let knowledge: KnowledgeBase

    func register(on api: RouterGroup<PishkhanRequestContext>) {
        api.get("kb/articles", use: listArticles)
        api.get("kb/articles/:key", use: getArticle)
        api.post("kb/articles", use: createArticle)
        api.put("kb/articles/:key", use: updateArticle)
        api.delete("kb/articles/:key", use: deleteArticle)
        api.get("kb/search", use: search)
        api.get("tickets/:id/suggestions", use: suggestions)
        api.get("canned-responses", use: listCanned)
        api.get("canned-responses/:key", use: getCanned)
        api.post("canned-responses", use: createCanned)
        api.put("canned-responses/:key", use: updateCanned)
        api.delete("canned-responses/:key", use: deleteCanned)
    }

    struct Items<Item: Codable & Sendable & Equatable>: Codable, ResponseEncodable {
        var items: [Stored<Item>]
    }

    /// One item with its version as the ETag.
    struct Versioned<Item: Codable & Sendable & Equatable>: ResponseGenerator {
        var status: HTTPResponse.Status = .ok
        var value: Stored<Item>

        func response(from request: Request, context: some RequestContext) throws -> Response {
            var response = try context.responseEncoder.encode(value, from: request, context: context)
            response.status = status
            response.headers[.eTag] = "\"\(value.version)\""
            return response
        }
    }

    static func key(_ context: PishkhanRequestContext) -> String { context.parameters.get("key") ?? "" }

    /// `If-Match: "3"` or `If-Match: 3`; absent means "whatever is there".
    static func expectedVersion(_ request: Request) throws -> Int64? {
        guard let raw = request.headers[.ifMatch] else { return nil }
        let trimmed = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\" W/"))
        guard let version = Int64(trimmed) else {
            throw Problem(status: .badRequest, title: "Bad Request", detail: "If-Match must be an item's version, e.g. \"3\"")
        }
        return version
    }

    // MARK: Articles

    @Sendable func listArticles(_ request: Request, context: PishkhanRequestContext) async throws -> Items<Article> {
        _ = try context.require(.agent)
        let q = Query(request: request)
        let locale = try q.string("locale").map { value in
            guard let l = Article.Locale(rawValue: value) else { throw Problem(status: .badRequest, title: "Bad Request", detail: "locale must be fa or en") }
            return l
        }
        let status = try q.string("status").map { value in
            guard let s = Article.Status(rawValue: value) else {
                throw Problem(status: .badRequest, title: "Bad Request", detail: "status must be draft, published or archived")
            }
            return s
        }
        let tag = q.string("tag")
        return Items(items: try await store.articles().filter {
            (locale == nil || $0.item.locale == locale) && (status == nil || $0.item.status == status) && (tag == nil || $0.item.tags.contains(tag!))
        })
    }

    @Sendable func getArticle(_ request: Request, context: PishkhanRequestContext) async throws -> Versioned<Article> {
        _ = try context.require(.agent)
        return Versioned(value: try await store.article(id: Self.key(context)))
    }

    @Sendable func createArticle(_ request: Request, context: PishkhanRequestContext) async throws -> Versioned<Article> {
        let actor = try context.require(.supervisor)
        let article = try await context.requestDecoder.decode(Article.self, from: request, context: context)
        let stored = try await store.createArticle(article, actor: actor.id)
        knowledge.articleChanged(stored.item)
        return Versioned(status: .created, value: stored)
    }

    @Sendable func updateArticle(_ request: Request, context: PishkhanRequestContext) async throws -> Versioned<Article> {
        let actor = try context.require(.supervisor)
        let article = try await context.requestDecoder.decode(Article.self, from: request, context: context)
        let stored = try await store.updateArticle(id: Self.key(context), article, expectedVersion: try Self.expectedVersion(request), actor: actor.id)
        knowledge.articleChanged(stored.item)
        return Versioned(value: stored)
    }

    @Sendable func deleteArticle(_ request: Request, context: PishkhanRequestContext) async throws -> Response {
        let actor = try context.require(.supervisor)
        let id = Self.key(context)
        try await store.deleteArticle(id: id, expectedVersion: try Self.expectedVersion(request), actor: actor.id)
        knowledge.articleRemoved(id: id)
        return Response(status: .noContent)
    }

    // MARK: Search and suggestions

    struct SearchBody: Codable, ResponseEncodable {
        var query: String
        var items: [KnowledgeBase.ArticleHit]
    }

    static func locale(_ q: Query) throws -> Article.Locale? {
        try q.string("locale").map { value in
            guard let l = Article.Locale(rawValue: value) else { throw Problem(status: .badRequest, title: "Bad Request", detail: "locale must be fa or en") }
            return l
        }
    }

    /// As-you-type search: the last word is a prefix; one typo is forgiven in longer words.
    @Sendable func search(_ request: Request, context: PishkhanRequestContext) async throws -> SearchBody {
        _ = try context.require(.agent)
        let q = Query(request: request)
        let text = q.string("q") ?? ""
        guard text.count <= 500 else { throw Problem(status: .badRequest, title: "Bad Request", detail: "q is longer than 500 characters") }
        return SearchBody(query: text, items: knowledge.searchArticles(
            text, locale: try Self.locale(q), limit: try q.int("limit", default: 10, range: 1...50)))
    }

    struct SuggestionsBody: Codable, ResponseEncodable {
        var ticketID: Int64
        /// The customer's words the suggestions answer: their latest message (the subject when it has no text).
        var basedOnMessageID: Int64?
        var locale: Article.Locale
        var articles: [KnowledgeBase.ArticleHit]
        var cannedResponses: [KnowledgeBase.CannedHit]
    }

    /// The best articles and canned responses for the customer's latest message, in its language.
    @Sendable func suggestions(_ request: Request, context: PishkhanRequestContext) async throws -> SuggestionsBody {
        _ = try context.require(.agent)
        let id = try context.parameters.id("id")
        let ticket = try await store.ticket(id: id)
        let latest = try await store.messages(ticketID: id).last { $0.kind == .inbound && !$0.automated }
        let text = String(((latest?.text).flatMap { $0.isEmpty ? nil : $0 } ?? ticket.subject).prefix(2000))
        let locale = Analyzer.detectLocale(text)
        // The question is a sentence, not a prefix being typed.
        return SuggestionsBody(
            ticketID: id, basedOnMessageID: latest?.id, locale: locale,
            articles: knowledge.searchArticles(text + " ", locale: locale, limit: 5),
            cannedResponses: knowledge.searchCanned(text + " ", locale: locale, limit: 5))
    }

    // MARK: Canned responses

    @Sendable func listCanned(_ request: Request, context: PishkhanRequestContext) async throws -> Items<CannedResponse> {
        _ = try context.require(.agent)
        let q = Query(request: request)
        let all = try await store.cannedResponses()
        let locale = q.string("locale").flatMap(Article.Locale.init(rawValue:))
        guard let text = q.string("q").map(TextFolding.fold), !text.isEmpty else {
            return Items(items: all.filter { locale == nil || $0.item.locale == locale })
        }
        // Shortcut prefix first (what an agent types after '/'), then title or shortcut containing the text.
        let matching = all.filter { locale == nil || $0.item.locale == locale }.compactMap { stored -> (Int, Stored<CannedResponse>)? in
            let shortcut = stored.item.shortcut
            if shortcut.hasPrefix(text) { return (0, stored) }
            if shortcut.contains(text) || TextFolding.fold(stored.item.title).contains(text) { return (1, stored) }
            if TextFolding.fold(stored.item.body).contains(text) { return (2, stored) }
            return nil
        }
        return Items(items: matching.sorted { ($0.0, $0.1.item.shortcut) < ($1.0, $1.1.item.shortcut) }.map(\.1))
    }

    @Sendable func getCanned(_ request: Request, context: PishkhanRequestContext) async throws -> Versioned<CannedResponse> {
        _ = try context.require(.agent)
        return Versioned(value: try await store.cannedResponse(shortcut: Self.key(context)))
    }

    @Sendable func createCanned(_ request: Request, context: PishkhanRequestContext) async throws -> Versioned<CannedResponse> {
        let actor = try context.require(.supervisor)
        let response = try await context.requestDecoder.decode(CannedResponse.self, from: request, context: context)
        let stored = try await store.createCannedResponse(response, actor: actor.id)
        knowledge.cannedChanged(stored.item)
        return Versioned(status: .created, value: stored)
    }

    @Sendable func updateCanned(_ request: Request, context: PishkhanRequestContext) async throws -> Versioned<CannedResponse> {
        let actor = try context.require(.supervisor)
        let response = try await context.requestDecoder.decode(CannedResponse.self, from: request, context: context)
        let stored = try await store.updateCannedResponse(
            shortcut: Self.key(context), response, expectedVersion: try Self.expectedVersion(request), actor: actor.id)
        knowledge.cannedChanged(stored.item)
        return Versioned(value: stored)
    }

    @Sendable func deleteCanned(_ request: Request, context: PishkhanRequestContext) async throws -> Response {
        let actor = try context.require(.supervisor)
        let shortcut = Self.key(context)
        try await store.deleteCannedResponse(shortcut: shortcut, expectedVersion: try Self.expectedVersion(request), actor: actor.id)
        knowledge.cannedRemoved(shortcut: shortcut)
        return Response(status: .noContent)
    }
}
