/// Extracts the new text of a reply: cuts quoted history (attribution lines such as "On ... wrote:",
/// "در تاریخ ... نوشت:", Outlook "From:/Sent:" blocks, "-----Original Message-----", "----- پیام اصلی -----",
/// `>` quotes) and the signature after an RFC 3676 §4.3 `-- ` delimiter. Bottom-posted replies are kept.
public enum ReplyTrimmer {
    /// Returns the reply part of LF-separated text; falls back to the whole (trimmed) text if nothing would remain.
    public static func trim(_ text: String) -> String {
        let lines = splitLines(text)
        var cut = lines.count
        var attributionEnd: Int?  // index after the attribution line(s) when the cut is an "On ... wrote:" header

        // Cheap byte flags first: every marker except the signature contains ':' or '-'.
        let hasColon = lines.map { $0.utf8.contains(ASCII.colon) }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if line == "-- " || line == "--" {
                cut = i
                break
            }
            let colonNearby = hasColon[i] || (i + 1 < lines.count && hasColon[i + 1]) || (i + 2 < lines.count && hasColon[i + 2])
            if !colonNearby && !hasDoubleHyphen(line) {
                i += 1
                continue
            }
            let clean = normalized(line)
            if isOriginalMessageMarker(clean) {
                cut = i
                break
            }
            if !colonNearby {
                i += 1
                continue
            }
            if let span = attributionSpan(lines, at: i) {
                cut = i
                attributionEnd = i + span
                break
            }
            if hasColon[i] && isOutlookHeaderBlock(lines, at: i) {
                cut = i
                if i > 0, isUnderscoreRule(normalized(lines[i - 1])) { cut = i - 1 }
                else if i > 1, normalized(lines[i - 1]).isEmpty, isUnderscoreRule(normalized(lines[i - 2])) { cut = i - 2 }
                break
            }
            i += 1
        }

