import Testing
@testable import PishkhanChannels

@Suite struct EncodedWordsTests {
    private func decode(_ s: String, fallback: Charset? = nil) -> String {
        EncodedWords.decode(Array(s.utf8)[...], fallback: fallback)
    }

    @Test func decodesBEncodedUTF8() {
        #expect(decode("=?UTF-8?B?2LPZhNin2YU=?=") == "سلام")
    }

    @Test func decodesQEncodedWithUnderscoresAndLowercaseHex() {
        #expect(decode("=?iso-8859-1?q?caf=e9_cr=E8me?=") == "café crème")
    }

    @Test func decodesMixedCharsetsInOneHeader() {
        let header = "Re: =?windows-1256?B?0+HH4w==?= and =?koi8-r?Q?=F0=D2=C9=D7=C5=D4?= =?UTF-8?B?5pel5pys?="
        #expect(decode(header) == "Re: سلام and Привет日本")
    }

    @Test func splitMultibyteAcrossEncodedWordsDecodes() {
        // "سلام دنیا" split in the middle of the two-byte "ل" (D9 84).
        let bytes = Array("سلام دنیا".utf8)
        let first = Base64.encode(bytes[0..<3]), second = Base64.encode(bytes[3...])
        let header = "=?UTF-8?B?\(String(decoding: first, as: UTF8.self))?=\r\n =?UTF-8?B?\(String(decoding: second, as: UTF8.self))?="
        let unfolded = header.replacingOccurrences(of: "\r\n", with: "")
        #expect(decode(unfolded) == "سلام دنیا")
    }

    @Test func splitMultibyteAcrossQAndBWordsOfSameCharsetDecodes() {
        // Same charset, different encodings: still joined at the byte level.
        #expect(decode("=?utf-8?q?=D8?= =?UTF-8?B?sw==?=") == "س")
    }

    @Test func whitespaceBetweenAdjacentEncodedWordsIsDropped() {
        #expect(decode("=?UTF-8?Q?Hello?=   \t =?UTF-8?Q?World?=") == "HelloWorld")
        #expect(decode("=?UTF-8?Q?Hello_?= =?UTF-8?Q?World?=") == "Hello World")
    }

    @Test func whitespaceBetweenEncodedWordAndTextIsKept() {
        #expect(decode("Ticket =?UTF-8?B?2LPZhNin2YU=?= #42") == "Ticket سلام #42")
    }

    @Test func malformedEncodedWordsStayReadable() {
        #expect(decode("=?UTF-8?X?abc?=") == "=?UTF-8?X?abc?=")
        #expect(decode("=?UTF-8?B?not base64!?=") == "=?UTF-8?B?not base64!?=")
        #expect(decode("price =? 5 ?= maybe") == "price =? 5 ?= maybe")
        #expect(decode("=?UTF-8?Q?unterminated") == "=?UTF-8?Q?unterminated")
        #expect(decode("=??Q?x?=") == "=??Q?x?=")
    }

    @Test func encodedWordGluedToTextIsDecoded() {
        #expect(decode("RE:=?UTF-8?Q?caf=C3=A9?=!") == "RE:café!")
    }

    @Test func languageSuffixInCharsetIsIgnored() {
        // RFC 2231 §5: =?charset*language?...
        #expect(decode("=?UTF-8*fa?B?2LPZhNin2YU=?=") == "سلام")
    }

    @Test func unknownCharsetInWordFallsBack() {
        #expect(decode("=?x-foo?Q?caf=C3=A9?=") == "café")
    }

    @Test func rawUTF8HeaderIsAccepted() {
        #expect(decode("درخواست پشتیبانی") == "درخواست پشتیبانی")
    }

    @Test func rawEightBitHeaderFallsBackToMessageCharsetThenWindows1252() {
        let raw: [UInt8] = [0xD3, 0xE1, 0xC7, 0xE3]
        #expect(EncodedWords.decode(raw[...], fallback: Charset(label: "windows-1256")) == "سلام")
        #expect(EncodedWords.decode([0x63, 0x61, 0x66, 0xE9][...]) == "café")
    }

    @Test func encodeNeverSplitsAMultibyteCharacterAndKeepsWordsShort() {
        let text = String(repeating: "پشتیبانی سامانه پیشخوان ", count: 8)
        for phrase in [false, true] {
            let words = EncodedWords.encode(text, phrase: phrase)
            #expect(words.count > 1)
            var joined: [UInt8] = []
            for w in words {
                #expect(w.utf8.count <= 75)
                #expect(w.hasPrefix("=?UTF-8?"))
                let decodedAlone = EncodedWords.decode(w)
                #expect(!decodedAlone.unicodeScalars.contains("\u{FFFD}"), "each word must decode on its own")
                joined += Array(decodedAlone.utf8)
            }
            #expect(String(decoding: joined, as: UTF8.self) == text)
        }
    }

    @Test func encodeRespectsFirstWordLimit() {
        let words = EncodedWords.encode(String(repeating: "س", count: 60), firstLimit: 40)
        #expect(words[0].utf8.count <= 40)
    }

    @Test func encodeChoosesQForMostlyASCIIText() {
        let words = EncodedWords.encode("Café au lait")
        #expect(words.first?.hasPrefix("=?UTF-8?Q?") == true)
        #expect(EncodedWords.decode(words.joined(separator: " ")) == "Café au lait")
    }

    @Test func encodeSplitsHugeGraphemeBetweenScalars() {
        let family = String(repeating: "\u{0627}\u{064B}\u{064B}\u{064B}\u{064B}", count: 1) + String(repeating: "\u{0651}", count: 60)
        let words = EncodedWords.encode(family)
        #expect(words.allSatisfy { $0.utf8.count <= 75 })
        #expect(EncodedWords.decode(words.joined(separator: " ")) == family)
    }
}
