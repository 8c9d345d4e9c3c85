import Testing
@testable import PishkhanChannels

@Suite struct TransferEncodingTests {
    private func b64(_ s: String) -> String { String(decoding: Base64.decode(Array(s.utf8)), as: UTF8.self) }
    private func qp(_ s: String) -> String { String(decoding: QuotedPrintable.decode(Array(s.utf8)), as: UTF8.self) }

    @Test func base64ToleratesWhitespaceAndLineBreaks() {
        #expect(b64("2LPZ\r\nhNin\n 2YU=\t") == "سلام")
    }

    @Test func base64ToleratesMissingPadding() {
        #expect(b64("aGVsbG8") == "hello")
        #expect(b64("aGVsbA") == "hell")
    }

    @Test func base64SkipsGarbageBytes() {
        #expect(b64("aGV*sbG8%!") == "hello")
    }

    @Test func base64ConcatenatedBlocksWithInnerPaddingDecode() {
        #expect(b64("aGk=aGk=") == "hihi")
    }

    @Test func base64RoundTripsAllByteValues() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(Base64.decode(Base64.encode(bytes, lineLength: 76)) == bytes)
        let lines = String(decoding: Base64.encode(bytes, lineLength: 76), as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 76 })
    }

    @Test func quotedPrintableSoftBreaksAreJoined() {
        #expect(qp("long=\r\nline=\nhere") == "longlinehere")
    }

    @Test func quotedPrintableSoftBreakWithTransportPaddingIsJoined() {
        #expect(qp("a= \t\r\nb") == "ab")
    }

    @Test func quotedPrintableLowercaseHexIsTolerated() {
        #expect(qp("caf=c3=a9") == "café")
    }

    @Test func quotedPrintableBrokenEscapesAreKeptLiterally() {
        #expect(qp("1+1=2 and =ZZ and =4") == "1+1=2 and =ZZ and =4")
        #expect(qp("end=") == "end")
    }

    @Test func quotedPrintableDecodesWindows1256Persian() {
        let bytes = QuotedPrintable.decode(Array("=D3=E1=C7=E3 =C8=D1 =D4=E3=C7".utf8))
        #expect(Charset(label: "windows-1256").decode(bytes) == "سلام بر شما")
    }

    @Test func quotedPrintableEncoderKeepsLinesShortAndEscapesSafely() {
        let text = String(repeating: "سلام = equals ", count: 30) + "trailing   \nnext line\t\nend "
        let encoded = QuotedPrintable.encode(Array(text.utf8))
        let lines = String(decoding: encoded, as: UTF8.self).components(separatedBy: "\r\n")
        for line in lines {
            #expect(line.utf8.count <= 76)
            #expect(!line.hasSuffix(" ") && !line.hasSuffix("\t"), "trailing whitespace must be encoded")
            // No escape split by a soft break: every '=' except a final soft break is followed by two hex digits.
            let bytes = Array(line.utf8)
            for (k, b) in bytes.enumerated() where b == 0x3D && k != bytes.count - 1 {
                #expect(k + 2 < bytes.count && ASCII.hexValue(bytes[k + 1]) != nil && ASCII.hexValue(bytes[k + 2]) != nil)
            }
        }
        let decoded = String(decoding: QuotedPrintable.decode(encoded), as: UTF8.self)
        #expect(decoded == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func contentTransferEncodingTokensParse() {
        #expect(ContentTransferEncoding(headerValue: Array(" Base64 ".utf8)[...]) == .base64)
        #expect(ContentTransferEncoding(headerValue: Array("Quoted-Printable (x)".utf8)[...]) == .quotedPrintable)
        #expect(ContentTransferEncoding(headerValue: Array("8BIT".utf8)[...]) == .eightBit)
        #expect(ContentTransferEncoding(headerValue: Array("binary".utf8)[...]) == .binary)
        #expect(ContentTransferEncoding(headerValue: Array("x-uuencode".utf8)[...]) == .other("x-uuencode"))
    }
}
