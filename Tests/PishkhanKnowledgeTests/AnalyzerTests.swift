import PishkhanCore
@testable import PishkhanKnowledge
import Testing

@Suite struct TextNormalizerTests {
    @Test("Arabic yeh and kaf become Persian", arguments: [
        ("كتاب علي", "کتاب علی"), ("مشترى", "مشتری"), ("پيگيري سفارش", "پیگیری سفارش"),
    ])
    func arabicLettersBecomePersian(raw: String, expected: String) {
        #expect(TextNormalizer.normalize(raw) == expected)
    }

    @Test func tatweelIsRemoved() {
        #expect(TextNormalizer.normalize("کـــتـاب") == "کتاب")
    }

    @Test func diacriticsAreRemoved() {
        #expect(TextNormalizer.normalize("كِتَابٌ") == "کتاب")
        #expect(TextNormalizer.normalize("مُحَمَّد") == "محمد")
        #expect(TextNormalizer.normalize("رحمٰن") == "رحمن")
    }

    @Test("Persian and Arabic-Indic digits become ASCII", arguments: [("۱۴۰۳/۰۷/۱۲", "1403/07/12"), ("٠١٢٣٤٥٦٧٨٩", "0123456789")])
    func digitsBecomeASCII(raw: String, expected: String) {
        #expect(TextNormalizer.normalize(raw) == expected)
    }

    @Test func presentationFormsDecomposeUnderNFKC() {
        #expect(TextNormalizer.normalize("\u{FEF5}") == "لا")  // lam with alef madda ligature
        #expect(TextNormalizer.normalize("\u{FEFB}") == "لا")
        #expect(TextNormalizer.normalize("\u{FEDB}\u{FE98}\u{FE8E}\u{FE8F}") == "کتاب")  // isolated/medial forms
        #expect(TextNormalizer.normalize("ﬁle") == "file")
    }

    @Test func caseIsFolded() {
        #expect(TextNormalizer.normalize("Return POLICY") == "return policy")
    }

    @Test func alefHamzaVariantsMatchPlainAlef() {
        #expect(TextNormalizer.normalize("أمير إيران آب") == "امیر ایران اب")
        #expect(TextNormalizer.normalize("مسئول") == "مسیول")
        #expect(TextNormalizer.normalize("مؤسسه") == "موسسه")
    }

    @Test func ezafeHehForms() {
        #expect(TextNormalizer.normalize("خانۀ") == "خانه")
        #expect(TextNormalizer.normalize("خانهٔ") == "خانه")
    }

    @Test func zwnjIsRemovedInsideAWord() {
        #expect(TextNormalizer.normalize("می‌خواهم") == "میخواهم")
    }
}

@Suite struct AnalyzerTests {
    let analyzer = Analyzer()

    func terms(_ text: String, _ locale: Article.Locale? = nil) -> [String] {
        analyzer.analyze(text, locale: locale).map(\.term)
    }

    @Test("The verb prefix می joined, with ZWNJ or with a space is one word", arguments: [
        ["می‌خواهم", "میخواهم", "می خواهم"], ["نمی‌توانم", "نمیتوانم", "نمی توانم"],
    ])
    func verbPrefixFormsAgree(forms: [String]) {
        let analyzed = forms.map { terms($0) }
        #expect(analyzed[0].count == 1)
        #expect(analyzed[1] == analyzed[0])
        #expect(analyzed[2] == analyzed[0])
    }

