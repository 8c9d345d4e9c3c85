import PishkhanCore
import Foundation
import Testing
@testable import PishkhanChannels

@Suite struct EmailComposerTests {
    private func sample(subject: String, text: String, html: String? = nil, name: String = "پشتیبانی پیشخوان") -> OutgoingEmail {
        OutgoingEmail(
            from: EmailAddress(address: "support@pishkhan.ir", displayName: name),
            to: [EmailAddress(address: "maryam@example.ir", displayName: "مریم احمدی"), EmailAddress(address: "bob@example.com", displayName: "Bob \"The\" Builder")],
            cc: [EmailAddress(address: "boss@example.com")],
            subject: subject, textBody: text, htmlBody: html,
            messageID: "reply-1@pishkhan.ir", inReplyTo: ["<CAF=abc@mail.gmail.com>"],
            references: ["root@pishkhan.ir", "<CAF=abc@mail.gmail.com>"],
            extraHeaders: [.init(name: "X-Pishkhan-Ticket", value: "42"), .init(name: "Bad Name", value: "x"), .init(name: "X-Evil", value: "a\r\nBcc: victim@x.com")],
            date: Date(timeIntervalSince1970: 1_751_365_230))
    }

    private func compose(_ email: OutgoingEmail) -> [UInt8] {
        var rng = SplitMix64(seed: 1)
        return EmailComposer().compose(email, using: &rng)
    }

    private func headerBlock(_ bytes: [UInt8]) -> String {
        let s = String(decoding: bytes, as: UTF8.self)
        return String(s[..<s.range(of: "\r\n\r\n")!.lowerBound])
    }

    static let subjects = [
        "Re: Order 123",
        "پاسخ: درخواست بازگشت وجه سفارش شماره ۱۲۳۴۵ که هفته گذشته ثبت شد و هنوز بررسی نشده است",
        "Re: [Ticket #42] سلام — mixed English و فارسی text with a long tail to force folding of the header line",
        "Emoji 👨‍👩‍👧‍👦 family and ZWNJ می‌خواهم",
        String(repeating: "س", count: 200),
    ]

