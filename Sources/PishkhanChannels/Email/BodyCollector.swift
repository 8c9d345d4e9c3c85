/// Walks a MIME tree and picks body text, body HTML and attachments (RFC 2046 semantics:
/// alternative = pick the best rendition, related = root plus resources, mixed = all in order).
struct BodyCollector {
    var texts: [String] = []
    var htmls: [String] = []
    var attachments: [EmailAttachment] = []
    let defaultCharset: Charset?

    init(defaultCharset: Charset?) {
        self.defaultCharset = defaultCharset
    }

    mutating func visit(_ entity: MIMEEntity) {
        switch entity.body {
        case .multipart(let parts):
            switch entity.contentType.subtype {
            case "alternative": visitAlternative(parts)
            case "related": visitRelated(parts, start: entity.contentType.parameters["start"])
            case "signed":
                for part in parts where !isSignature(part) { visit(part) }
            default:
                for part in parts { visit(part) }
            }
        case .message:
            attachments.append(attachment(entity))
        case .leaf:
            if entity.contentType.isMultipart { return }  // over the depth limit: opaque, skipped
            if isBodyText(entity) {
                let text = bodyText(entity)
                if entity.contentType.subtype == "html" { htmls.append(text) } else { texts.append(text) }
            } else {
                attachments.append(attachment(entity))
            }
        }
    }

    /// RFC 2046 §5.1.4: parts are in increasing order of preference; take the last plain and the last HTML rendition.
    private mutating func visitAlternative(_ parts: [MIMEEntity]) {
        var textChoice: BodyCollector?
        var htmlChoice: BodyCollector?
        var others: [MIMEEntity] = []
        for part in parts {
            var sub = BodyCollector(defaultCharset: defaultCharset)
            sub.visit(part)
            if !sub.htmls.isEmpty { htmlChoice = sub }
            if !sub.texts.isEmpty { textChoice = sub }
            if sub.htmls.isEmpty && sub.texts.isEmpty { others.append(part) }
        }
        if textChoice == nil && htmlChoice == nil {
            if let last = parts.last { visit(last) }
            return
        }
        if let t = textChoice { texts += t.texts }
        if let h = htmlChoice { htmls += h.htmls }
        // Resources (inline images) come from the preferred rendition.
        attachments += (htmlChoice ?? textChoice)?.attachments ?? []
        // Non-text renditions such as text/calendar invitations are kept as attachments.
        for other in others { visit(other) }
    }

    /// RFC 2387: the root is the `start` part or the first; the others are resources.
    private mutating func visitRelated(_ parts: [MIMEEntity], start: String?) {
        guard !parts.isEmpty else { return }
        var rootIndex = 0
        if let start = start {
            let wanted = MessageIDList.parse(start).first ?? start
            if let i = parts.firstIndex(where: { $0.contentID == wanted }) { rootIndex = i }
        }
        visit(parts[rootIndex])
        for (i, part) in parts.enumerated() where i != rootIndex {
            if case .multipart = part.body { visit(part) } else { attachments.append(attachment(part)) }
        }
    }

    private func isSignature(_ part: MIMEEntity) -> Bool {
        let t = part.contentType.mimeType
        return t == "application/pgp-signature" || t == "application/pkcs7-signature" || t == "application/x-pkcs7-signature"
    }

    /// Body text is inline text/plain or text/html without a filename and not marked as attachment.
    private func isBodyText(_ entity: MIMEEntity) -> Bool {
        let ct = entity.contentType
        guard ct.type == "text", ct.subtype == "plain" || ct.subtype == "html" else { return false }
        if entity.disposition?.isAttachment == true { return false }
        return entity.filename == nil
    }

    private func bodyText(_ entity: MIMEEntity) -> String {
        let text = entity.text(defaultCharset: defaultCharset)
        let params = entity.contentType.parameters
        if entity.contentType.subtype == "plain", params["format"]?.lowercased() == "flowed" {
            return FlowedText.unflow(text, delSp: params["delsp"]?.lowercased() == "yes")
        }
        return text
    }

    private func attachment(_ entity: MIMEEntity) -> EmailAttachment {
        let contentID = entity.contentID
        let inline: Bool
        if let d = entity.disposition, !d.type.isEmpty {
            inline = d.isInline
        } else {
            inline = contentID != nil
        }
        return EmailAttachment(filename: entity.filename, contentType: entity.contentType.mimeType,
                               data: entity.decodedBody, contentID: contentID, isInline: inline)
    }
}
