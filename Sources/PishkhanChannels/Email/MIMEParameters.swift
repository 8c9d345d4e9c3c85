/// Parameters of a structured MIME header (`Content-Type`, `Content-Disposition`), fully decoded:
/// quoted strings unescaped, comments dropped, RFC 2231 continuations, charsets and languages
/// applied, and RFC 2047 encoded words inside plain values decoded (Outlook and Gmail emit them).
public struct MIMEParameters: Sendable, Hashable {
    /// Lowercased parameter name → decoded value.
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// Value of a parameter by case-insensitive name.
    public subscript(name: String) -> String? { values[name.lowercased()] }

    /// Upper bound on parameters read from one header, against hostile input.
    static let maxParameters = 512

    /// One raw `name=value` occurrence before RFC 2231 assembly.
    private struct Section {
        var number: Int
        var encoded: Bool
        var value: [UInt8]
    }

    /// Parses `main-value *(";" parameter)` and returns the lowercased main value (comments removed) and the parameters.
    public static func parse(_ header: ArraySlice<UInt8>, fallback: Charset? = nil) -> (value: String, parameters: MIMEParameters) {
        var scanner = HeaderScanner(header)
        let main = scanner.readMainValue()
        var plain: [String: String] = [:]
        var sections: [String: [Section]] = [:]
        var count = 0

        while scanner.skipToParameter() && count < maxParameters {
            count += 1
            guard let (rawName, rawValue, quoted) = scanner.readParameter() else { continue }
            let name = ASCII.lowercasedString(rawName)
            if name.isEmpty { continue }
            if let star = name.firstIndex(of: "*") {
                // RFC 2231 §3/§4: name*  name*N  name*N*
                let base = String(name[..<star])
                var rest = name[name.index(after: star)...]
                var encoded = false
                if rest.hasSuffix("*") { encoded = true; rest = rest.dropLast() }
                var number = 0
                if rest.isEmpty {
                    encoded = true  // "name*" alone is a single extended value
                } else if rest.count <= 4, let n = Int(rest), n >= 0 {
                    number = n
                } else {
                    continue
                }
                // A quoted extended value is not percent-decoded (RFC 2231 allows quoting only unencoded sections).
                sections[base, default: []].append(Section(number: number, encoded: encoded && !quoted, value: rawValue))
            } else if plain[name] == nil {
                plain[name] = EncodedWords.decode(rawValue[...], fallback: fallback)
            }
        }

        for (base, parts) in sections {
            if let value = assemble(parts, fallback: fallback) { plain[base] = value }
        }
        return (main, MIMEParameters(plain))
    }

    /// RFC 2231 §3–§4: joins continuation sections in order; the first encoded section may carry `charset'language'`.
    private static func assemble(_ parts: [Section], fallback: Charset?) -> String? {
        var sorted = parts.sorted { $0.number < $1.number }
        // Drop duplicated section numbers (keep first).
        var seen = Set<Int>()
        sorted = sorted.filter { seen.insert($0.number).inserted }
        guard !sorted.isEmpty else { return nil }
        var charsetLabel: String?
        var bytes: [UInt8] = []
        var anyEncoded = false
        for (index, section) in sorted.enumerated() {
            var value = section.value[...]
            if section.encoded {
                anyEncoded = true
                if index == 0, let q1 = value.firstIndex(of: ASCII.apostrophe),
                   let q2 = value[(q1 + 1)...].firstIndex(of: ASCII.apostrophe) {
                    let label = String(decoding: value[value.startIndex..<q1], as: UTF8.self)
                    if !label.isEmpty { charsetLabel = label }
                    value = value[(q2 + 1)...]
                }
                bytes += percentDecode(value)
            } else {
                bytes += value
            }
        }
        if let label = charsetLabel {
            return Charset(label: label).decode(bytes)
        }
        if !anyEncoded {
            return EncodedWords.decode(bytes[...], fallback: fallback)
        }
        return EncodedWords.decodeRaw(bytes[...], fallback: fallback)
    }

    /// `%XX` to bytes; a broken escape is kept literally.
    static func percentDecode(_ s: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(s.count)
        var i = s.startIndex
        while i < s.endIndex {
            let b = s[i]
            if b == ASCII.percent, i + 2 < s.endIndex, let h = ASCII.hexValue(s[i + 1]), let l = ASCII.hexValue(s[i + 2]) {
                out.append(h << 4 | l); i += 3
            } else {
                out.append(b); i += 1
            }
        }
        return out
    }
}
