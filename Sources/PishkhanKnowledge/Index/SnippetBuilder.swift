import PishkhanCore
/// The passage shown under a hit: the window of the body (else the summary, else the title) holding the
/// most distinct matched terms, cut at word boundaries, with the matched words marked.
enum SnippetBuilder {
    struct Snippet {
        var text: String
        var highlights: [Range<Int>]
        var html: String
    }

    /// Characters shown at most, and kept before the first match of the window.
    static let length = 180
    static let lead = 40
    /// Only the beginning of a long text is searched for the window (UTF-16 units): a snippet costs no more
    /// for a 100 KB article than for an 8 KB one.
    static let scanned = 8_192

    static func snippet(for article: IndexedArticle, matching terms: Set<String>, analyzer: Analyzer) -> Snippet {
        for text in [article.body, article.summary ?? "", article.title] where !text.isEmpty {
            let matches = analyzer.occurrences(of: terms, in: text, locale: article.locale, limit: scanned)
            if !matches.isEmpty { return build(text, matches: bestWindow(matches)) }
        }
        return build(article.summary ?? article.body, matches: [])
    }

    /// The run of matches within one snippet length that has the most distinct terms, then the most matches:
    /// one sliding pass with a count per distinct term.
    static func bestWindow(_ matches: [Token]) -> [Token] {
        var numbers: [String: Int] = [:]
        let termNumbers = matches.map { match in
            if let n = numbers[match.term] { return n }
            numbers[match.term] = numbers.count
            return numbers.count - 1
        }
        var counts = [Int](repeating: 0, count: numbers.count)
        var distinct = 0
        var best = 0..<0
        var bestRank = (0, 0)
        var j = 0
        for i in matches.indices {
            while j < matches.count, matches[j].utf16Range.upperBound - matches[i].utf16Range.lowerBound <= length - lead {
                if counts[termNumbers[j]] == 0 { distinct += 1 }
                counts[termNumbers[j]] += 1
                j += 1
            }
            let rank = (distinct, j - i)
            if rank > bestRank {
                bestRank = rank
                best = i..<j
            }
            if j > i {
                counts[termNumbers[i]] -= 1
                if counts[termNumbers[i]] == 0 { distinct -= 1 }
            } else {
                j = i + 1
            }
        }
        return best.isEmpty ? Array(matches.prefix(1)) : Array(matches[best])
    }

    static func build(_ text: String, matches: [Token]) -> Snippet {
        let scalars = text.unicodeScalars
        var start = matches.first?.range.lowerBound ?? scalars.startIndex
        var steps = 0
        while start > scalars.startIndex, steps < lead {
            let previous = scalars.index(before: start)
            if scalars[previous] == "\n", steps > 0 { break }
            start = previous
            steps += 1
        }
        if start > scalars.startIndex, let anchor = matches.first?.range.lowerBound,
           let space = scalars[start..<anchor].firstIndex(where: { $0.properties.isWhitespace }) {
            start = scalars.index(after: space)
        }
        var end = start
        steps = 0
        while end < scalars.endIndex, steps < length {
            end = scalars.index(after: end)
            steps += 1
        }
        if end < scalars.endIndex {
            let floor = matches.last?.range.upperBound ?? start
            if let space = scalars[floor..<end].lastIndex(where: { $0.properties.isWhitespace }) { end = space }
        }

        var plain = String.UnicodeScalarView()
        var html = ""
        var offset = 0
        var highlights: [Range<Int>] = []
        var pending = matches[...]
        var open: Int? = nil
        func emit(_ scalar: Unicode.Scalar) {
            plain.append(scalar)
            offset += scalar.utf16.count
            ReplyHTML.appendEscaped(scalar, to: &html)
        }
        if start > scalars.startIndex { emit("…") }
        var pendingSpace = false
        var i = start
        while i < end {
            let scalar = scalars[i]
            if scalar.properties.isWhitespace {
                pendingSpace = offset > 0
            } else if scalar == "*" || scalar == "`" || scalar == "#" {
                // Markdown emphasis, code and heading marks
            } else {
                if pendingSpace { emit(" ") }
                pendingSpace = false
                if open == nil, let next = pending.first, next.range.lowerBound == i {
                    open = offset
                    html += "<mark>"
                }
                emit(scalar)
            }
            i = scalars.index(after: i)
            if let begin = open, let next = pending.first, next.range.upperBound == i {
                highlights.append(begin..<offset)
                html += "</mark>"
                open = nil
                pending = pending.dropFirst()
            }
        }
        if let begin = open {
            highlights.append(begin..<offset)
            html += "</mark>"
        }
        if end < scalars.endIndex { emit("…") }
        return Snippet(text: String(plain), highlights: highlights, html: html)
    }
}
