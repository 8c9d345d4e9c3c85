#if canImport(Glibc)
import Glibc
#endif

/// Terminal columns: wide East Asian characters take two, combining marks and zero-width joiners none.
public enum DisplayWidth {
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        // ZWNJ, ZWJ and the bidi marks take no column.
        if (0x200B...0x200F).contains(scalar.value) || (0x2060...0x2069).contains(scalar.value) { return 0 }
        if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark { return 0 }
        if scalar.properties.isEmojiPresentation { return 2 }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return 2
        default:
            return scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) ? 0 : 1
        }
    }

    public static func of(_ text: String) -> Int { text.unicodeScalars.reduce(0) { $0 + of($1) } }

    /// The longest prefix that fits `columns`, with `…` when something was cut; a wide character never
    /// straddles the edge.
    public static func truncate(_ text: String, to columns: Int) -> String {
        guard columns > 0 else { return "" }
        guard of(text) > columns else { return text }
        var out = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars {
            let w = of(scalar)
            if used + w > columns - 1 { break }
            out.append(scalar)
            used += w
        }
        return String(out) + "…"
    }

    /// `text` cut or padded with spaces to exactly `columns`.
    public static func fit(_ text: String, to columns: Int) -> String {
        let cut = truncate(text, to: columns)
        return cut + String(repeating: " ", count: max(0, columns - of(cut)))
    }

    /// Word-wraps one logical line to `columns` (a word longer than a line is cut), before any reordering:
    /// wrapping a right-to-left line after reordering would cut its beginning.
    public static func wrap(_ line: String, to columns: Int) -> [String] {
        guard columns > 0 else { return [] }
        guard of(line) > columns else { return [line] }
        var lines: [String] = []
        var current = ""
        var used = 0
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            var word = String(word)
            var w = of(word)
            while w > columns {
                if !current.isEmpty {
                    lines.append(current)
                    current = ""
                    used = 0
                }
                var head = String.UnicodeScalarView()
                var headWidth = 0
                var rest = Substring.UnicodeScalarView(word.unicodeScalars)
                while let s = rest.first, headWidth + of(s) <= columns {
                    head.append(s)
                    headWidth += of(s)
                    rest.removeFirst()
                }
                lines.append(String(head))
                word = String(String.UnicodeScalarView(rest))
                w = of(word)
            }
            if current.isEmpty {
                current = word
                used = w
            } else if used + 1 + w <= columns {
                current += " " + word
                used += 1 + w
            } else {
                lines.append(current)
                current = word
                used = w
            }
        }
        lines.append(current)
        return lines
    }
}
