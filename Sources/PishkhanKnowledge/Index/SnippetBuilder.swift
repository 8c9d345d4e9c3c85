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

    static func snippet(for article: IndexedArticle, matching terms: Set<String>, analyzer: Analyzer) -> Snippet {
        for text in [article.body, article.summary ?? "", article.title] where !text.isEmpty {
            let matches = analyzer.occurrences(of: terms, in: text, locale: article.locale)
            if !matches.isEmpty { return build(text, matches: bestWindow(matches)) }
        }
        return build(article.summary ?? article.body, matches: [])
    }

    /// The run of matches within one snippet length that has the most distinct terms, then the most matches.
    static func bestWindow(_ matches: [Token]) -> [Token] {
        var best = 0..<1
        var bestRank = (0, 0)
        for i in matches.indices {
            var j = i
            var distinct: Set<String> = []
            while j < matches.count, matches[j].utf16Range.upperBound - matches[i].utf16Range.lowerBound <= length - lead {
                distinct.insert(matches[j].term)
                j += 1
            }
            let rank = (distinct.count, j - i)
            if rank > bestRank {
                bestRank = rank
                best = i..<j
            }
        }
        return Array(matches[best])
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
            switch scalar {
            case "&": html += "&amp;"
            case "<": html += "&lt;"
            case ">": html += "&gt;"
            case "\"": html += "&quot;"
            case "'": html += "&#39;"
            default: html.unicodeScalars.append(scalar)
            }
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
