@testable import PishkhanCore
import Testing

@Suite struct IdentityNormalizerTests {
    let normalizer = IdentityNormalizer()

    @Test("Iranian mobile numbers in any script and format are one phone", arguments: [
        "۰۹۱۲۳۴۵۶۷۸۹", "09123456789", "+989123456789", "00989123456789", "٠٩١٢٣٤٥٦٧٨٩",
        "0912 345 6789", "(0912) 345-6789", "+98 912 345 6789", "9123456789", "+۹۸۹۱۲۳۴۵۶۷۸۹",
    ])
    func iranianMobileNormalizesToE164(raw: String) throws {
        #expect(try normalizer.phone(raw) == "+989123456789")
    }

    @Test func foreignNumbersKeepTheirCountryCode() throws {
        #expect(try normalizer.phone("+49 30 1234567") == "+49301234567")
        #expect(try IdentityNormalizer(defaultCountryCode: "49").phone("030 1234567") == "+49301234567")
    }

    @Test("Not phone numbers are rejected with the field named", arguments: ["abc", "12", "+", "0912-abc-6789", "+0123456789"])
    func garbagePhoneIsRejected(raw: String) {
        #expect(throws: ValidationError.self) { try normalizer.phone(raw) }
    }

    @Test("Emails are trimmed and lower-cased", arguments: [
        ("Ali@Example.COM ", "ali@example.com"), ("  ali@example.com", "ali@example.com"), ("<Ali@Example.com>", "ali@example.com"),
    ])
    func emailNormalizes(raw: String, expected: String) throws {
        #expect(try normalizer.normalize(kind: .email, raw) == expected)
    }

    @Test("Malformed emails are rejected", arguments: ["ali", "ali@", "@example.com", "ali@example", "a li@example.com", "ali@.com"])
    func malformedEmailIsRejected(raw: String) {
        #expect(throws: ValidationError.self) { try normalizer.normalize(kind: .email, raw) }
    }

    @Test func opaqueIdentitiesAreTrimmedButKeepCase() throws {
        #expect(try normalizer.normalize(kind: .telegram, " 12345AbC ") == "12345AbC")
        #expect(throws: ValidationError.self) { try normalizer.normalize(kind: .chat, "   ") }
    }
}

@Suite struct TextFoldingTests {
    @Test func arabicLetterVariantsFoldToPersian() {
        #expect(TextFolding.fold("علي كريمي") == TextFolding.fold("علی کریمی"))
    }

    @Test func zeroWidthNonJoinerAndTatweelAndDiacriticsVanish() {
        #expect(TextFolding.fold("می‌خواهم") == "میخواهم")
        #expect(TextFolding.fold("فـــوری") == "فوری")
        #expect(TextFolding.fold("مُحَمَّد") == "محمد")
    }

    @Test func digitsBecomeASCIIAndLatinIsCaseFolded() {
        #expect(TextFolding.fold("سفارش ۱۲۳ ORDER ٤٥") == "سفارش 123 order 45")
        #expect(TextFolding.asciiDigits("۰۹۱۲") == "0912")
    }
}

@Suite struct FoldingFastPathTests {
    /// The one-pass path must agree with full NFKC wherever it is taken.
    @Test("Fast path equals the NFKC path", arguments: [
        "Where is my ORDER #42?", "سلام، سفارش ۱۲۳ من کجاست؟", "علي كريمي", "می‌خواهم", "فـــوری", "مُحَمَّد", "Mixed فارسی and English ١٢٣",
        "\u{200F}rtl mark", "tab\tand\nnewline",
    ])
    func fastPathMatchesNFKC(text: String) throws {
        let fast = try #require(TextFolding.foldWithoutNormalizing(text))
        let slow = String(String.UnicodeScalarView(text.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars))
        #expect(fast == TextFolding.fold(slow))
    }

    @Test("Text that NFKC may change takes the slow path", arguments: ["ﻋﻠﻰ", "ﬁle", "\u{0627}\u{0653}", "Ａｌｉ", "café"])
    func normalizingTextIsNotFastPathed(text: String) {
        #expect(TextFolding.foldWithoutNormalizing(text) == nil)
    }

    @Test func presentationFormsAndFullWidthFoldLikeTheirLetters() {
        #expect(TextFolding.fold("ﻋﻠﻰ") == TextFolding.fold("علی"))
        #expect(TextFolding.fold("Ａｌｉ") == "ali")
        #expect(TextFolding.fold("\u{0627}\u{0653}") == TextFolding.fold("\u{0622}"))
    }

    @Test func trimmedIsNativeTrim() {
        #expect("  سلام \n".trimmed == "سلام")
        #expect(" \t ".trimmed == "")
        #expect("a".trimmed == "a")
    }
}
