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
        let composed = s.precomposedStringWithCompatibilityMapping.lowercased()
        var out = String.UnicodeScalarView()
        for scalar in composed.unicodeScalars {
            switch scalar.value {
            case 0x064A, 0x0649: out.append("\u{06CC}")  // Arabic yeh, alef maksura → Persian yeh
            case 0x0643: out.append("\u{06A9}")  // Arabic kaf → Persian kaf
            case 0x0629: out.append("\u{0647}")  // teh marbuta → heh
            case 0x0640: continue  // tatweel
            case 0x064B...0x065F, 0x0670: continue  // harakat, superscript alef
            case 0x200C, 0x200D, 0x200E, 0x200F, 0xFEFF: continue  // joiners and direction marks
            case 0x0660...0x0669: out.append(Unicode.Scalar(scalar.value - 0x0660 + 0x30)!)
            case 0x06F0...0x06F9: out.append(Unicode.Scalar(scalar.value - 0x06F0 + 0x30)!)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
