import Foundation
import Hummingbird
import HummingbirdTesting
import PishkhanCore
import PishkhanServer
import PishkhanStore
import Testing

/// `/api/v1/kb/*`, `/api/v1/canned-responses` and ticket suggestions over the shipped knowledge base.
@Suite struct KnowledgeRouteTests {
    static let shipped = Repository.root.appendingPathComponent("KnowledgeBase")

    static func ids(_ reply: TestApp.Reply, _ key: String = "items") -> [String] {
        (reply[key] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test func searchFindsTheRightArticleInBothLanguagesAndForgivesVariants() async throws {
        let app = try await TestApp.make(knowledgeBase: Self.shipped)
        try await app.run { c in
            let en = try await c.call(.get, "/api/v1/kb/search?q=where%20is%20my%20order&locale=en", as: .agent)
            #expect(en.status == .ok, "\(en.text)")
            #expect(Self.ids(en).first == "order-tracking-en", "\(Self.ids(en))")
            let first = try #require((en["items"] as? [[String: Any]])?.first)
            #expect((first["highlighted"] as? String ?? "").contains("<mark>"), "\(first)")

            // The same Persian question with Persian letters, Arabic ي/ك, and without the ZWNJ.
            let standard = "پیگیری سفارش"
            let variants = [standard, "پيگيري سفارش", "پیگیری سفارش‌ها", "پیگیری سفارشها"]
            var tops: [String] = []
            for q in variants {
                let reply = try await c.call(.get, "/api/v1/kb/search?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&locale=fa", as: .agent)
                tops.append(Self.ids(reply).first ?? "none")
            }
            #expect(tops == Array(repeating: "order-tracking-fa", count: variants.count), "\(tops)")

            // As you type: a prefix of the last word.
            let typing = try await c.call(.get, "/api/v1/kb/search?q=warran&locale=en", as: .agent)
            #expect(Self.ids(typing).first == "warranty-claims-en" || Self.ids(typing).first == "warranty-repair-status-en", "\(Self.ids(typing))")
            try await c.call(.get, "/api/v1/kb/search?q=order", as: nil).expectProblem(.unauthorized)
            try await c.call(.get, "/api/v1/kb/search?q=order&locale=de", as: .agent).expectProblem(.unprocessableContent, field: "locale")
        }
    }

    @Test func supervisorsEditArticlesAndTheIndexFollowsAtOnce() async throws {
        let app = try await TestApp.make(knowledgeBase: Self.shipped)
        try await app.run { c in
            let body = """
                {"id":"gift-wrapping-en","title":"Gift wrapping","locale":"en","tags":["orders"],"keywords":["gift wrap"],
                 "summary":"How to add gift wrapping.","body":"Tick the zarvarak box at checkout to wrap your order."}
                """
            try await c.call(.post, "/api/v1/kb/articles", as: .agent, body: body).expectProblem(.forbidden)
            let created = try await c.call(.post, "/api/v1/kb/articles", as: .supervisor, body: body)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.headers[.eTag] == "\"1\"")
            #expect(Self.ids(try await c.call(.get, "/api/v1/kb/search?q=zarvarak", as: .agent)) == ["gift-wrapping-en"])

            // An edit with a stale version is refused; the current one goes through and is searchable at once.
            let edited = body.replacingOccurrences(of: "zarvarak", with: "kadopich")
            var stale = HTTPFields()
            stale[.ifMatch] = "\"7\""
            try await c.call(.put, "/api/v1/kb/articles/gift-wrapping-en", as: .supervisor, body: edited, headers: stale).expectProblem(.conflict)
            var current = HTTPFields()
            current[.ifMatch] = "\"1\""
            let put = try await c.call(.put, "/api/v1/kb/articles/gift-wrapping-en", as: .supervisor, body: edited, headers: current)
            #expect(put.status == .ok && put.headers[.eTag] == "\"2\"", "\(put.text)")
            #expect(Self.ids(try await c.call(.get, "/api/v1/kb/search?q=zarvarak%20", as: .agent)).isEmpty)
            #expect(Self.ids(try await c.call(.get, "/api/v1/kb/search?q=kadopich", as: .agent)) == ["gift-wrapping-en"])

            // A draft leaves the search; a deletion too, and the article is gone.
            let draft = edited.replacingOccurrences(of: "\"summary\"", with: "\"status\":\"draft\",\"summary\"")
            #expect(try await c.call(.put, "/api/v1/kb/articles/gift-wrapping-en", as: .supervisor, body: draft).status == .ok)
            #expect(Self.ids(try await c.call(.get, "/api/v1/kb/search?q=kadopich", as: .agent)).isEmpty)
            #expect(try await c.call(.delete, "/api/v1/kb/articles/gift-wrapping-en", as: .supervisor).status == .noContent)
            try await c.call(.get, "/api/v1/kb/articles/gift-wrapping-en", as: .agent).expectProblem(.notFound)
            try await c.call(.post, "/api/v1/kb/articles", as: .supervisor, body: #"{"id":"Bad Id","title":"x","locale":"en","body":"y"}"#)
                .expectProblem(.unprocessableContent, field: "id")
            #expect(Self.ids(try await c.call(.get, "/api/v1/kb/articles?locale=fa", as: .agent)).count == 25)
        }
    }

    @Test func cannedResponsesAreListedByShortcutAndSuggestedForATicket() async throws {
        let app = try await TestApp.make(knowledgeBase: Self.shipped)
        try await app.run { c in
            let typed = try await c.call(.get, "/api/v1/canned-responses?q=refund", as: .agent)
            let shortcuts = (typed["items"] as? [[String: Any]] ?? []).compactMap { $0["shortcut"] as? String }
            #expect(shortcuts.first == "refund-72h", "\(shortcuts)")

            let ticket = try await c.inbound("m1", subject: "پول", text: "پولم از حسابم کم شد ولی سفارش ثبت نشد")
            let id = try #require(ticket.int("ticketID"))
            let suggestions = try await c.call(.get, "/api/v1/tickets/\(id)/suggestions", as: .agent)
            #expect(suggestions.status == .ok, "\(suggestions.text)")
            #expect(suggestions["locale"] as? String == "fa")
            let articles = Self.ids(suggestions, "articles")
            #expect(articles.prefix(3).contains("payment-failed-money-deducted-fa"), "\(articles)")
            let canned = (suggestions["cannedResponses"] as? [[String: Any]] ?? []).compactMap { $0["shortcut"] as? String }
            #expect(canned.allSatisfy { $0.hasSuffix("-fa") } && !canned.isEmpty, "\(canned)")
        }
    }

    @Test func cannedResponsesRenderForTheTicketsChannel() async throws {
        let app = try await TestApp.make(knowledgeBase: Self.shipped)
        try await app.run { c in
            // A customer whose name would be markup in an HTML mail.
            let mail = try #require(try await c.call(.post, "/api/v1/inbound", as: .integration, body: """
                {"channel":"support-email","channelKind":"email","externalID":"r1","sender":{"address":"ali@example.com","displayName":"Ali <b>R</b>"},
                 "subject":"Return","text":"How do I return shoes?"}
                """).int("ticketID"))
            let email = try await c.call(.post, "/api/v1/tickets/\(mail)/render", as: .agent,
                                         body: #"{"shortcut":"return-steps","articleID":"return-within-7-days-en"}"#)
            #expect(email.status == .ok, "\(email.text)")
            let text = email["text"] as? String ?? ""
            #expect(text.hasPrefix("Hello Ali <b>R</b>,"), "\(text)")
            #expect(text.contains("http://127.0.0.1:8080/help/return-within-7-days-en"), "\(text)")
            #expect(text.contains("agent"), "signed with the requesting agent's name: \(text)")
            let html = email["html"] as? String ?? ""
            #expect(html.contains("Hello Ali &lt;b&gt;R&lt;/b&gt;,"), "\(html)")
            #expect(html.contains("<a href=\"http://127.0.0.1:8080/help/return-within-7-days-en\">"), "\(html)")
            #expect(email["channelKind"] as? String == "email")

            let sms = try #require(try await c.inbound("r2", from: "+989121234567", channel: "sms", kind: "sms", text: "سفارشم نرسیده").int("ticketID"))
            let plain = try await c.call(.post, "/api/v1/tickets/\(sms)/render", as: .agent, body: #"{"shortcut":"delivery-delay-fa"}"#)
            #expect(plain.status == .ok, "\(plain.text)")
            #expect(plain["html"] == nil, "no HTML on SMS")
            #expect(!(plain["text"] as? String ?? "").isEmpty && !plain.text.contains("{{"), "\(plain.text)")
            // Persian is UCS-2: 70 characters in one message, 67 per part after that.
            let length = try #require(plain["sms"] as? [String: Any])
            let characters = (plain["text"] as? String ?? "").utf16.count
            #expect(length["encoding"] as? String == "ucs2")
            #expect(length["characters"] as? Int == characters)
            #expect(length["segments"] as? Int == (characters <= 70 ? 1 : (characters + 66) / 67), "\(length)")

            try await c.call(.post, "/api/v1/tickets/\(mail)/render", as: .agent, body: #"{"shortcut":"no-such"}"#).expectProblem(.notFound)
            try await c.call(.post, "/api/v1/tickets/\(mail)/render", as: .agent, body: #"{"shortcut":"send-article","articleID":"no-such"}"#)
                .expectProblem(.unprocessableContent, field: "articleID")
            try await c.call(.post, "/api/v1/tickets/\(mail)/render", as: nil, body: #"{"shortcut":"send-article"}"#).expectProblem(.unauthorized)
            // A template that does not compile is refused when it is saved, not when an agent uses it.
            try await c.call(.post, "/api/v1/canned-responses", as: .supervisor,
                             body: #"{"shortcut":"broken","title":"Broken","locale":"en","body":"Hi {{#customer.name}}"}"#)
                .expectProblem(.unprocessableContent, field: "body")
        }
    }

    @Test func helpPagesShowPublishedArticlesToAnyone() async throws {
        let app = try await TestApp.make(knowledgeBase: Self.shipped)
        try await app.run { c in
            let page = try await c.call(.get, "/help/return-within-7-days-fa", as: nil)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains("<html lang=\"fa\" dir=\"rtl\">"))
            let list = try await c.call(.get, "/help", as: nil)
            #expect(list.text.contains("href=\"help/password-reset-en\""))
            // A draft is not public.
            let draft = #"{"id":"draft-en","title":"Draft","locale":"en","status":"draft","body":"Not yet."}"#
            #expect(try await c.call(.post, "/api/v1/kb/articles", as: .supervisor, body: draft).status == .created)
            #expect(try await c.call(.get, "/help/draft-en", as: nil).status == .notFound)
        }
    }
}
