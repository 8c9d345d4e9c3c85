import Crypto
import Foundation
import Hummingbird
import PishkhanChannels
import PishkhanKnowledge

/// The web-chat widget, no login: `/chat/widget.js`, the script a site embeds with one tag;
/// `/chat/widget.css`, its style sheet; and `/chat/{channel}`, a page that is nothing but the chat, to
/// link to or put in an iframe. The files are resources of this module (`Chat/Widget/`).
struct ChatWidgetRoutes: Sendable {
    let channels: ChannelDirectory

    func register(on router: Router<PishkhanRequestContext>) {
        router.get("chat/widget.js") { request, _ in ChatWidgetFiles.script.response(to: request) }
        router.get("chat/widget.css") { request, _ in ChatWidgetFiles.style.response(to: request) }
        router.get("chat/:channel") { request, context in
            // Channel ids never contain a dot, so the two files above are never taken for a channel.
            let id = context.parameters.get("channel") ?? ""
            guard channels[id]?.kind == .chat, let config = channels.chat[id], config.hostedPage else {
                throw Problem.notFound("no web-chat page for channel '\(id)'")
            }
            let locale = request.uri.queryParameters.get("locale").flatMap(ChatChannelConfig.Locale.init(tag:)) ?? config.locale
            return Self.page(channel: id, locale: locale, config: config)
        }
    }

    static func page(channel: String, locale: ChatChannelConfig.Locale, config: ChatChannelConfig) -> Response {
        let fa = locale == .fa
        let values = [
            "lang": locale.rawValue, "dir": fa ? "rtl" : "ltr", "channel": channel,
            "title": fa ? "گفتگو با پشتیبانی" : "Chat with support",
            "noscript": fa ? "برای گفتگو، جاوااسکریپت مرورگر را روشن کنید." : "Turn on JavaScript in your browser to chat.",
        ]
        var html = ChatWidgetFiles.pageTemplate
        for (name, value) in values { html = html.replacingOccurrences(of: "{{\(name)}}", with: ReplyHTML.escape(value)) }
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.contentSecurityPolicy] = contentSecurityPolicy(config)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Only this server's own script, style sheet and WebSocket (`'self'` covers ws/wss on the same host
    /// in CSP 3); no HTML is ever made from strings (Trusted Types), and only the channel's allowed
    /// origins may put the page in a frame.
    static func contentSecurityPolicy(_ config: ChatChannelConfig) -> String {
        let ancestors = config.allowedOrigins.contains("*") ? "*" : (["'self'"] + config.allowedOrigins).joined(separator: " ")
        return "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; "
            + "form-action 'none'; frame-ancestors \(ancestors); require-trusted-types-for 'script'; trusted-types 'none'"
    }
}

/// The widget's files, read once from the module's resources.
enum ChatWidgetFiles {
    static let script = StaticFile(resource: "widget", extension: "js", contentType: "text/javascript; charset=utf-8")
    static let style = StaticFile(resource: "widget", extension: "css", contentType: "text/css; charset=utf-8")
    static let pageTemplate = String(decoding: StaticFile.read("chat", "html"), as: UTF8.self)
}

/// A file served as is, with an ETag of its content: browsers keep it five minutes, then revalidate
/// (a 304 costs no body), so an upgraded widget reaches every site within minutes.
struct StaticFile: Sendable {
    let bytes: [UInt8]
    let contentType: String
    let etag: String

    init(resource: String, extension ext: String, contentType: String) {
        bytes = Self.read(resource, ext)
        self.contentType = contentType
        etag = "\"" + SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }

    static func read(_ name: String, _ ext: String) -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Widget"),
              let data = try? Data(contentsOf: url) else {
            preconditionFailure("the resource Widget/\(name).\(ext) is missing from the PishkhanServer bundle")
        }
        return Array(data)
    }

    func response(to request: Request) -> Response {
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.cacheControl] = "public, max-age=300"
        // Sites that isolate themselves (Cross-Origin-Embedder-Policy) may still load it.
        headers[.crossOriginResourcePolicy] = "cross-origin"
        headers[.xContentTypeOptions] = "nosniff"
        let tags = request.headers[values: .ifNoneMatch].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if tags.contains(etag) || tags.contains("W/" + etag) || tags.contains("*") {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
