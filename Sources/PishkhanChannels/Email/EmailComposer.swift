/// Builds RFC 5322 / MIME messages as bytes from an `OutgoingEmail`: CRLF endings, RFC 2047 headers,
/// UTF-8 quoted-printable bodies, multipart/alternative when there is HTML.
public struct EmailComposer: Sendable {
    public init() {}

    /// Composes a message using the system random generator for the MIME boundary.
    public func compose(_ email: OutgoingEmail) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return compose(email, using: &rng)
    }

    /// Composes a message; the boundary comes from `generator` (deterministic in tests).
    public func compose<G: RandomNumberGenerator>(_ email: OutgoingEmail, using generator: inout G) -> [UInt8] {
        var out: [UInt8] = []
        out += HeaderWriter.fold(name: "Date", tokens: [HeaderWriter.Token(separator: " ", text: RFC5322Date.format(email.date))])
        out += HeaderWriter.addresses(name: "From", [email.from])
        if !email.replyTo.isEmpty { out += HeaderWriter.addresses(name: "Reply-To", email.replyTo) }
        if !email.to.isEmpty { out += HeaderWriter.addresses(name: "To", email.to) }
        if !email.cc.isEmpty { out += HeaderWriter.addresses(name: "Cc", email.cc) }
        out += HeaderWriter.unstructured(name: "Subject", value: email.subject)
        out += HeaderWriter.identifiers(name: "Message-ID", [email.messageID])
        if !email.inReplyTo.isEmpty { out += HeaderWriter.identifiers(name: "In-Reply-To", email.inReplyTo) }
        if !email.references.isEmpty { out += HeaderWriter.identifiers(name: "References", email.references) }
        if let auto = email.autoSubmitted {
            out += HeaderWriter.fold(name: "Auto-Submitted", tokens: [HeaderWriter.Token(separator: " ", text: auto.rawValue)])
        }
        let reserved: Set<String> = ["date", "from", "reply-to", "to", "cc", "subject", "message-id", "in-reply-to",
                                     "references", "mime-version", "content-type", "content-transfer-encoding", "auto-submitted"]
        for field in email.extraHeaders where HeaderWriter.isValidFieldName(field.name) && !reserved.contains(field.name.lowercased()) {
            out += HeaderWriter.unstructured(name: field.name, value: field.value)
        }
        out += Array("MIME-Version: 1.0\r\n".utf8)

        let textPart = QuotedPrintable.encode(email.textBody.utf8)
        guard let html = email.htmlBody else {
            out += Array("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
            // No extra CRLF: the body ends exactly as the text does, so it round-trips unchanged.
            out += textPart
            return out
        }
        let htmlPart = QuotedPrintable.encode(html.utf8)
        var boundary = EmailComposer.makeBoundary(using: &generator)
        // The "=_" prefix cannot occur in quoted-printable output, but check anyway (RFC 2046 §5.1.1).
        while contains(textPart, boundary) || contains(htmlPart, boundary) {
            boundary = EmailComposer.makeBoundary(using: &generator)
        }
        out += HeaderWriter.fold(name: "Content-Type", tokens: [
            HeaderWriter.Token(separator: " ", text: "multipart/alternative;"),
            HeaderWriter.Token(separator: " ", text: "boundary=\"\(boundary)\""),
        ])
        out += Array("\r\nThis is a multi-part message in MIME format.\r\n".utf8)
        let delimiter = Array("\r\n--\(boundary)\r\n".utf8)
        out += delimiter
        out += Array("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
        out += textPart
        out += delimiter
        out += Array("Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
        out += htmlPart
        out += Array("\r\n--\(boundary)--\r\n".utf8)
        return out
    }

    /// A boundary like `=_pishkhan_3f9a...`; 128 random bits make collisions with content negligible.
    static func makeBoundary<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let a = generator.next(), b = generator.next()
        return "=_pishkhan_" + String(a, radix: 16) + String(b, radix: 16)
    }

    private func contains(_ haystack: [UInt8], _ boundary: String) -> Bool {
        ByteSearch.firstIndex(of: Array(boundary.utf8), in: haystack, from: 0, to: haystack.count) != nil
    }
}
