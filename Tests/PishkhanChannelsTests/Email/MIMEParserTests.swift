import Testing
@testable import PishkhanChannels

@Suite struct MIMEParserTests {
    private func parse(_ text: String, crlf: Bool = true) -> MIMEEntity {
        MIMEParser().parse(crlf ? TestSupport.crlf(text) : TestSupport.lf(text))
    }

    @Test(arguments: [true, false])
    func foldedHeadersAreUnfoldedWithCRLFOrBareLF(_ crlf: Bool) {
        let e = parse("Subject: a very long\n subject that\n\tcontinues\nX-Empty:\nTo: a@b.c\n\nbody\n", crlf: crlf)
        #expect(e.headers["subject"]?.decodedValue() == "a very long subject that\tcontinues")
        #expect(e.headers["x-empty"]?.rawValue == [])
        #expect(e.headers["TO"]?.decodedValue() == "a@b.c")
        #expect(e.text() == "body\n")
    }

    @Test func headerLookupIsCaseInsensitiveAndKeepsRepeatedFields() {
        let e = parse("Received: one\nRECEIVED: two\nreceived: three\nSubject: x\n\n")
        #expect(e.headers.all("Received").map { $0.decodedValue() } == ["one", "two", "three"])
        #expect(e.headers["received"]?.name == "Received")
    }

    @Test func mboxFromLineAndObsoleteSpaceBeforeColonAreAccepted() {
        let e = parse("From someone@example.com Tue Jul  1 10:00:00 2025\nSubject : hi\n\nbody")
        #expect(e.headers["subject"]?.decodedValue() == "hi")
    }

    @Test func missingBlankLineStartsBodyAtFirstNonHeaderLine() {
        let e = parse("Subject: x\nthis is body text\nmore")
        #expect(e.headers.count == 1)
        #expect(e.text() == "this is body text\nmore")
    }

    @Test func nestedMultipartMixedAlternativeRelatedIsParsed() {
        let raw = """
        Content-Type: multipart/mixed; boundary="outer"

        preamble is ignored
        --outer
        Content-Type: multipart/alternative; boundary="outer-alt"

        --outer-alt
        Content-Type: text/plain

        plain
        --outer-alt
        Content-Type: multipart/related; boundary=rel

        --rel
        Content-Type: text/html

        <p>html</p>
        --rel
        Content-Type: image/png
        Content-ID: <img1@x>
        Content-Transfer-Encoding: base64

        iVBORw0KGgo=
        --rel--
        --outer-alt--
        --outer
        Content-Type: application/pdf; name="a.pdf"

        PDF
        --outer--
        epilogue is ignored
        """
        let e = parse(raw)
        #expect(e.parts.count == 2)
        let alt = e.parts[0]
        #expect(alt.contentType.subtype == "alternative")
        #expect(alt.parts.count == 2)
        #expect(alt.parts[0].text() == "plain")
        let related = alt.parts[1]
        #expect(related.parts.count == 2)
        #expect(related.parts[1].contentID == "img1@x")
        #expect(related.parts[1].decodedBody == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(e.parts[1].filename == "a.pdf")
        #expect(String(decoding: e.parts[1].decodedBody, as: UTF8.self) == "PDF")
    }

    @Test func boundaryThatPrefixesAnotherBoundaryIsNotConfused() {
        let raw = "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfirst\n--bogus line\n--b\n\nsecond\n--b--\n"
        let e = parse(raw)
        #expect(e.parts.count == 2)
        #expect(e.parts[0].text() == "first\n--bogus line")
        #expect(e.parts[1].text() == "second")
    }

    @Test func missingFinalBoundaryIsTolerated() {
        let e = parse("Content-Type: multipart/mixed; boundary=zz\n\n--zz\n\none\n--zz\n\ntwo\n")
        #expect(e.parts.count == 2)
        #expect(e.parts[1].text() == "two\n")
    }

    @Test func boundaryWithTransportPaddingIsRecognized() {
        let e = parse("Content-Type: multipart/mixed; boundary=zz\n\n--zz  \n\none\n--zz-- \t\n")
        #expect(e.parts.count == 1)
        #expect(e.parts[0].text() == "one")
    }

