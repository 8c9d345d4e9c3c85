/// Splits mixed Persian and English text into normalized words with their place in the original text.
///
/// A word is a run of letters, combining marks and digits; ZWNJ/ZWJ inside a word and the Arabic thousands
/// separator or a comma between digits belong to the word (and disappear in normalization). Persian writes
/// the verb prefix می/نمی and the suffixes ها/های/ام/ات/اش/ای/تر/ترین… in three ways: joined, with a
/// ZWNJ, or with a space. Normalization removes the ZWNJ, and this tokenizer joins a stand-alone prefix to
/// the next Persian word and a stand-alone suffix to the previous one when only spaces separate them, so
/// `می‌خواهم`, `میخواهم` and `می خواهم` are all the word `میخواهم`.
enum Tokenizer {
    struct Word {
        var normalized: String
        var range: Range<String.Index>
        var utf16Range: Range<Int>
        var persian: Bool
        /// Only spaces (no punctuation, no line break) since the previous word.
        var spaceBefore: Bool
    }

    static let prefixes: Set<String> = ["می", "نمی"]
    static let suffixes: Set<String> = [
        "ها", "های", "هایی", "هایم", "هایت", "هایش", "هایمان", "هایتان", "هایشان",
        "ام", "ات", "اش", "ای", "ایم", "اید", "اند", "تر", "ترین",
    ]

    /// A word as written, before normalization.
    struct Span {
        var range: Range<String.Index>
        var utf16Range: Range<Int>
        var persian: Bool
        var spaceBefore: Bool
    }

    static func words(_ text: String) -> [Word] {
        var raw: [Word] = []
        for span in spans(text) {
            let normalized = TextNormalizer.normalize(String(text[span.range])).filter { !isDigitSeparator($0.unicodeScalars.first!) }
            // NFKC can turn one presentation-form ligature into several words.
            for part in normalized.split(separator: " ") where !part.isEmpty {
                raw.append(Word(normalized: String(part), range: span.range, utf16Range: span.utf16Range, persian: span.persian, spaceBefore: span.spaceBefore))
            }
        }
        return joinAffixes(raw)
    }

    /// The words of `text` as written: where they are, their script, and what separates them; only those
    /// starting within the first `limit` UTF-16 units when a limit is given.
    static func spans(_ text: String, limit: Int = .max) -> [Span] {
        var raw: [Span] = []
        let scalars = text.unicodeScalars
        var i = scalars.startIndex
        var offset = 0
        var spaceOnly = true
        while i < scalars.endIndex, offset < limit {
            let scalar = scalars[i]
            guard isWordScalar(scalar) else {
                if !(scalar == " " || scalar == "\u{00A0}" || scalar == "\t") { spaceOnly = false }
                offset += scalar.utf16.count
                i = scalars.index(after: i)
                continue
            }
            let start = i
            let startOffset = offset
            var previous = scalar
            var persian = isArabicScript(scalar)
            offset += scalar.utf16.count
            i = scalars.index(after: i)
            while i < scalars.endIndex {
                let s = scalars[i]
                if isWordScalar(s) || isJoiner(s) {
                    // a joiner or separator only inside the word
                } else if isDigitSeparator(s), isDigit(previous), let next = scalars.index(i, offsetBy: 1, limitedBy: scalars.endIndex),
                          next < scalars.endIndex, isDigit(scalars[next]) {
                } else {
                    break
                }
                persian = persian || isArabicScript(s)
                previous = s
                offset += s.utf16.count
                i = scalars.index(after: i)
            }
            raw.append(Span(range: start..<i, utf16Range: startOffset..<offset, persian: persian, spaceBefore: spaceOnly && !raw.isEmpty))
            spaceOnly = true
        }
        return raw
    }

    /// Scalars in a `head`.
    static let headLength = 4

