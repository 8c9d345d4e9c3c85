import CFriBidi

/// One line of text as a terminal that does not reorder should draw it: the Unicode bidirectional
/// algorithm (GNU FriBidi) puts Persian and Arabic runs right to left, keeps numbers and Latin words left
/// to right inside them, mirrors brackets, and joins Arabic letters into their presentation forms so the
/// words read connected. Terminals that do their own bidi (`BidiMode.terminal`) get the text unchanged.
public enum BidiMode: String, Sendable, CaseIterable {
    /// Reorder and shape here (most terminals: xterm, tmux, the Linux console, Windows Terminal).
    case reorder
    /// Leave it to the terminal (mlterm, Konsole with bidi on).
    case terminal
}

public enum BidiLine {
    public enum Direction: Sendable {
        /// From the first strong letter (the Unicode default).
        case auto
        case leftToRight
        case rightToLeft
    }

    /// Visual order of a single line (no line breaks inside). Pure left-to-right text comes back as is.
    public static func visual(_ line: String, direction: Direction = .auto, mode: BidiMode = .reorder) -> String {
        guard mode == .reorder, line.unicodeScalars.contains(where: isRightToLeft) else { return line }
        let logical = line.unicodeScalars.map { FriBidiChar($0.value) }
        var visual = [FriBidiChar](repeating: 0, count: logical.count + 1)
        var base: FriBidiParType = switch direction {
        case .auto: pishkhan_fribidi_par_on()
        case .leftToRight: pishkhan_fribidi_par_ltr()
        case .rightToLeft: pishkhan_fribidi_par_rtl()
        }
        let ok = logical.withUnsafeBufferPointer { input in
            visual.withUnsafeMutableBufferPointer { output in
                fribidi_log2vis(input.baseAddress, FriBidiStrIndex(input.count), &base, output.baseAddress, nil, nil, nil)
            }
        }
        guard ok != 0 else { return line }
        var out = String.UnicodeScalarView()
        for value in visual.prefix(logical.count) {
            // Fribidi leaves explicit marks in place; a terminal would draw them as boxes.
            guard let scalar = Unicode.Scalar(value), !isInvisibleControl(scalar) else { continue }
            out.append(scalar)
        }
        return String(out)
    }

    /// `text` wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE: put into a line of the other
    /// direction it keeps its own and does not pull the neighbouring numbers and brackets into it.
    public static func isolate(_ text: String) -> String { "\u{2068}" + text + "\u{2069}" }

    /// Every line of `text`, each in visual order; a paragraph's direction comes from its own first letter.
    public static func visualLines(_ text: String, mode: BidiMode = .reorder) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { visual(String($0), mode: mode) }
    }

    /// Whether the paragraph reads right to left: its first strong letter is Persian, Arabic or Hebrew.
    public static func isRightToLeftParagraph(_ text: String) -> Bool {
        for scalar in text.unicodeScalars {
            if isRightToLeft(scalar), scalar.properties.isAlphabetic { return true }
            if scalar.properties.isAlphabetic { return false }
        }
        return false
    }

    /// Hebrew, Arabic, Syriac, Thaana, N'Ko and the Arabic presentation forms.
    static func isRightToLeft(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0590...0x08FF, 0xFB1D...0xFDFF, 0xFE70...0xFEFF: true
        default: false
        }
    }

    static func isInvisibleControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }
}