        var kept = Array(lines[0..<cut])
        if let start = attributionEnd, isBlank(kept) {
            // Bottom-posting: the answer follows the quoted block.
            var j = start
            var tail: [Substring] = []
            while j < lines.count {
                let l = lines[j]
                if l == "-- " || l == "--" { break }
                if isOriginalMessageMarker(normalized(l)) || attributionSpan(lines, at: j) != nil { break }
                tail.append(l)
                j += 1
            }
            kept = tail
        }
        let unquoted = kept.filter { !isQuoted($0) }
        let result = trimBlankEdges(unquoted)
        if result.isEmpty {
            return text.trimmingWhitespaceAndNewlines()
        }
        return result
    }

    /// Splits at LF on UTF-8 bytes (splitting by Character would run grapheme breaking over the whole text).
    static func splitLines(_ text: String) -> [Substring] {
        var lines: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var i = start
        while i != utf8.endIndex {
            if utf8[i] == ASCII.lf {
                lines.append(text[start..<i])
                start = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        lines.append(text[start..<utf8.endIndex])
        return lines
    }

    private static func hasDoubleHyphen(_ line: Substring) -> Bool {
        var previous: UInt8 = 0
        for b in line.utf8 {
            if b == ASCII.hyphen && previous == ASCII.hyphen { return true }
            previous = b
        }
        return false
    }

    // MARK: Markers

    /// Bidi controls that Gmail and Outlook wrap around RTL attribution lines.
    private static func isBidiControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: return true
        default: return false
        }
    }

    /// Line without bidi controls, `*` emphasis and surrounding whitespace.
    private static func normalized(_ line: Substring) -> String {
        var scalars = String.UnicodeScalarView()
        for s in line.unicodeScalars where !isBidiControl(s) && s != "*" { scalars.append(s) }
        return String(scalars).trimmingWhitespaceAndNewlines()
    }

    private static func isQuoted(_ line: Substring) -> Bool {
        line.unicodeScalars.drop { isBidiControl($0) || $0 == " " }.first == ">"
    }

    private static func isBlank(_ lines: [Substring]) -> Bool {
        lines.allSatisfy(isBlankLine)
    }

    /// Only spaces and tabs (checked on bytes; Character properties are slow).
    private static func isBlankLine(_ line: Substring) -> Bool {
        line.utf8.allSatisfy { ASCII.isWSP($0) || $0 == ASCII.cr }
    }

    private static let originalMessageTitles: [String] = [
        "original message", "original nachricht", "message d'origine", "mensaje original", "messaggio originale",
        "پیام اصلی", "پیغام اصلی", "نامه اصلی", "الرسالة الأصلية", "الرسالة الاصلية", "rfc822 message",
    ]

    /// `-----Original Message-----`, `----- پیام اصلی -----` and similar dashed titles.
    private static func isOriginalMessageMarker(_ line: String) -> Bool {
        guard line.hasPrefix("--"), line.hasSuffix("--") else { return false }
        let title = line.trimmingCharacters { $0 == "-" || $0 == " " || $0 == "\t" }.lowercased()
        return originalMessageTitles.contains(title)
    }

    private static func isUnderscoreRule(_ line: String) -> Bool {
        line.count >= 10 && line.allSatisfy { $0 == "_" || $0 == "-" || $0 == "—" }
    }

    /// Number of lines (1–3) forming an attribution such as "On Mon, 1 Jan 2024, John <j@x> wrote:"
    /// (Gmail wraps it), "در تاریخ ... نوشت:", "في ... كتب:", "Le ... a écrit :", "Am ... schrieb ...:".
    private static func attributionSpan(_ lines: [Substring], at index: Int) -> Int? {
        let first = normalized(lines[index])
        guard !first.isEmpty, first.count < 400 else { return nil }
        let lower = first.lowercased()
        let englishStart = lower.hasPrefix("on ")
        let persianStart = first.hasPrefix("در ") || first.hasPrefix("در تاریخ")
        let arabicStart = first.hasPrefix("في ") || first.hasPrefix("فی ")
        let frenchStart = lower.hasPrefix("le ")
        let germanStart = lower.hasPrefix("am ")
        let hasAt = first.utf8.contains(ASCII.at)
        guard englishStart || persianStart || arabicStart || frenchStart || germanStart || hasAt else { return nil }
        var joined = first
        for span in 1...3 {
            if span > 1 {
                guard index + span - 1 < lines.count else { return nil }
                let next = normalized(lines[index + span - 1])
                if next.isEmpty { return nil }
                joined += " " + next
            }
            let l = joined.lowercased()
            let mentionsSender = l.utf8.contains(ASCII.at) || l.contains(where: { $0.isNumber })
            if l.hasSuffix("wrote:") && (englishStart || hasAt) { return span }
            if (joined.hasSuffix("نوشت:") || joined.hasSuffix("نوشته است:")) && (persianStart || mentionsSender) { return span }
            if (joined.hasSuffix("كتب:") || joined.hasSuffix("کتب:")) && (arabicStart || mentionsSender) { return span }
            if (l.hasSuffix("a écrit :") || l.hasSuffix("a écrit:")) && frenchStart { return span }
            if l.hasSuffix(":") && l.contains("schrieb") && germanStart { return span }
        }
        return nil
    }

    private static let fromLabels = ["from:", "از:", "من:", "de:", "de :", "von:", "fra:", "van:"]
    private static let sentLabels = ["sent:", "date:", "ارسال شده:", "ارسال:", "تاریخ:", "تم الإرسال:", "التاريخ:",
                                     "envoyé :", "envoyé:", "gesendet:", "datum:", "enviado:", "fecha:"]
    private static let toLabels = ["to:", "subject:", "به:", "موضوع:", "إلى:", "الموضوع:", "à :", "objet :", "an:", "betreff:", "para:", "asunto:", "cc:"]

    /// An Outlook-style header block: a From line followed within a few lines by Sent/Date and To/Subject.
    private static func isOutlookHeaderBlock(_ lines: [Substring], at index: Int) -> Bool {
        let first = normalized(lines[index]).lowercased()
        guard fromLabels.contains(where: { first.hasPrefix($0) }) else { return false }
        var sawSent = false
        var sawTo = false
        var k = index + 1
        while k < lines.count && k <= index + 6 {
            let l = normalized(lines[k]).lowercased()
            if sentLabels.contains(where: { l.hasPrefix($0) }) { sawSent = true }
            if toLabels.contains(where: { l.hasPrefix($0) }) { sawTo = true }
            k += 1
        }
        return sawSent && sawTo
    }

    private static func trimBlankEdges(_ lines: [Substring]) -> String {
        var lo = 0, hi = lines.count
        while lo < hi && isBlankLine(lines[lo]) { lo += 1 }
        while hi > lo && isBlankLine(lines[hi - 1]) { hi -= 1 }
        return lines[lo..<hi].map { line -> Substring in
            var l = line
            while let last = l.last, last == " " || last == "\t" { l = l.dropLast() }
            return l
        }.joined(separator: "\n")
    }
}

extension String {
    /// The string without leading and trailing whitespace (Foundation-free).
    func trimmingWhitespaceAndNewlines() -> String {
        trimmingCharacters { $0.isWhitespace }
    }

    /// The string without leading and trailing characters matching `predicate`.
    func trimmingCharacters(_ predicate: (Character) -> Bool) -> String {
        var s = Substring(self)
        while let f = s.first, predicate(f) { s = s.dropFirst() }
        while let l = s.last, predicate(l) { s = s.dropLast() }
        return String(s)
    }
}
