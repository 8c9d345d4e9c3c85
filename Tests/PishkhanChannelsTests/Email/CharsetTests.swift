import PishkhanCore
import Testing
@testable import PishkhanChannels

/// One row of the charset table: a label as found in mail, the encoded bytes, and the text they mean.
struct CharsetCase: Sendable, CustomTestStringConvertible {
    let label: String
    let hex: String
    let text: String
    init(_ label: String, _ hex: String, _ text: String) {
        self.label = label
        self.hex = hex
        self.text = text
    }
    var testDescription: String { label + " " + text }
}

@Suite struct CharsetTests {
    static let table: [CharsetCase] = [
        CharsetCase("utf-8", "D8B3D984D8A7D985", "سلام"),
        CharsetCase("us-ascii", "68656C6C6F", "hello"),
        CharsetCase("iso-8859-1", "636166E9", "café"),
        CharsetCase("iso-8859-2", "A3F364BC", "Łódź"),
        CharsetCase("iso-8859-3", "C67520F869", "Ĉu ĝi"),
        CharsetCase("iso-8859-4", "52EF676120F3", "Rīga ķ"),
        CharsetCase("iso-8859-5", "BFE0D8D2D5E2", "Привет"),
        CharsetCase("iso-8859-6", "D3E4C7E5", "سلام"),
        CharsetCase("iso-8859-7", "C3E5E9DC20F3EFF5", "Γειά σου"),
        CharsetCase("iso-8859-8", "F9ECE5ED", "שלום"),
        CharsetCase("iso-8859-8-i", "F9ECE5ED", "שלום"),
        CharsetCase("iso-8859-9", "41F0FDFE", "Ağış"),
        CharsetCase("iso-8859-10", "DEF372F0757220BF", "Þórður ŋ"),
        CharsetCase("iso-8859-11", "CAC7D1CAB4D5", "สวัสดี"),
        CharsetCase("iso-8859-13", "56696C6E69757320E0E8E6", "Vilnius ąčę"),
        CharsetCase("iso-8859-14", "D0FE2043796D7275", "Ŵŷ Cymru"),
        CharsetCase("iso-8859-15", "A420BD75767265", "€ œuvre"),
        CharsetCase("iso-8859-16", "427563757265BA20FE69", "Bucureș ți"),
        CharsetCase("windows-1250", "A3F3649F", "Łódź"),
        CharsetCase("windows-1251", "CFF0E8E2E5F2", "Привет"),
        CharsetCase("windows-1252", "9371756F7465942080", "“quote” €"),
        CharsetCase("windows-1253", "C3E5E9DC", "Γειά"),
        CharsetCase("windows-1254", "41F0FDFE", "Ağış"),
        CharsetCase("windows-1255", "F9ECE5ED", "שלום"),
        CharsetCase("windows-1256", "D3E1C7E3", "سلام"),
        CharsetCase("windows-1256", "81EDC7E32090D1C7E3ED", "پيام گرامي"),
        CharsetCase("windows-1256", "98ED", "کي"),
        CharsetCase("windows-1257", "E0E8E6", "ąčę"),
        CharsetCase("windows-1258", "5469EAEC6E67205669EAF274", "Tiếng Việt"),
        CharsetCase("koi8-r", "F0D2C9D7C5D4", "Привет"),
        CharsetCase("koi8-u", "F0D2C9D7A6D4", "Привіт"),
        CharsetCase("gb2312", "D6D0CEC4", "中文"),
        CharsetCase("gb2312", "D3CABCFE", "邮件"),
        CharsetCase("gbk", "D6D0CEC4D3CABCFE", "中文邮件"),
        CharsetCase("gb18030", "D6D0CEC49439FC36", "中文😀"),
        CharsetCase("big5", "A4A4A4E5", "中文"),
        CharsetCase("shift_jis", "93FA967B8CEA", "日本語"),
        CharsetCase("x-sjis", "93FA967B8CEA", "日本語"),
        CharsetCase("euc-jp", "C6FCCBDCB8EC", "日本語"),
        CharsetCase("iso-2022-jp", "1B2442467C4B5C386C2546252D253925481B2842", "日本語テキスト"),
        CharsetCase("euc-kr", "C7D1B1B9BEEE", "한국어"),
        CharsetCase("ks_c_5601-1987", "8C63B9E6B0A2C7CF", "똠방각하"),
        CharsetCase("utf-16le", "3306440627064506", "سلام"),
        CharsetCase("utf-16be", "0633064406270645", "سلام"),
        CharsetCase("utf-16", "FFFE3306440627064506", "سلام"),
        CharsetCase("unicode-1-1-utf-7", "4869204D6F6D202D2B4A6A6F2D2D21", "Hi Mom -☺-!"),
    ]