    @Test("Suffixes joined, with ZWNJ or with a space are one word", arguments: [
        (["کتاب‌ها", "کتابها", "کتاب ها"], "کتاب"), (["سفارش‌های من", "سفارشهای من", "سفارش های من"], "سفارش"),
        (["بزرگ‌ترین", "بزرگترین", "بزرگ ترین"], "بزرگ"), (["خانه‌ام", "خانهام", "خانه ام"], "خانه"),
    ])
    func suffixFormsAgree(forms: [String], stem: String) {
        for form in forms { #expect(terms(form) == [stem], "\(form)") }
    }

    @Test func affixAcrossPunctuationIsNotJoined() {
        #expect(terms("کتاب، ها") != terms("کتاب ها"))
    }

    @Test func tokensPointIntoTheOriginalText() {
        let text = "Hello! من می خواهم کالا را returned کنم"
        let tokens = analyzer.analyze(text)
        let verb = tokens.first { $0.normalized == "میخواهم" }
        #expect(verb.map { String(text[$0.range]) } == "می خواهم")
        let english = tokens.first { $0.term == "return" }
        #expect(english.map { String(text[$0.range]) } == "returned")
        let utf16 = Array(text.utf16)
        if let english {
            #expect(String(decoding: utf16[english.utf16Range], as: UTF16.self) == "returned")
        }
        #expect(tokens.map(\.position) == tokens.map(\.position).sorted())
    }

    @Test func mixedPersianAndEnglish() {
        #expect(terms("سفارش iPhone 13 من returned شد") == ["سفارش", "iphon", "13", "return"])
    }

    @Test func stopWordsAreDropped() {
        #expect(terms("The return of the order") == ["return", "order"])
        #expect(terms("این کالا را به من بدهید") == ["کالا", "بدهید"])
    }

    @Test func englishStopWordsStayInPersianText() {
        #expect(terms("گوشی Galaxy A", .fa) == ["گوشی", "galaxi", "a"])
        #expect(terms("Galaxy A phone", .en) == ["galaxi", "phone"])
    }

    @Test("English words are stemmed by Snowball", arguments: [
        ("running", "run"), ("deliveries", "deliveri"), ("refunded", "refund"), ("passwords", "password"),
        ("tracking", "track"), ("warranties", "warranti"),
    ])
    func englishStems(word: String, stem: String) {
        #expect(terms(word) == [stem])
    }

    @Test("Persian suffixes are stripped", arguments: [
        ("کتابها", "کتاب"), ("کتابهایم", "کتاب"), ("سفارشهایتان", "سفارش"), ("بزرگتر", "بزرگ"), ("بزرگترین", "بزرگ"),
        ("خانهام", "خانه"), ("خانهی", "خانه"), ("کالای", "کالا"), ("دانشجویان", "دانشجو"), ("مردان", "مرد"), ("حسابتان", "حساب"),
        ("نمایندگان", "نماینده"), ("اطلاعات", "اطلاع"), ("کتابشان", "کتاب"), ("دوستان", "دوست"), ("تغییرات", "تغییر"),
    ])
    func persianStems(word: String, stem: String) {
        #expect(PersianStemmer.stem(word) == stem)
    }

    @Test("Words whose ending belongs to the stem are kept", arguments: [
        "ایران", "زمان", "کامپیوتر", "تنها", "داستان", "ملاقات", "رایگان", "پرینتر", "بیمارستان", "گواهی", "نشان",
        "دختر", "حیات", "خیابان",
    ])
    func persianExceptions(word: String) {
        #expect(PersianStemmer.stem(word) == word)
    }

    /// تان after a consonant is read as "your" (`سفارش‌تان`), far more common in support text than the
    /// old plural ان of a word ending in ت.
    @Test func possessiveTanWinsOverPluralAn() {
        #expect(PersianStemmer.stem("سفارشتان") == "سفارش")
        #expect(PersianStemmer.stem("درختان") == "درخ")
    }

    @Test func shortWordsAreNotStemmed() {
        #expect(PersianStemmer.stem("بها") == "بها")
        #expect(PersianStemmer.stem("جان") == "جان")
        #expect(PersianStemmer.stem("ذات") == "ذات")
    }

    @Test func digitsAndThousandsSeparators() {
        #expect(terms("۴۵٬۰۰۰ تومان") == terms("45,000 تومان"))
        #expect(terms("۴۵٬۰۰۰ تومان").first == "45000")
        #expect(terms("٧ روز") == terms("7 روز"))
    }

    @Test func localeIsDetectedByScript() {
        #expect(Analyzer.detectLocale("رمز عبورم را فراموش کرده‌ام") == .fa)
        #expect(Analyzer.detectLocale("I forgot my password") == .en)
        #expect(Analyzer.detectLocale("سفارش من با کد RT-12 هنوز نرسیده") == .fa)
    }

    @Test func analyzerIsSafeFromManyThreads() async {
        let analyzer = self.analyzer
        let expected = analyzer.analyze("returning deliveries quickly").map(\.term)
        await withTaskGroup(of: [String].self) { group in
            for _ in 0..<16 {
                group.addTask { (0..<200).map { _ in analyzer.analyze("returning deliveries quickly").map(\.term) }.last! }
            }
            for await result in group { #expect(result == expected) }
        }
    }
}
