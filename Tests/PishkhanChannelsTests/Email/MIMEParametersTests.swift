import Testing
@testable import PishkhanChannels

@Suite struct MIMEParametersTests {
    private func params(_ s: String) -> (String, MIMEParameters) {
        let r = MIMEParameters.parse(Array(s.utf8)[...])
        return (r.value, r.parameters)
    }

    @Test func rfc2231ExtendedValueWithCharsetDecodes() {
        let (value, p) = params("attachment; filename*=utf-8''%D9%85%D8%AF%D8%A7%D8%B1%DA%A9.pdf")
        #expect(value == "attachment")
        #expect(p["filename"] == "مدارک.pdf")
    }

    @Test func rfc2231ContinuationsWithMixedEncodedSectionsJoin() {
        let header = "attachment;\r\n name*0*=UTF-8'fa'%D9%81%D8%A7%DA%A9;\r\n name*1*=%D8%AA%D9%88%D8%B1;\r\n name*2=\"-1404.pdf\""
            .replacingOccurrences(of: "\r\n", with: "")
        #expect(params(header).1["name"] == "فاکتور-1404.pdf")
    }

    @Test func rfc2231ContinuationSplitInsideMultibyteCharacterJoinsBytes() {
        let (_, p) = params("inline; filename*0*=utf-8''%D8; filename*1*=%B3.txt")
        #expect(p["filename"] == "س.txt")
    }

    @Test func rfc2231ContinuationsOutOfOrderAreSorted() {
        let (_, p) = params("attachment; filename*1=\"part-two.txt\"; filename*0=\"long-name-\"")
        #expect(p["filename"] == "long-name-part-two.txt")
    }

    @Test func rfc2231Windows1256CharsetIsApplied() {
        let (_, p) = params("attachment; filename*=windows-1256'fa'%D3%E1%C7%E3.doc")
        #expect(p["filename"] == "سلام.doc")
    }

    @Test func extendedValueWinsOverPlainValue() {
        let (_, p) = params("attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%D8%B3.pdf")
        #expect(p["filename"] == "س.pdf")
    }

    @Test func quotedStringsWithEscapesAndSemicolons() {
        let (_, p) = params(#"attachment; filename="a \"quoted\"; name.txt"; size=12"#)
        #expect(p["filename"] == #"a "quoted"; name.txt"#)
        #expect(p["size"] == "12")
    }

    @Test func commentsAreIgnored() {
        let (value, p) = params("text/plain (body text); charset=us-ascii (Plain text); format=flowed")
        #expect(value == "text/plain")
        #expect(p["charset"] == "us-ascii")
        #expect(p["format"] == "flowed")
    }

    @Test func rfc2047InsideQuotedParameterDecodes() {
        let (_, p) = params("attachment; filename=\"=?UTF-8?B?2YHYp9qp2KrZiNixLnBkZg==?=\"")
        #expect(p["filename"] == "فاکتور.pdf")
    }

    @Test func rawUTF8ParameterValueDecodes() {
        let (_, p) = params("attachment; filename=\"گزارش.xlsx\"")
        #expect(p["filename"] == "گزارش.xlsx")
    }

    @Test func unquotedValueWithSpacesIsKept() {
        let (_, p) = params("attachment; filename=my report.pdf; size=3")
        #expect(p["filename"] == "my report.pdf")
    }

    @Test func parameterNamesAreCaseInsensitive() {
        let (value, p) = params("Multipart/Mixed; BOUNDARY=\"abc\"")
        #expect(value == "multipart/mixed")
        #expect(p["boundary"] == "abc")
    }

    @Test func brokenParametersDoNotCrash() {
        for s in [";;;", "a/b; =x", "a/b; x=\"unterminated", "a/b; name*99999999=x", "a/b; n*0*=%ZZ%", "(((", "a/b; x*=''"] {
            _ = params(s)
        }
    }
}
