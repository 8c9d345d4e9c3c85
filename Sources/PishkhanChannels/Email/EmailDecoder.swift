/// Decodes raw RFC 5322 message bytes into a `ParsedEmail`, best effort: it throws only for empty
/// input or input without a header block; everything else degrades gracefully.
public enum EmailDecoder {
    /// Decodes a message. Throws `EmailDecodingError` only when nothing usable can be produced.
    public static func decode(_ raw: [UInt8], limits: MIMELimits = .default) throws -> ParsedEmail {
        guard raw.contains(where: { !ASCII.isWhitespace($0) }) else { throw EmailDecodingError.emptyInput }
        let root = MIMEParser(limits: limits).parse(raw)
        guard !root.headers.isEmpty else { throw EmailDecodingError.noHeaders }
        let headers = root.headers
        let fallback = messageCharset(root)

        func addresses(_ name: String) -> [EmailAddress] {
            headers.all(name).flatMap { AddressListParser.parse($0.rawValue[...], fallback: fallback) }
        }
        func ids(_ name: String) -> [String] {
            headers.all(name).flatMap { MessageIDList.parse($0.rawValue[...]) }
        }

        let from = addresses("from").first ?? addresses("sender").first
        let subject = headers["subject"]?.decodedValue(fallback: fallback) ?? ""
        let date = headers["date"].flatMap { RFC5322Date.parse($0.rawValue[...]) }

        var collector = BodyCollector(defaultCharset: fallback)
        collector.visit(root)
        let html: String? = collector.htmls.isEmpty ? nil : collector.htmls.joined(separator: "\n")
        var text = collector.texts.joined(separator: "\n")
        if collector.texts.isEmpty, let h = html {
            text = HTMLText.text(fromHTML: h)
        }

        let automation = automation(root, from: from)
        return ParsedEmail(
            messageID: ids("message-id").first,
            inReplyTo: ids("in-reply-to"),
            references: ids("references"),
            from: from,
            replyTo: addresses("reply-to"),
            to: addresses("to"),
            cc: addresses("cc"),
            subject: subject,
            date: date,
            textBody: text,
            htmlBody: html,
            replyText: ReplyTrimmer.trim(text),
            attachments: collector.attachments,
            automation: automation,
            reportedMessageIDs: automation == nil ? [] : reportedMessageIDs(root),
            headers: headers,
            root: root
        )
    }

    /// Message-IDs of the original messages enclosed in a report or bounce: an encapsulated message's
    /// own Message-ID, or the Message-ID in a text/rfc822-headers (or message/rfc822-headers,
    /// message/global-headers) part. Breadth-first, at most 64 entities, at most 8 ids.
    static func reportedMessageIDs(_ root: MIMEEntity) -> [String] {
        var ids: [String] = []
        var queue: [MIMEEntity] = root.parts
        var index = 0
        while index < queue.count, index < 64, ids.count < 8 {
            let entity = queue[index]
            index += 1
            let ct = entity.contentType
            var headers: MIMEHeaders?
            if let message = entity.message {
                headers = message.headers
            } else if (ct.type == "text" && ct.subtype == "rfc822-headers")
                        || (ct.type == "message" && (ct.subtype == "rfc822-headers" || ct.subtype == "global-headers")) {
                headers = MIMEParser().parseHeaders(entity.decodedBody).headers
            } else {
                queue += entity.parts
            }
            for field in headers?.all("message-id") ?? [] {
                for id in MessageIDList.parse(field.rawValue[...]) where !ids.contains(id) { ids.append(id) }
            }
        }
        return ids
    }

    /// The message's own charset for unlabelled 8-bit headers: the top-level charset, else the first text part's.
    static func messageCharset(_ root: MIMEEntity) -> Charset? {
        var stack = [root]
        var visited = 0
        while let e = stack.popLast(), visited < 64 {
            visited += 1
            if let label = e.contentType.charset, !label.isEmpty, e.contentType.type == "text" || e.contentType.isMultipart {
                let cs = Charset(label: label)
                if !cs.isUnicodeOrASCII { return cs }
                return nil
            }
            if case .multipart(let parts) = e.body { stack += parts.reversed() }
        }
        return nil
    }

    /// Classifies automated mail; see `AutomationReason` for the order of checks.
    static func automation(_ root: MIMEEntity, from: EmailAddress?) -> AutomationReason? {
        let h = root.headers
        if let report = reportType(root, depth: 0) { return .deliveryReport(type: report) }
        for sender in [from?.address, h["sender"].flatMap { AddressListParser.parse($0.rawValue[...]).first?.address }] {
            if let address = sender {
                let local = EmailAddress(address: address).localPart.lowercased()
                if local == "mailer-daemon" || local == "postmaster" || local == "mailer_daemon" { return .mailerDaemon(address: address) }
            }
        }
        if let rp = h["return-path"] {
            let value = ASCII.trimmed(rp.rawValue[...])
            if value.elementsEqual("<>".utf8) { return .nullReturnPath }
        }
        if let auto = h["auto-submitted"] {
            let value = firstToken(auto.rawValue)
            if !value.isEmpty && value != "no" { return .autoSubmitted(value: value) }
        }
        for name in ["x-autoreply", "x-autorespond", "x-auto-response-suppress", "x-autoreply-from", "x-mail-autoreply", "x-autogenerated"] {
            if let field = h[name] { return .autoReplyHeader(name: field.name) }
        }
        if let p = h["precedence"] {
            let value = firstToken(p.rawValue)
            if ["bulk", "junk", "list", "auto_reply"].contains(value) { return .precedence(value: value) }
        }
        for name in ["list-id", "list-unsubscribe"] {
            if let field = h[name] { return .mailingList(header: field.name) }
        }
        return nil
    }

    /// Report type when the message is a multipart/report (RFC 6522) or carries a message/delivery-status part.
    private static func reportType(_ entity: MIMEEntity, depth: Int) -> String? {
        let ct = entity.contentType
        if ct.type == "multipart" && ct.subtype == "report" {
            return ct.parameters["report-type"]?.lowercased() ?? "unknown"
        }
        if ct.type == "message" && (ct.subtype == "delivery-status" || ct.subtype == "global-delivery-status") { return "delivery-status" }
        guard depth < 3 else { return nil }
        if case .multipart(let parts) = entity.body {
            for p in parts { if let r = reportType(p, depth: depth + 1) { return r } }
        }
        return nil
    }

    private static func firstToken(_ bytes: [UInt8]) -> String {
        let (main, _) = MIMEParameters.parse(bytes[...])
        return main
    }
}
