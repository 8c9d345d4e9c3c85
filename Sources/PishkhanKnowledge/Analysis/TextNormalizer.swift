import PishkhanCore

/// The form the search index sees: `TextFolding.fold` (NFKC, lower case, Arabic yeh/kaf to Persian,
/// tatweel, diacritics and ZWNJ removed, Persian and Arabic-Indic digits to ASCII), then the letter
/// variants that Persian writers use interchangeably folded for matching only: أ إ آ ٱ → ا, ئ → ی,
/// ؤ → و, ۀ → ه (the ezafe it carries is dropped, as the stemmer drops a written ezafe ی).
public enum TextNormalizer {
    public static func normalize(_ text: String) -> String {
        let folded = TextFolding.fold(text)
        guard folded.unicodeScalars.contains(where: { needsMatchingFold($0.value) }) else { return folded }
        var out = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars {
            switch scalar.value {
            case 0x0622, 0x0623, 0x0625, 0x0671: out.append("\u{0627}")
            case 0x0626: out.append("\u{06CC}")
            case 0x0624: out.append("\u{0648}")
            case 0x06C0: out.append("\u{0647}")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    @inline(__always)
    private static func needsMatchingFold(_ v: UInt32) -> Bool {
        v == 0x0622 || v == 0x0623 || v == 0x0624 || v == 0x0625 || v == 0x0626 || v == 0x0671 || v == 0x06C0
    }
}
