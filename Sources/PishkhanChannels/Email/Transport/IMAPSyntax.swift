/// The small part of IMAP grammar (RFC 3501 §9) this client writes and reads.
enum IMAPSyntax {
    /// A compact UID set (RFC 3501 §9 `sequence-set`): `[1, 2, 3, 7, 9, 10]` → `1:3,7,9:10`.
    static func uidSet(_ uids: [UInt32]) -> String {
        var parts: [String] = []
        let sorted = Set(uids).sorted()
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i]):\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// A quoted string (RFC 3501 §4.3): backslash and double quote escaped, CR/LF/NUL refused.
    static func quoted(_ text: String) throws(IMAPError) -> String {
        guard !text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
            throw IMAPError.invalidArgument(text)
        }
        var escaped = "\""
        for character in text {
            if character == "\\" || character == "\"" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped + "\""
    }

    /// Splits a custom command's body (its untagged replies) into lines without CRLF.
    static func lines(_ body: [UInt8]) -> [String] {
        String(decoding: body, as: UTF8.self)
            .split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" })
            .map(String.init)
    }

    /// Reads `* n EXISTS`, `[UIDVALIDITY n]` and `[UIDNEXT n]` from SELECT's untagged replies (RFC 3501 §6.3.1).
    static func mailboxStatus(_ lines: [String]) throws(IMAPError) -> IMAPMailboxStatus {
        var uidValidity: UInt32?
        var uidNext: UInt32?
        var exists: Int?
        for line in lines {
            if let count = existsCount(line) { exists = count }
            if let value = responseCode("UIDVALIDITY", in: line) { uidValidity = value }
            if let value = responseCode("UIDNEXT", in: line) { uidNext = value }
        }
        guard let uidValidity else { throw IMAPError.malformedResponse("SELECT without UIDVALIDITY: \(lines)") }
        guard let exists else { throw IMAPError.malformedResponse("SELECT without EXISTS: \(lines)") }
        return IMAPMailboxStatus(uidValidity: uidValidity, uidNext: uidNext, exists: exists)
    }

    /// The count of a `* n EXISTS` line (RFC 3501 §7.3.1), else nil.
    static func existsCount(_ line: String) -> Int? {
        let words = line.split(separator: " ")
        guard words.count == 3, words[0] == "*", words[2].uppercased() == "EXISTS" else { return nil }
        return Int(words[1])
    }

    /// The number in an `[NAME n]` response code, e.g. `* OK [UIDNEXT 42] ...`.
    static func responseCode(_ name: String, in line: String) -> UInt32? {
        let upper = line.uppercased()
        guard let start = upper.firstRange(of: "[\(name) ") else { return nil }
        let digits = upper[start.upperBound...].prefix(while: \.isNumber)
        return UInt32(digits)
    }

    /// Numbers of `* SEARCH ...` lines (RFC 3501 §7.2.5).
    static func searchResults(_ lines: [String]) -> [UInt32] {
        lines.flatMap { line -> [UInt32] in
            let words = line.split(separator: " ")
            guard words.count >= 2, words[0] == "*", words[1].uppercased() == "SEARCH" else { return [] }
            return words.dropFirst(2).compactMap { UInt32($0) }
        }
    }

    /// Atoms of `* CAPABILITY ...` lines (RFC 3501 §7.2.1), upper-cased.
    static func capabilities(_ lines: [String]) -> Set<String> {
        var result = Set<String>()
        for line in lines {
            let words = line.split(separator: " ")
            guard words.count >= 2, words[0] == "*", words[1].uppercased() == "CAPABILITY" else { continue }
            result.formUnion(words.dropFirst(2).map { $0.uppercased() })
        }
        return result
    }

    /// Flags from the `* n FETCH (... UID uid ... FLAGS (...))` line for `uid` (RFC 3501 §7.4.2).
    static func flags(_ lines: [String], uid: UInt32) -> [String]? {
        for line in lines {
            let upper = line.uppercased()
            guard upper.hasPrefix("* "), upper.contains(" FETCH ("),
                  fetchUID(upper) == uid,
                  let start = line.firstRange(of: "FLAGS (") else { continue }
            let rest = line[start.upperBound...]
            guard let end = rest.firstIndex(of: ")") else { continue }
            return rest[..<end].split(separator: " ").map(String.init)
        }
        return nil
    }

    private static func fetchUID(_ upperLine: String) -> UInt32? {
        guard let start = upperLine.firstRange(of: "UID ") else { return nil }
        return UInt32(upperLine[start.upperBound...].prefix(while: \.isNumber))
    }

    /// Splits a tagged reply `tag OK|NO|BAD text` (RFC 3501 §7.1) when it carries `tag`.
    static func taggedStatus(_ line: String, tag: String) -> (status: String, text: String)? {
        guard line.hasPrefix(tag + " ") else { return nil }
        let rest = line.dropFirst(tag.count + 1)
        let status = rest.prefix(while: { $0 != " " }).uppercased()
        return (status, String(rest))
    }
}
