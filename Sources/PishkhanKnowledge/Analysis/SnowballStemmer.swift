import CStemmer

/// One Snowball stemmer (libstemmer, UTF-8). The C object keeps its working buffer inside, so an instance
/// must never be used from two threads at once; it has no thread affinity, so it may move between threads.
/// `Analyzer` keeps them in a pool under a mutex and hands each to one caller at a time, which is what the
/// unchecked `Sendable` relies on.
final class SnowballStemmer: @unchecked Sendable {
    private let stemmer: OpaquePointer

    /// `algorithm` is a libstemmer name such as "english"; nil when libstemmer does not know it.
    init?(algorithm: String) {
        guard let stemmer = sb_stemmer_new(algorithm, "UTF_8") else { return nil }
        self.stemmer = stemmer
    }

    deinit { sb_stemmer_delete(stemmer) }

    /// The stem of one lower-case word.
    func stem(_ word: String) -> String {
        var word = word
        return word.withUTF8 { utf8 -> String in
            guard let base = utf8.baseAddress,
                  let out = sb_stemmer_stem(stemmer, base, Int32(utf8.count))
            else { return String(decoding: utf8, as: UTF8.self) }
            let length = Int(sb_stemmer_length(stemmer))
            return String(decoding: UnsafeBufferPointer(start: out, count: length), as: UTF8.self)
        }
    }
}
