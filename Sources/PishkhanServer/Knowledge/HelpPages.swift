import Foundation
import Hummingbird
import PishkhanCore
import PishkhanKnowledge

/// The public help pages the answer bot links to: `/help` lists the published articles, `/help/{id}`
/// shows one. No login: only published articles are reachable, drafts and archived ones are 404.
struct HelpPages: Sendable {
    let knowledge: KnowledgeBase

    func register(on router: Router<PishkhanRequestContext>) {
        router.get("help") { _, _ in
            let items = knowledge.publishedArticles().map { article in
                "<li lang=\"\(article.locale.rawValue)\" dir=\"auto\"><a href=\"help/\(ReplyHTML.escape(article.id))\">\(ReplyHTML.escape(article.title))</a></li>"
            }
            return Self.page(title: "Help", locale: nil, body: "<h1>Help</h1>\n<ul>\n\(items.joined(separator: "\n"))\n</ul>")
        }
        router.get("help/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let article = knowledge.publishedArticle(id: id) else {
                throw Problem(status: .notFound, title: "Not Found", detail: "no published article '\(id)'")
            }
            return Self.page(title: article.title, locale: article.locale,
                             body: "<h1>\(ReplyHTML.escape(article.title))</h1>\n\(ReplyHTML.make(fromText: article.body))")
        }
    }

    static func page(title: String, locale: Article.Locale?, body: String) -> Response {
        let lang = locale?.rawValue ?? "en"
        let dir = locale == .fa ? "rtl" : "ltr"
        let html = """
            <!doctype html>
            <html lang="\(lang)" dir="\(dir)">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(ReplyHTML.escape(title))</title>
            <style>body{font-family:system-ui,Vazirmatn,Tahoma,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.7}</style>
            </head>
            <body>
            \(body)
            </body>
            </html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
