/// Index terms one Damerau–Levenshtein edit (deletion, insertion, substitution or transposition of
/// neighbours) away from a query term, found by generating the edits and looking each up: about
/// 2·n·|alphabet| probes for an n-letter word, no extra memory in the index.
enum TypoCandidates {
    static let latin = Array("abcdefghijklmnopqrstuvwxyz".unicodeScalars)
    static let persian = Array("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی".unicodeScalars)

    /// The most frequent few live terms one edit from `term`.
    static func terms(oneEditFrom term: String, in index: SearchIndex) -> [Int] {
        let word = Array(term.unicodeScalars)
        let alphabet = word.first.map { $0.isASCII } ?? true ? latin : persian
        var found: Set<Int> = []
        func probe(_ candidate: [Unicode.Scalar]) {
            let text = String(String.UnicodeScalarView(candidate))
            if let id = index.termIDs[text], index.documentFrequency[Int(id)] > 0 { found.insert(Int(id)) }
        }
        var candidate = word
        for i in word.indices {
            candidate.remove(at: i)
            probe(candidate)
            candidate = word
        }
        for i in word.indices.dropLast() where word[i] != word[i + 1] {
            candidate.swapAt(i, i + 1)
            probe(candidate)
            candidate = word
        }
        for i in word.indices {
            for letter in alphabet where letter != word[i] {
                candidate[i] = letter
                probe(candidate)
            }
            candidate = word
        }
        for i in 0...word.count {
            for letter in alphabet {
                candidate.insert(letter, at: i)
                probe(candidate)
                candidate = word
            }
        }
        found.remove(index.termIDs[term].map(Int.init) ?? -1)
        return found.sorted { (index.documentFrequency[$0], $1) > (index.documentFrequency[$1], $0) }.prefix(SearchIndex.typoExpansions).map { $0 }
    }
}