    /// The first letters of a word (up to `headLength`) as normalization would leave them (case, Arabic
    /// letter variants, digits; tatweel, diacritics and joiners skipped), packed in one integer, one
    /// packing per length from 1 on; nil when a letter needs the full normalization (NFKC) to tell.
    /// Unused lengths are 0, which no head equals.
    static func heads(_ scalars: Substring.UnicodeScalarView) -> SIMD4<UInt64>? {
        var heads = SIMD4<UInt64>(repeating: 0)
        var count = 0
        var head: UInt64 = 0
        for scalar in scalars {
            var v = scalar.value
            switch v {
            case 0x41...0x5A: v += 0x20
            case 0x00...0x7F: break
            case 0x064A, 0x0649, 0x0626: v = 0x06CC
            case 0x0643: v = 0x06A9
            case 0x0622, 0x0623, 0x0625, 0x0671: v = 0x0627
            case 0x0624: v = 0x0648
            case 0x0629, 0x06C0: v = 0x0647
            case 0x0660...0x0669: v = v - 0x0660 + 0x30
            case 0x06F0...0x06F9: v = v - 0x06F0 + 0x30
            case 0x0640, 0x064B...0x065F, 0x0670, 0x200C, 0x200D, 0x066C: continue
            case 0x0600...0x06FF: break
            default: return nil
            }
            head = head << 15 | UInt64(v)
            heads[count] = head << 3 | UInt64(count + 1)
            count += 1
            if count == headLength { break }
        }
        return heads
    }

    /// The head of an already normalized term: its first `headLength` scalars, or all of a shorter term.
    static func head(ofTerm term: String) -> UInt64? {
        var head: UInt64 = 0
        var length: UInt64 = 0
        for scalar in term.unicodeScalars.prefix(headLength) {
            guard scalar.value < 0x8000 else { return nil }
            head = head << 15 | UInt64(scalar.value)
            length += 1
        }
        return head << 3 | length
    }

    private static func joinAffixes(_ raw: [Word]) -> [Word] {
        var out: [Word] = []
        out.reserveCapacity(raw.count)
        var k = 0
        while k < raw.count {
            var word = raw[k]
            k += 1
            if word.persian, prefixes.contains(word.normalized), k < raw.count, raw[k].persian, raw[k].spaceBefore {
                word.normalized += raw[k].normalized
                word.range = word.range.lowerBound..<raw[k].range.upperBound
                word.utf16Range = word.utf16Range.lowerBound..<raw[k].utf16Range.upperBound
                k += 1
            }
            while k < raw.count, word.persian, raw[k].persian, raw[k].spaceBefore, suffixes.contains(raw[k].normalized) {
                word.normalized += raw[k].normalized
                word.range = word.range.lowerBound..<raw[k].range.upperBound
                word.utf16Range = word.utf16Range.lowerBound..<raw[k].utf16Range.upperBound
                k += 1
            }
            out.append(word)
        }
        return out
    }

    @inline(__always)
    static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0x30 && v <= 0x39) }
        if v == 0x200C || v == 0x200D { return false }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .otherNumber, .letterNumber:
            return true
        default:
            return false
        }
    }

    @inline(__always)
    static func isJoiner(_ s: Unicode.Scalar) -> Bool { s.value == 0x200C || s.value == 0x200D }

    @inline(__always)
    static func isDigitSeparator(_ s: Unicode.Scalar) -> Bool { s.value == 0x066C || s == "," }

    @inline(__always)
    static func isDigit(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (v >= 0x30 && v <= 0x39) || (v >= 0x0660 && v <= 0x0669) || (v >= 0x06F0 && v <= 0x06F9)
    }

    /// Arabic, Arabic Supplement and the Arabic presentation forms.
    @inline(__always)
    static func isArabicScript(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (v >= 0x0600 && v <= 0x06FF) || (v >= 0x0750 && v <= 0x077F) || (v >= 0xFB50 && v <= 0xFDFF) || (v >= 0xFE70 && v <= 0xFEFF)
    }
}