    @Test(arguments: subjects)
    func headerLinesAreFoldedAndEncodedWordsAreShort(_ subject: String) {
        let bytes = compose(sample(subject: subject, text: "hi"))
        let head = headerBlock(bytes)
        for line in head.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78, "line too long: \(line)")
            #expect(line.unicodeScalars.allSatisfy { $0.isASCII }, "headers must be 7-bit")
        }
        // Every encoded word is at most 75 chars and decodes on its own without U+FFFD (no split character).
        let words = head.split(whereSeparator: { $0 == " " || $0 == "\r\n" || $0 == "\n" || $0 == "\t" }).filter { $0.hasPrefix("=?") }
        for w in words {
            let word = w.hasSuffix(",") ? w.dropLast() : w
            #expect(word.utf8.count <= 75)
            #expect(!EncodedWords.decode(String(word)).unicodeScalars.contains("\u{FFFD}"))
        }
    }

    @Test(arguments: subjects)
    func subjectRoundTripsThroughDecoder(_ subject: String) throws {
        let email = try EmailDecoder.decode(compose(sample(subject: subject, text: "body")))
        #expect(email.subject == subject)
    }

    static let bodies: [(String, String?)] = [
        ("Hello,\nyour refund was issued.\n\n-- \nPishkhan", nil),
        ("سلام مریم عزیز،\nوجه سفارش شما بازگردانده شد.\nبا احترام", "<div dir=\"rtl\">سلام مریم عزیز،<br>وجه سفارش شما بازگردانده شد.</div>"),
        ("Mixed متن with = signs, trailing spaces   \nand a very long line " + String(repeating: "ابجد hawwaz ", count: 40), "<p>Mixed &amp; HTML</p>"),
        ("", nil),
    ]

    @Test(arguments: bodies)
    func bodiesRoundTripThroughDecoder(_ row: (String, String?)) throws {
        let bytes = compose(sample(subject: "s", text: row.0, html: row.1))
        let email = try EmailDecoder.decode(bytes)
        #expect(email.textBody == row.0)
        #expect(email.htmlBody == row.1)
        #expect(email.messageID == "reply-1@pishkhan.ir")
        #expect(email.inReplyTo == ["CAF=abc@mail.gmail.com"])
        #expect(email.references == ["root@pishkhan.ir", "CAF=abc@mail.gmail.com"])
        #expect(email.from == EmailAddress(address: "support@pishkhan.ir", displayName: "پشتیبانی پیشخوان"))
        #expect(email.to == [EmailAddress(address: "maryam@example.ir", displayName: "مریم احمدی"), EmailAddress(address: "bob@example.com", displayName: "Bob \"The\" Builder")])
        #expect(email.cc.map(\.address) == ["boss@example.com"])
        #expect(email.date == Date(timeIntervalSince1970: 1_751_365_230))
    }

    @Test func bodyLinesAreCRLFAndAtMost76Characters() {
        let text = String(repeating: "سلام دنیا = test ", count: 50) + "\nend   "
        let bytes = compose(sample(subject: "s", text: text, html: "<p>" + text + "</p>"))
        let s = String(decoding: bytes, as: UTF8.self)
        let body = s[s.range(of: "\r\n\r\n")!.upperBound...]
        for line in body.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76)
        }
        // No bare LF anywhere.
        for (k, b) in bytes.enumerated() where b == 0x0A { #expect(k > 0 && bytes[k - 1] == 0x0D) }
    }

    @Test func textOnlyIsSinglePlainPart() {
        let head = headerBlock(compose(sample(subject: "s", text: "hi")))
        #expect(head.contains("Content-Type: text/plain; charset=UTF-8"))
        #expect(head.contains("Content-Transfer-Encoding: quoted-printable"))
        #expect(head.contains("MIME-Version: 1.0"))
        #expect(!head.contains("multipart"))
    }

    @Test func textAndHTMLIsMultipartAlternativeWithUnusedBoundary() throws {
        let bytes = compose(sample(subject: "s", text: "plain", html: "<b>html</b>"))
        let root = MIMEParser().parse(bytes)
        #expect(root.contentType.mimeType == "multipart/alternative")
        let boundary = try #require(root.contentType.boundary)
        #expect(boundary.count <= 70)
        #expect(root.parts.map(\.contentType.mimeType) == ["text/plain", "text/html"])
        let occurrences = String(decoding: bytes, as: UTF8.self).components(separatedBy: boundary).count - 1
        #expect(occurrences == 4)  // header, two delimiters, close delimiter
    }

    @Test func requiredHeadersArePresentAndWellFormed() {
        let head = headerBlock(compose(sample(subject: "s", text: "hi")))
        #expect(head.hasPrefix("Date: Tue, 01 Jul 2025 10:20:30 +0000\r\n"))
        #expect(head.contains("Message-ID: <reply-1@pishkhan.ir>"))
        #expect(head.contains("In-Reply-To: <CAF=abc@mail.gmail.com>"))
        #expect(head.contains("References: <root@pishkhan.ir> <CAF=abc@mail.gmail.com>"))
        #expect(head.contains("X-Pishkhan-Ticket: 42"))
        #expect(!head.contains("Bad Name"))
        #expect(!head.contains("Auto-Submitted"))
    }

    @Test func headerInjectionThroughValuesIsNeutralized() throws {
        let bytes = compose(sample(subject: "hi\r\nBcc: victim@x.com", text: "x"))
        let root = MIMEParser().parse(bytes)
        #expect(root.headers["bcc"] == nil)
        #expect(root.headers["x-evil"]?.decodedValue() == "a  Bcc: victim@x.com")
    }

    @Test func autoSubmittedOnlyWhenAsked() throws {
        var email = sample(subject: "s", text: "auto")
        email.autoSubmitted = .autoReplied
        let decoded = try EmailDecoder.decode(compose(email))
        #expect(decoded.headers["auto-submitted"]?.decodedValue() == "auto-replied")
        #expect(decoded.automation == .autoSubmitted(value: "auto-replied"))
    }

    @Test func asciiDisplayNameWithSpecialsIsQuoted() {
        let head = headerBlock(compose(sample(subject: "s", text: "x", name: "Support, Pishkhan")))
        #expect(head.contains("From: \"Support, Pishkhan\" <support@pishkhan.ir>"))
    }

    @Test func longReferencesAreFolded() {
        var email = sample(subject: "s", text: "x")
        email.references = (0..<30).map { "id-\($0)-0123456789@pishkhan.ir" }
        let head = headerBlock(compose(email))
        #expect(head.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(MIMEParser().parse(compose(email)).headers["references"].map { MessageIDList.parse($0.rawValue[...]).count } == 30)
    }

    @Test func encodedWordLookalikeInSubjectIsProtected() throws {
        let subject = "literal =?utf-8?q?x?= text"
        #expect(try EmailDecoder.decode(compose(sample(subject: subject, text: "x"))).subject == subject)
    }
}
