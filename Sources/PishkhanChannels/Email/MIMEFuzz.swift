/// Fuzzing entry point: decodes arbitrary bytes and touches every field, so a libFuzzer harness
/// (`LLVMFuzzerTestOneInput`) exercises the parser, charsets, encoded words, HTML and reply trimming.
public enum MIMEFuzz {
    /// Decodes `bytes` as a message and reads every result; must never crash.
    public static func run(_ bytes: UnsafeRawBufferPointer) {
        let raw = [UInt8](bytes)
        var sink = 0
        if let email = try? EmailDecoder.decode(raw) {
            sink &+= email.messageID?.utf8.count ?? 0
            sink &+= email.inReplyTo.count &+ email.references.count
            for a in [email.from].compactMap({ $0 }) + email.replyTo + email.to + email.cc {
                sink &+= a.address.utf8.count &+ (a.displayName?.utf8.count ?? 0) &+ a.domain.utf8.count
            }
            sink &+= email.subject.utf8.count
            sink &+= Int(email.date?.timeIntervalSince1970 ?? 0) & 1
            sink &+= email.textBody.utf8.count &+ (email.htmlBody?.utf8.count ?? 0) &+ email.replyText.utf8.count
            for a in email.attachments {
                sink &+= a.size &+ (a.filename?.utf8.count ?? 0) &+ a.contentType.utf8.count &+ (a.contentID?.utf8.count ?? 0)
            }
            if email.automation != nil { sink &+= 1 }
            for h in email.headers { sink &+= h.decodedValue().utf8.count }
            sink &+= walk(email.root, depth: 0)
        }
        // Exercise the standalone decoders on the same bytes.
        sink &+= EncodedWords.decode(raw[...]).utf8.count
        sink &+= Base64.decode(raw).count &+ QuotedPrintable.decode(raw).count
        sink &+= RFC5322Date.parse(raw[...]) == nil ? 0 : 1
        sink &+= AddressListParser.parse(raw[...]).count
        sink &+= MIMEParameters.parse(raw[...]).parameters.values.count
        if raw.count < 4096 {
            sink &+= Charset(label: "iso-2022-jp").decode(raw).utf8.count
            sink &+= Charset(label: "windows-1256").decode(raw).utf8.count
            sink &+= HTMLText.text(fromHTML: String(decoding: raw, as: UTF8.self)).utf8.count
        }
        if sink == Int.min { print(sink) }  // keep the work observable
    }

    private static func walk(_ e: MIMEEntity, depth: Int) -> Int {
        var n = e.headers.count &+ e.contentType.mimeType.utf8.count &+ (e.filename?.utf8.count ?? 0)
        switch e.body {
        case .leaf: n &+= e.text().utf8.count
        case .multipart(let parts): for p in parts { n &+= walk(p, depth: depth + 1) }
        case .message(let m, let raw): n &+= raw.count &+ walk(m, depth: depth + 1)
        }
        return n
    }
}