    @Test func multipartWithoutBoundaryKeepsBodyAsText() {
        let e = parse("Content-Type: multipart/mixed\n\njust text")
        #expect(e.parts.count == 1)
        #expect(e.parts[0].text() == "just text")
    }

    @Test func digestPartsDefaultToMessageRFC822() {
        let raw = """
        Content-Type: multipart/digest; boundary=d

        --d

        From: a@example.com
        Subject: first

        one
        --d

        From: b@example.com
        Subject: second

        two
        --d--
        """
        let e = parse(raw)
        #expect(e.parts.count == 2)
        #expect(e.parts.allSatisfy { $0.contentType.mimeType == "message/rfc822" })
        #expect(e.parts[1].message?.headers["subject"]?.decodedValue() == "second")
        #expect(e.parts[1].message?.text() == "two")
    }

    @Test func messageRFC822PartIsParsedAsNestedMessage() {
        let raw = """
        Content-Type: multipart/mixed; boundary=m

        --m
        Content-Type: message/rfc822

        From: Inner <inner@example.com>
        Subject: =?UTF-8?B?2LPZhNin2YU=?=
        Content-Type: text/plain; charset=utf-8

        inner body
        --m--
        """
        let inner = parse(raw).parts[0].message
        #expect(inner?.headers["subject"]?.decodedValue() == "سلام")
        #expect(inner?.text() == "inner body")
    }

    @Test func base64EncodedMessageRFC822IsDecodedThenParsed() {
        let inner = TestSupport.base64("Subject: wrapped\r\n\r\nhello")
        let e = parse("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n\(inner)\n")
        #expect(e.message?.headers["subject"]?.decodedValue() == "wrapped")
        #expect(e.message?.text() == "hello")
    }

    @Test func reportPartsAreParsed() {
        let raw = """
        Content-Type: multipart/report; report-type=delivery-status; boundary=r

        --r

        failed
        --r
        Content-Type: message/delivery-status

        Final-Recipient: rfc822; x@y.z
        --r
        Content-Type: text/rfc822-headers

        Subject: original
        --r--
        """
        let e = parse(raw)
        #expect(e.parts.map(\.contentType.mimeType) == ["text/plain", "message/delivery-status", "text/rfc822-headers"])
    }

    @Test func hostileNestingIsCutAtDepthLimitWithoutCrashing() {
        var raw = "Subject: deep\n"
        for i in 0..<5000 { raw += "Content-Type: multipart/mixed; boundary=b\(i)\n\n--b\(i)\n" }
        raw += "\ncore\n"
        let e = MIMEParser(limits: MIMELimits(maxDepth: 32)).parse(Array(raw.utf8))
        var depth = 0
        var node = e
        while let first = node.parts.first { node = first; depth += 1 }
        #expect(depth <= 32)
    }

    @Test func hostileNestedMessagesAreCutAtDepthLimit() {
        var raw = ""
        for _ in 0..<3000 { raw += "Content-Type: message/rfc822\n\n" }
        raw += "Subject: core\n\nx"
        let e = MIMEParser().parse(Array(("Subject: top\n" + raw).utf8))
        var depth = 0
        var node = e
        while let m = node.message { node = m; depth += 1 }
        #expect(depth <= MIMELimits.default.maxDepth)
    }

    @Test func partCountLimitStopsHugeMultiparts() {
        var raw = "Content-Type: multipart/mixed; boundary=p\n\n"
        for _ in 0..<5000 { raw += "--p\n\nx\n" }
        let e = MIMEParser(limits: MIMELimits(maxParts: 100)).parse(Array(raw.utf8))
        #expect(e.parts.count < 100)
    }

    @Test func headerFieldLimitIsApplied() {
        let raw = String(repeating: "X-A: b\n", count: 5000) + "\nbody"
        let e = MIMEParser(limits: MIMELimits(maxHeaderFields: 50)).parse(Array(raw.utf8))
        #expect(e.headers.count == 50)
        #expect(e.text() == "body")
    }
}
