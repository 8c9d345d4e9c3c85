import PishkhanCore
import Testing

@Suite struct SMSSegmentsTests {
    @Test(arguments: [
        ("", SMSEncoding.gsm7, 1),
        (String(repeating: "a", count: 160), .gsm7, 1),
        (String(repeating: "a", count: 161), .gsm7, 2),
        (String(repeating: "a", count: 306), .gsm7, 2),
        (String(repeating: "a", count: 307), .gsm7, 3),
        ("Your order BZ-1042 ships today. @£$¥ èéùìò ÄÖÑÜ§¿ äöñüà ΔΦΓΛΩΠΨΣΘΞ", .gsm7, 1),
        // Lower-case ç is not in the GSM alphabet (only Ç is).
        ("ça va", .ucs2, 1),
    ])
    func gsmLengthBoundaries(text: String, encoding: SMSEncoding, segments: Int) {
        let count = SMSSegments.count(text)
        #expect(count.encoding == encoding)
        #expect(count.segments == segments)
    }

    @Test func extensionCharactersCostTwoSeptets() {
        #expect(SMSSegments.count("^{}[~]|€\\") == (.gsm7, 1))
        // 80 escape characters are 160 septets: one message; 81 are 162: two parts.
        #expect(SMSSegments.count(String(repeating: "€", count: 80)) == (.gsm7, 1))
        #expect(SMSSegments.count(String(repeating: "€", count: 81)) == (.gsm7, 2))
        #expect(SMSSegments.count(String(repeating: "a", count: 159) + "[") == (.gsm7, 2))
        #expect(SMSSegments.count(String(repeating: "a", count: 158) + "]") == (.gsm7, 1))
    }

    @Test func anEscapeSequenceIsNeverSplitAcrossParts() {
        // 306 septets would fit two parts of 153, but the € (escape + e) cannot straddle them.
        let text = String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 152)
        #expect(SMSSegments.count(text) == (.gsm7, 3))
        #expect(SMSSegments.count(String(repeating: "a", count: 151) + "€" + String(repeating: "a", count: 153)) == (.gsm7, 2))
    }

    @Test func persianIsUCS2WithSeventyAndSixtySeven() {
        #expect(SMSSegments.count(String(repeating: "س", count: 70)) == (.ucs2, 1))
        #expect(SMSSegments.count(String(repeating: "س", count: 71)) == (.ucs2, 2))
        #expect(SMSSegments.count(String(repeating: "س", count: 134)) == (.ucs2, 2))
        #expect(SMSSegments.count(String(repeating: "س", count: 135)) == (.ucs2, 3))
        // One Persian letter turns a long English text into UCS-2.
        #expect(SMSSegments.count(String(repeating: "a", count: 100) + "ی") == (.ucs2, 2))
        #expect(SMSSegments.count("سلام، سفارش شما امروز ارسال می‌شود. ۱۲۳") == (.ucs2, 1))
    }

    @Test func emojiCountTwoCodeUnitsAndStayWhole() {
        #expect(SMSSegments.count(String(repeating: "😀", count: 35)) == (.ucs2, 1))
        #expect(SMSSegments.count(String(repeating: "😀", count: 36)) == (.ucs2, 2))
        // 134 code units would fit two parts of 67, but the surrogate pair cannot be split.
        let text = String(repeating: "a", count: 66) + "😀" + String(repeating: "a", count: 66)
        #expect(SMSSegments.count(text) == (.ucs2, 3))
    }

    @Test func crlfCountsAsTwoCharacters() {
        // Swift sees "\r\n" as one Character; the network sends two septets.
        #expect(SMSSegments.count(String(repeating: "\r\n", count: 80)) == (.gsm7, 1))
        #expect(SMSSegments.count(String(repeating: "\r\n", count: 80) + "a") == (.gsm7, 2))
    }
}
