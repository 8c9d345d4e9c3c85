import Foundation
import PishkhanCore
import PishkhanKnowledge
import Testing

/// Canned responses rendered with swift-mustache, and the email HTML made from them.
@Suite struct ReplyTemplateTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func missingOrEmptyValuesDropTheirSection() throws {
        let template = try ReplyTemplate("Hello{{#customer.name}} {{customer.name}}{{/customer.name}}, ticket #{{ticket.number}}.\n{{agent.name}}")
        #expect(template.render(ReplyScope(customer: ["name": "Maryam Ahmadi"], ticket: ["number": "1042"], agent: ["name": "Reza"]))
                == "Hello Maryam Ahmadi, ticket #1042.\nReza")
        #expect(template.render(ReplyScope(customer: ["name": ""], ticket: ["number": "7"], agent: ["name": "Reza"])) == "Hello, ticket #7.\nReza")
        #expect(template.render(ReplyScope(ticket: ["number": "7"])) == "Hello, ticket #7.")
    }

    @Test func plainTextIsNotEscapedAndHTMLIsEscapedOnce() throws {
        let template = try ReplyTemplate("Hi {{customer.name}} & co: see {{article.url}}.")
        let text = template.render(ReplyScope(customer: ["name": "<b>Ali</b> \"A\""], article: ["url": "https://help.example/help/returns-en"]))
        #expect(text == "Hi <b>Ali</b> \"A\" & co: see https://help.example/help/returns-en.")
        let html = ReplyHTML.make(fromText: text)
        #expect(html.contains("Hi &lt;b&gt;Ali&lt;/b&gt; &quot;A&quot; &amp; co: see <a href=\"https://help.example/help/returns-en\">https://help.example/help/returns-en</a>."), "\(html)")
        #expect(!html.contains("<b>"))
    }

    @Test func htmlKeepsParagraphsListsAndDirection() {
        let html = ReplyHTML.make(fromText: "سلام مریم عزیز،\nممنون از پیام شما.\n\n- شماره سفارش\n- شماره پیگیری\n\n# Steps")
        #expect(html.hasPrefix("<div dir=\"auto\">"))
        #expect(html.contains("<p>سلام مریم عزیز،<br>\nممنون از پیام شما.</p>"), "\(html)")
        #expect(html.contains("<ul><li>شماره سفارش</li><li>شماره پیگیری</li></ul>"), "\(html)")
        #expect(html.contains("<h3>Steps</h3>"))
    }

    @Test func aBrokenTemplateIsRefusedNamingTheBody() {
        #expect(throws: ValidationError.self) { try ReplyTemplate("Hello {{#customer.name}} unclosed") }
        #expect(throws: KnowledgeFileError.self) {
            try CannedLoader.parse("---\nshortcut: broken\ntitle: Broken\nlocale: en\n---\nHello {{#customer.name}}", path: "canned/broken.md")
        }
    }

    /// Every shipped response renders, and the bot's stay short enough for an SMS conversation with the
    /// longest summary filled in.
    @Test func shippedResponsesRender() throws {
        let canned = try CannedLoader.load(from: Self.root.appendingPathComponent("KnowledgeBase"))
        let articles = try ArticleLoader.load(from: Self.root.appendingPathComponent("KnowledgeBase"))
        let longest = try #require(articles.max { ($0.summary ?? "").count < ($1.summary ?? "").count })
        let scope = ReplyScope(
            customer: ["name": "Maryam Ahmadi", "tier": "standard"], ticket: ["number": "1042", "subject": "Order", "channel": "sms"],
            agent: ["name": "Bazaarche assistant"],
            article: ["id": longest.id, "title": longest.title, "summary": longest.summary ?? "", "url": "https://help.bazaarche.example/help/\(longest.id)"])
        #expect(canned.count >= 16)
        for response in canned {
            let text = try ReplyTemplate(response.body).render(scope)
            #expect(!text.isEmpty && !text.contains("{{"), "\(response.shortcut)")
            if response.shortcut.hasPrefix("bot-") { #expect(text.count <= 400, "\(response.shortcut): \(text.count) characters") }
        }
    }
}
