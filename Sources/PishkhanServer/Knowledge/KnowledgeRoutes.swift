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
        api.get("kb/search", use: search)
        api.get("tickets/:id/suggestions", use: suggestions)
        api.get("canned-responses", use: listCanned)
        api.post("tickets/:id/render", use: render)
        api.get("tickets/:id/bot-decisions") { _, context -> BotDecisions in
            _ = try context.require(.agent)
            let id = try context.parameters.id("id")
            return BotDecisions(ticketID: id, items: try await store.botDecisions(ticketID: id))
        }
        articles.register(on: api, path: "kb/articles")
        cannedResponses.register(on: api, path: "canned-responses")
    }

    /// Get, create, replace and delete for one kind of knowledge item, keeping the search index in step.
    struct Editor<Item: Codable & Sendable & Equatable>: Sendable {
        var get: @Sendable (String) async throws -> Stored<Item>
        var create: @Sendable (Item, _ actor: Int64) async throws -> Stored<Item>
        var update: @Sendable (String, Item, _ expectedVersion: Int64?, _ actor: Int64) async throws -> Stored<Item>
        var delete: @Sendable (String, _ expectedVersion: Int64?, _ actor: Int64) async throws -> Void
        var changed: @Sendable (Item) -> Void
        var removed: @Sendable (String) -> Void

        func register(on api: RouterGroup<PishkhanRequestContext>, path: String) {
            api.get("\(path)/:key") { _, context in
                _ = try context.require(.agent)
                return Versioned(value: try await get(KnowledgeRoutes.key(context)))
            }
            api.post(RouterPath(path)) { request, context in
                let actor = try context.require(.supervisor)
                let stored = try await create(try await context.requestDecoder.decode(Item.self, from: request, context: context), actor.id)
                changed(stored.item)
                return Versioned(status: .created, value: stored)
            }
            api.put("\(path)/:key") { request, context in
                let actor = try context.require(.supervisor)
                let item = try await context.requestDecoder.decode(Item.self, from: request, context: context)
                let stored = try await update(KnowledgeRoutes.key(context), item, try KnowledgeRoutes.expectedVersion(request), actor.id)
                changed(stored.item)
                return Versioned(value: stored)
            }
            api.delete("\(path)/:key") { request, context in
                let actor = try context.require(.supervisor)
                try await delete(KnowledgeRoutes.key(context), try KnowledgeRoutes.expectedVersion(request), actor.id)
                removed(KnowledgeRoutes.key(context))
                return Response(status: .noContent)
            }
        }
    }

    var articles: Editor<Article> {
        let (store, knowledge) = (store, knowledge)
        return Editor(
            get: { try await store.article(id: $0) },
            create: { try await store.createArticle($0, actor: $1) },
            update: { try await store.updateArticle(id: $0, $1, expectedVersion: $2, actor: $3) },
            delete: { try await store.deleteArticle(id: $0, expectedVersion: $1, actor: $2) },
            changed: { knowledge.articleChanged($0) },
            removed: { knowledge.articleRemoved(id: $0) })
    }

    var cannedResponses: Editor<CannedResponse> {
        let (store, knowledge) = (store, knowledge)
        return Editor(
            get: { try await store.cannedResponse(shortcut: $0) },
            create: {
                _ = try ReplyTemplate($0.body)
                return try await store.createCannedResponse($0, actor: $1)
            },
            update: {
                _ = try ReplyTemplate($1.body)
                return try await store.updateCannedResponse(shortcut: $0, $1, expectedVersion: $2, actor: $3)
            },
            delete: { try await store.deleteCannedResponse(shortcut: $0, expectedVersion: $1, actor: $2) },
            changed: { knowledge.cannedChanged($0) },
            removed: { knowledge.cannedRemoved(shortcut: $0) })
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

    @Sendable func listArticles(_ request: Request, context: PishkhanRequestContext) async throws -> Items<Article> {
        _ = try context.require(.agent)
        let q = Query(request: request)
        let locale = try q.one("locale", Article.Locale.self)
        let status = try q.one("status", Article.Status.self)
        let tag = q.string("tag")
        return Items(items: try await store.articles().filter {
            (locale == nil || $0.item.locale == locale) && (status == nil || $0.item.status == status) && (tag.map($0.item.tags.contains) ?? true)
        })
    }

    // MARK: Search and suggestions

    struct SearchBody: Codable, ResponseEncodable {
        var query: String
        var items: [KnowledgeBase.ArticleHit]
    }

    /// As-you-type search: the last word is a prefix; one typo is forgiven in longer words.
    @Sendable func search(_ request: Request, context: PishkhanRequestContext) async throws -> SearchBody {
        _ = try context.require(.agent)
        let q = Query(request: request)
        let text = q.string("q") ?? ""
        guard text.count <= 500 else { throw Problem.invalid("q", "is longer than 500 characters") }
        return SearchBody(query: text, items: knowledge.searchArticles(
            text, locale: try q.one("locale", Article.Locale.self), limit: try q.int("limit", default: 10, range: 1...50)))
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

    /// All canned responses, or for `q` those whose shortcut starts with it (what an agent types after '/')
    /// followed by the search index's best matches for it.
    @Sendable func listCanned(_ request: Request, context: PishkhanRequestContext) async throws -> Items<CannedResponse> {
        _ = try context.require(.agent)
        let q = Query(request: request)
        let locale = try q.one("locale", Article.Locale.self)
        let all = try await store.cannedResponses().filter { locale == nil || $0.item.locale == locale }
        guard let text = q.string("q") else { return Items(items: all) }
        let folded = TextFolding.fold(text)
        let prefixed = all.filter { $0.item.shortcut.hasPrefix(folded) }
        let byShortcut = Dictionary(uniqueKeysWithValues: all.map { ($0.item.shortcut, $0) })
        let found = knowledge.searchCanned(text, locale: locale, limit: 20).compactMap { byShortcut[$0.shortcut] }
        var seen = Set<String>()
        return Items(items: (prefixed + found).filter { seen.insert($0.item.shortcut).inserted })
    }

    struct BotDecisions: Codable, ResponseEncodable {
        var ticketID: Int64
        var items: [BotDecision]
    }

    struct RenderInput: Decodable {
        var shortcut: String
        /// The article `{{article.…}}` refers to, if any; it must be published.
        var articleID: String?
    }

    /// A canned response filled in for a ticket and the requesting agent, in its channel's form; nothing is
    /// sent: the agent edits the text and posts it as a reply.
    @Sendable func render(_ request: Request, context: PishkhanRequestContext) async throws -> RenderedReply {
        let agent = try context.require(.agent)
        let id = try context.parameters.id("id")
        let input = try await context.requestDecoder.decode(RenderInput.self, from: request, context: context)
        let ticket = try await store.ticket(id: id)
        let response = try await store.cannedResponse(shortcut: input.shortcut).item
        var article: Article?
        if let articleID = input.articleID {
            guard let found = knowledge.publishedArticle(id: articleID) else { throw Problem.invalid("articleID", "names no published article") }
            article = found
        }
        return try await ReplyRenderer(store: store, knowledge: knowledge).render(response, ticket: ticket, agentName: agent.name, article: article)
    }
}
