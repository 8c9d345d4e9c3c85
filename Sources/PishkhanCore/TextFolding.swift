import Foundation

/// The one text normalization used for search and matching (DESIGN.md, "Text"). Stored text is never
/// rewritten; only lookups and indexes see folded forms.
public enum TextFolding {
    /// Persian (U+06F0…) and Arabic-Indic (U+0660…) digits to ASCII.
    public static func asciiDigits(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { (0x0660...0x0669).contains($0.value) || (0x06F0...0x06F9).contains($0.value) }) else {
            return s
        }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0x0660...0x0669: out.append(Unicode.Scalar(scalar.value - 0x0660 + 0x30)!)
            case 0x06F0...0x06F9: out.append(Unicode.Scalar(scalar.value - 0x06F0 + 0x30)!)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// NFKC, case fold, Arabic yeh/kaf to Persian, tatweel and Arabic diacritics removed, digits to ASCII.
    /// ZWNJ (U+200C) becomes nothing, so `می‌خواهم` and `میخواهم` fold alike; callers that tokenize treat a
    /// space-separated `می خواهم` separately.
    public static func fold(_ s: String) -> String {
        if let fast = foldWithoutNormalizing(s) { return fast }
        return map(s.precomposedStringWithCompatibilityMapping.lowercased())
    }

    /// Text made only of ASCII, the Arabic block and the joiners needs no NFKC pass (it would change
    /// nothing) except for the combining hamza/madda marks and the high-hamza letters: those take the slow
    /// path. Upper case exists only in ASCII here. Nearly all Persian and English text is folded in one pass.
    static func foldWithoutNormalizing(_ s: String) -> String? {
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x41...0x5A: out.append(Unicode.Scalar(v + 0x20)!)
            case 0x00...0x7F: out.append(scalar)
            case 0x0653...0x0655, 0x0675...0x0678: return nil
            case 0x0600...0x06FF, 0x200C...0x200F, 0xFEFF: mapScalar(scalar, into: &out)
            default: return nil
            }
        }
        return String(out)
    }

    private static func map(_ composed: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in composed.unicodeScalars { mapScalar(scalar, into: &out) }
        return String(out)
    }

    @inline(__always)
    private static func mapScalar(_ scalar: Unicode.Scalar, into out: inout String.UnicodeScalarView) {
        switch scalar.value {
        case 0x064A, 0x0649: out.append("\u{06CC}")  // Arabic yeh, alef maksura → Persian yeh
        case 0x0643: out.append("\u{06A9}")  // Arabic kaf → Persian kaf
        case 0x0629: out.append("\u{0647}")  // teh marbuta → heh
        case 0x0640: return  // tatweel
        case 0x064B...0x065F, 0x0670: return  // harakat, superscript alef
        case 0x200C, 0x200D, 0x200E, 0x200F, 0xFEFF: return  // joiners and direction marks
        case 0x0660...0x0669: out.append(Unicode.Scalar(scalar.value - 0x0660 + 0x30)!)
        case 0x06F0...0x06F9: out.append(Unicode.Scalar(scalar.value - 0x06F0 + 0x30)!)
        default: out.append(scalar)
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing white space and newlines; native, no Foundation bridging.
    public var trimmed: String {
        let scalars = unicodeScalars
        // Most text has nothing to trim: no copy then.
        if let first = scalars.first, let last = scalars.last, !first.properties.isWhitespace, !last.properties.isWhitespace {
            return String(self)
        }
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
