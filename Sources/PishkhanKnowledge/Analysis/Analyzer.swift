import PishkhanCore
import Synchronization

/// Turns text into index terms, the same way for articles and for queries: tokenize (`Tokenizer`),
/// drop stop words, stem. Each word is stemmed by its script: Latin words with Snowball's English
/// stemmer, Persian words with `PersianStemmer`; digits are kept as they are.
///
/// Snowball stemmers are not thread-safe, so the analyzer keeps a small pool: one `analyze` call takes a
/// stemmer out for its whole text and puts it back, and concurrent calls (readers searching snapshots of
/// the index in parallel) each get their own. The pool only grows to the number of simultaneous callers.
public final class Analyzer: Sendable {
    private let pool = Mutex<[SnowballStemmer]>([])

    public init() {}

    public func analyze(_ text: String, locale: Article.Locale? = nil) -> [Token] {
        let words = Tokenizer.words(text)
        let locale = locale ?? Self.detectLocale(text)
        let stemmer = takeStemmer()
        defer { giveBack(stemmer) }
        var tokens: [Token] = []
        tokens.reserveCapacity(words.count)
        for (position, word) in words.enumerated() {
            guard let term = Self.term(word.normalized, persian: word.persian, locale: locale, stemmer: stemmer) else { continue }
            tokens.append(Token(term: term, normalized: word.normalized, position: position, range: word.range, utf16Range: word.utf16Range))
        }
        return tokens
    }

    /// The stemmed form of one normalized word, or nil for a stop word.
    func stem(_ normalized: String, persian: Bool, locale: Article.Locale) -> String? {
        let stemmer = takeStemmer()
        defer { giveBack(stemmer) }
        return Self.term(normalized, persian: persian, locale: locale, stemmer: stemmer)
    }

    private static func term(_ word: String, persian: Bool, locale: Article.Locale, stemmer: SnowballStemmer) -> String? {
        if persian {
            if StopWords.persian.contains(word) { return nil }
            return PersianStemmer.stem(word)
        }
        if locale == .en, StopWords.english.contains(word) { return nil }
        guard let first = word.utf8.first, first >= 0x61, first <= 0x7A, word.utf8.count > 2 else { return word }
        return stemmer.stem(word)
    }

    /// Persian when Arabic-script letters outnumber Latin ones, English otherwise.
    public static func detectLocale(_ text: String) -> Article.Locale {
        var arabic = 0
        var latin = 0
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) {
                latin += 1
            } else if Tokenizer.isArabicScript(scalar), scalar.properties.isAlphabetic {
                arabic += 1
            }
        }
        return arabic > latin ? .fa : .en
    }

    private func takeStemmer() -> SnowballStemmer {
        if let stemmer = pool.withLock({ $0.popLast() }) { return stemmer }
        guard let stemmer = SnowballStemmer(algorithm: "english") else {
            preconditionFailure("libstemmer has no English stemmer")
        }
        return stemmer
    }

    private func giveBack(_ stemmer: SnowballStemmer) {
        pool.withLock { $0.append(stemmer) }
    }
}

extension Analyzer {
    /// The words of `text` whose term is one of `terms`. Both stemmers only change word endings (but for a
    /// few irregular English forms such as dying → die, which then go unmarked), so a word can only match a
    /// term that shares its first four letters (or is a prefix of them): other words are skipped before any
    /// normalization, and only the few candidates (with the words after them, for a suffix written apart)
    /// are analyzed in full. Finding a snippet costs about one pass over the text's characters.
    func occurrences(of terms: Set<String>, in text: String, locale: Article.Locale, limit: Int = .max) -> [Token] {
        var heads: Set<UInt64> = []
        var everyWord = false
        for term in terms {
            if let head = Tokenizer.head(ofTerm: term) { heads.insert(head) } else { everyWord = true }
        }
        let spans = Tokenizer.spans(text, limit: limit)
        var found: [Token] = []
        var k = 0
        while k < spans.count {
            defer { k += 1 }
            if !everyWord, let prefixes = Tokenizer.heads(text[spans[k].range].unicodeScalars), !(heads.contains(prefixes[0]) || heads.contains(prefixes[1]) || heads.contains(prefixes[2]) || heads.contains(prefixes[3])) {
                continue
            }
            // The candidate and what the tokenizer could join to it: a prefix's word, suffixes after it.
            var end = k
            while end + 1 < spans.count, end - k < 3, spans[end + 1].persian, spans[end + 1].spaceBefore { end += 1 }
            let window = text[spans[k].range.lowerBound..<spans[end].range.upperBound]
            let utf16Base = spans[k].utf16Range.lowerBound
            guard let word = Tokenizer.words(String(window)).first,
                  let term = stem(word.normalized, persian: word.persian, locale: locale), terms.contains(term) else { continue }
            let lower = text.utf16.index(spans[k].range.lowerBound, offsetBy: word.utf16Range.lowerBound)
            let upper = text.utf16.index(spans[k].range.lowerBound, offsetBy: word.utf16Range.upperBound)
            found.append(Token(term: term, normalized: word.normalized, position: k, range: lower..<upper,
                               utf16Range: (utf16Base + word.utf16Range.lowerBound)..<(utf16Base + word.utf16Range.upperBound)))
            // Skip the parts joined into this word.
            while k + 1 < spans.count, spans[k + 1].utf16Range.upperBound <= utf16Base + word.utf16Range.upperBound { k += 1 }
        }
        return found
    }
}