    @Test(arguments: table)
    func decodesRealByteSequences(_ row: CharsetCase) {
        let decoded = Charset(label: row.label).decode(TestSupport.hex(row.hex))
        #expect(decoded == row.text)
    }

    static let aliases: [(String, String)] = [
        ("cp1256", "WINDOWS-1256"), ("CP1256", "WINDOWS-1256"), ("x-cp1256", "WINDOWS-1256"), ("Windows-1256", "WINDOWS-1256"),
        ("ms-arab", "WINDOWS-1256"), ("latin1", "WINDOWS-1252"), ("ISO_8859-1:1987", "WINDOWS-1252"),
        ("x-sjis", "CP932"), ("Shift_JIS", "CP932"), ("ks_c_5601-1987", "CP949"), ("euc-kr", "CP949"),
        ("gb2312", "GB18030"), ("GBK", "GB18030"), ("\"utf-8\"", "UTF-8"), ("  UTF8 ", "UTF-8"), ("'us-ascii'", "US-ASCII"),
        ("utf-8*fa", "UTF-8"), ("iso8859-6", "ISO-8859-6"), ("ISO_8859-6", "ISO-8859-6"), ("iso-8859-6-i", "ISO-8859-6"),
        ("arabic", "ISO-8859-6"), ("unicode-1-1-utf-7", "UTF-7"), ("koi8r", "KOI8-R"), ("big-5", "BIG5"), ("tis-620", "CP874"),
    ]

    @Test(arguments: aliases)
    func resolvesAliasesQuotesCaseAndWhitespace(_ alias: (String, String)) {
        #expect(Charset(label: alias.0).name == alias.1)
    }

    @Test func invalidMultibyteSequenceBecomesReplacementCharacterAndContinues() {
        let decoded = Charset(label: "euc-kr").decode([0xC7, 0xD1, 0xFF, 0x41, 0xC7])
        #expect(decoded == "한\u{FFFD}A\u{FFFD}")
    }

    @Test func invalidUTF8BecomesReplacementCharacters() {
        let decoded = Charset(label: "utf-8").decode([0x61, 0xD8, 0x62, 0xE2, 0x82])
        #expect(decoded.hasPrefix("a\u{FFFD}b"))
        #expect(decoded.unicodeScalars.contains("\u{FFFD}"))
    }

    @Test func truncatedShiftJISAtEndBecomesOneReplacementCharacter() {
        #expect(Charset(label: "shift_jis").decode([0x93, 0xFA, 0x96]) == "日\u{FFFD}")
    }

    @Test func unknownCharsetFallsBackToUTF8ThenWindows1252() {
        #expect(Charset(label: "x-unknown-charset").decode(Array("سلام".utf8)) == "سلام")
        #expect(Charset(label: "x-unknown-charset").decode([0x63, 0x61, 0x66, 0xE9, 0x93]) == "café“")
        #expect(Charset(label: "").decode([0xE9]) == "é")
        #expect(Charset(label: "bogus name with spaces").decode([0xE9]) == "é")
    }

    @Test func usAsciiLabelledEightBitTextIsReadAsUTF8OrWindows1252() {
        #expect(Charset(label: "us-ascii").decode(Array("ok ✓".utf8)) == "ok ✓")
        #expect(Charset(label: "us-ascii").decode([0x93, 0x68, 0x69, 0x94]) == "“hi”")
    }

    @Test func latin1IsDecodedAsWindows1252Superset() {
        #expect(Charset(label: "iso-8859-1").decode([0x80, 0x20, 0xE9]) == "€ é")
    }

    @Test func gb2312LabelDecodesGBKOnlyCharacters() {
        // 0x8140 is 丂, in GBK but not in GB2312; mailers label such text gb2312.
        #expect(Charset(label: "gb2312").decode([0x81, 0x40]) == "丂")
    }

    @Test func encodeThenDecodeRoundTripsPersianInWindows1256() throws {
        let cs = Charset(label: "windows-1256")
        let bytes = try #require(cs.encode("سلام دنيا"))
        #expect(bytes.prefix(4) == [0xD3, 0xE1, 0xC7, 0xE3])
        #expect(cs.decode(bytes) == "سلام دنيا")
    }

    @Test func largeBufferThroughIconvDecodesCompletely() {
        let text = String(repeating: "سلام دنیا ", count: 5000)
        let bytes = Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(Charset(label: "utf-16le").decode(bytes) == text)
    }

    @Test func randomBytesNeverCrashAnyDecoder() {
        var rng = SplitMix64(seed: 7)
        let labels = ["utf-8", "iso-2022-jp", "shift_jis", "gb18030", "big5", "euc-kr", "utf-16", "utf-7", "windows-1256", "koi8-r", "euc-jp"]
        for _ in 0..<200 {
            let bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for label in labels {
                _ = Charset(label: label).decode(bytes)
            }
        }
    }
}
