/// A light suffix stemmer for normalized Persian words (see `TextNormalizer`). One suffix group is removed
/// per word, in this order, each only when enough of the word is left and the word is not a listed
/// exception whose ending belongs to the stem:
/// 1. plural ها/های/هایی, with a possessive clitic after it (هایم، هایت، هایش، هایمان، هایتان، هایشان);
/// 2. comparative and superlative تر/ترین (`کامپیوتر`, `فیلتر`… are exceptions);
/// 3. after a final ه: ezafe ی and the clitics ای، ام، ات، اش، ایم، اید، اند (`خانه‌ام` → `خانه`);
/// 4. ezafe ی after ا/و (`کالای` → `کالا`), then possessive مان/تان/شان (`زمان`, `داستان`, `نشان`… are exceptions);
/// 5. plural ات and ان, with گان → ه (`نمایندگان` → `نماینده`) and a glide ی after ا/و dropped
///    (`دانشجویان` → `دانشجو`). The bare clitics م/ت/ش are never removed on their own: too many stems
///    end in them.
enum PersianStemmer {
    static func stem(_ word: String) -> String {
        let letters = Array(word.unicodeScalars)
        guard letters.count >= 3, !exceptions.contains(word) else { return word }
        if let n = strip(letters, plural, minimumStem: 2) { return n }
        if let n = strip(letters, ["ترین", "تر"], minimumStem: 3) { return n }
        if let n = stripAfterHeh(letters) { return n }
        if let n = stripEzafeAfterVowel(letters) { return n }
        if let n = stripPossessive(letters) { return n }
        if endsWith(letters, "گان"), letters.count - 3 >= 3 {
            return String(String.UnicodeScalarView(letters.dropLast(3))) + "ه"
        }
        if var stem = stripped(letters, ["ات", "ان"], minimumStem: 3) {
            if stem.count >= 4, stem.last == "ی", stem[stem.count - 2] == "ا" || stem[stem.count - 2] == "و" {
                stem.removeLast()
            }
            return String(String.UnicodeScalarView(stem))
        }
        return word
    }

    private static let plural = ["هایمان", "هایتان", "هایشان", "هایی", "هایم", "هایت", "هایش", "های", "ها"]
    private static let afterHeh = ["ای", "ام", "ات", "اش", "ایم", "اید", "اند", "ی"].sorted { $0.count > $1.count }

    private static func strip(_ letters: [Unicode.Scalar], _ suffixes: [String], minimumStem: Int) -> String? {
        stripped(letters, suffixes, minimumStem: minimumStem).map { String(String.UnicodeScalarView($0)) }
    }

    private static func stripped(_ letters: [Unicode.Scalar], _ suffixes: [String], minimumStem: Int) -> [Unicode.Scalar]? {
        for suffix in suffixes where endsWith(letters, suffix) {
            let length = suffix.unicodeScalars.count
            if letters.count - length >= minimumStem { return Array(letters.dropLast(length)) }
        }
        return nil
    }

    private static func stripAfterHeh(_ letters: [Unicode.Scalar]) -> String? {
        for suffix in afterHeh where endsWith(letters, suffix) {
            let stem = letters.dropLast(suffix.unicodeScalars.count)
            if stem.count >= 2, stem.last == "ه" { return String(String.UnicodeScalarView(stem)) }
        }
        return nil
    }

    /// Ezafe ی written after a long vowel: `کالای` → `کالا`, `دانشجوی` → `دانشجو`.
    private static func stripEzafeAfterVowel(_ letters: [Unicode.Scalar]) -> String? {
        guard letters.count >= 4, letters.last == "ی", letters[letters.count - 2] == "ا" || letters[letters.count - 2] == "و" else { return nil }
        return String(String.UnicodeScalarView(letters.dropLast()))
    }

    /// مان/تان/شان; تان after س is left to the plural rule (`دوستان` → `دوست`), since ستان is a stem ending.
    private static func stripPossessive(_ letters: [Unicode.Scalar]) -> String? {
        for suffix in ["مان", "تان", "شان"] where endsWith(letters, suffix) && letters.count - 3 >= 3 {
            if suffix == "تان", letters[letters.count - 4] == "س" { return nil }
            return String(String.UnicodeScalarView(letters.dropLast(3)))
        }
        return nil
    }

    private static func endsWith(_ letters: [Unicode.Scalar], _ suffix: String) -> Bool {
        let s = Array(suffix.unicodeScalars)
        return letters.count >= s.count && letters[(letters.count - s.count)...].elementsEqual(s)
    }

    /// Words whose ending looks like a suffix but is part of the stem.
    static let exceptions: Set<String> = [
        // ها
        "تنها", "رها", "بها",
        // تر
        "کامپیوتر", "فیلتر", "کبوتر", "انگشتر", "پوستر", "تیاتر", "کیلومتر", "سانتیمتر", "میلیمتر", "اختر",
        "دختر", "دفتر", "دکتر", "بستر", "اکتر", "کاراکتر", "اسکوتر", "پرینتر", "روتر",
        // ه + ی / ام / ات
        "گاهی", "راهی", "ماهی", "اگاهی", "گواهی", "کوتاهی", "سپاهی", "تباهی", "گمراهی", "همراهی", "شاهی",
        "دانشگاهی", "جایگاهی", "کلاهی", "سیاهی",
        // مان / تان / شان
        "زمان", "ساختمان", "سازمان", "درمان", "اسمان", "مهمان", "ایمان", "پیمان", "فرمان", "گمان", "زایمان",
        "سامان", "چمدان", "داستان", "استان", "بستان", "تابستان", "زمستان", "بیمارستان", "دبیرستان", "بوستان",
        "گلستان", "شهرستان", "پاکستان", "افغانستان", "ارمنستان", "انگلستان", "نشان", "پریشان", "درخشان",
        "کاشان", "کردستان", "خوزستان", "لرستان", "سیستان", "مازندران",
        // ات
        "ملاقات", "صلوات", "مساوات", "برات", "حیات", "نجات", "ثبات", "زکات", "سوغات", "کلات",
        // ان
        "ایران", "تهران", "جوان", "خیابان", "ارزان", "گران", "میزان", "امکان", "پایان", "جهان", "زبان",
        "اسان", "باران", "کاروان", "دندان", "پنهان", "نهان", "دوران", "انسان", "ابان", "لبنان", "یونان",
        "کرمان", "همدان", "زنجان", "سمنان", "گیلان", "اصفهان", "رایگان", "بازرگان", "گروگان", "همگان",
        "مکان", "دکان", "بیان", "جریان", "پیکان", "سامانه", "ویران", "طوفان", "توان", "روان", "نان", "جان",
        "خان", "شان", "کمان", "بادمجان", "فنجان", "ستان", "اذان", "قران", "عنوان", "ایوان", "میدان", "کاپیتان",
    ]
}
