/// Index terms one Damerau–Levenshtein edit (deletion, insertion, substitution or transposition of
/// neighbours) away from a query term, found by generating the edits and looking each up: about
/// 2·n·|alphabet| probes for an n-letter word, no extra memory in the index.
enum TypoCandidates {
    static let latin = Array("abcdefghijklmnopqrstuvwxyz".unicodeScalars)
    static let persian = Array("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی".unicodeScalars)
    static let latinUTF8 = latin.map { Array(String($0).utf8) }
    static let persianUTF8 = persian.map { Array(String($0).utf8) }

    /// The most frequent few live terms one edit from `term`.
    ///
    /// Each edit is spliced together from the term's UTF-8 bytes in one reused buffer: a candidate of up to
    /// 15 bytes then becomes a string without allocating, and the probes cost little more than their hashing.
    static func terms(oneEditFrom term: String, in index: SearchIndex) -> [Int] {
        let word = Array(term.unicodeScalars)
        let ascii = word.first.map { $0.isASCII } ?? true
        let alphabet = ascii ? latin : persian
        let encoded = ascii ? latinUTF8 : persianUTF8
        let bytes = Array(term.utf8)
        // Where each scalar of the word starts in `bytes`, and the end.
        var offsets = [0]
        for scalar in word { offsets.append(offsets[offsets.count - 1] + UTF8.width(scalar)) }

        var found: Set<Int> = []
        var candidate: [UInt8] = []
        candidate.reserveCapacity(bytes.count + 4)
        func probe() {
            let text = String(decoding: candidate, as: UTF8.self)
            if let id = index.termIDs[text], index.documentFrequency[Int(id)] > 0 { found.insert(Int(id)) }
            candidate.removeAll(keepingCapacity: true)
        }
        for i in word.indices {
            candidate += bytes[..<offsets[i]]
            candidate += bytes[offsets[i + 1]...]
            probe()
        }
        for i in word.indices.dropLast() where word[i] != word[i + 1] {
            candidate += bytes[..<offsets[i]]
            candidate += bytes[offsets[i + 1]..<offsets[i + 2]]
            candidate += bytes[offsets[i]..<offsets[i + 1]]
            candidate += bytes[offsets[i + 2]...]
            probe()
        }
        for i in word.indices {
            for (letter, letterBytes) in zip(alphabet, encoded) where letter != word[i] {
                candidate += bytes[..<offsets[i]]
                candidate += letterBytes
                candidate += bytes[offsets[i + 1]...]
                probe()
            }
        }
        for i in 0...word.count {
            for letterBytes in encoded {
                candidate += bytes[..<offsets[i]]
                candidate += letterBytes
                candidate += bytes[offsets[i]...]
                probe()
            }
        }
        found.remove(index.termIDs[term].map(Int.init) ?? -1)
        return found.sorted { (index.documentFrequency[$0], $1) > (index.documentFrequency[$1], $0) }.prefix(SearchIndex.typoExpansions).map { $0 }
    }
}
