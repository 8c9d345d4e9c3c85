import Foundation

/// RFC 5322 §3.3 date-time parsing (with §4.3 obsolete forms: two-digit years, named and military
/// zones, comments, missing seconds/day-of-week) and formatting, without Calendar or DateFormatter.
public enum RFC5322Date {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let dayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses a Date header value; nil when no sensible date can be read.
    public static func parse(_ value: String) -> Date? {
        parse(Array(value.utf8)[...])
    }

    /// Parses a Date header value from bytes; nil when no sensible date can be read.
    public static func parse(_ value: ArraySlice<UInt8>) -> Date? {
        // Tokenize: drop comments, split on whitespace and commas.
        var tokens: [[UInt8]] = []
        var current: [UInt8] = []
        var depth = 0
        for b in value {
            if b == ASCII.openParen { depth += 1; continue }
            if b == ASCII.closeParen { depth = max(0, depth - 1); continue }
            if depth > 0 { continue }
            if ASCII.isWhitespace(b) || b == ASCII.comma {
                if !current.isEmpty { tokens.append(current); current = [] }
            } else {
                current.append(ASCII.lower(b))
            }
            if tokens.count > 16 { return nil }
        }
        if !current.isEmpty { tokens.append(current) }

        var day: Int?, month: Int?, year: Int?
        var hour = 0, minute = 0, second = 0
        var sawTime = false
        var offset = 0
        for token in tokens {
            if token.contains(ASCII.colon) && !sawTime {
                // hh:mm[:ss], possibly with a zone glued on (`10:00:00+0330`).
                var timePart = token[...]
                if let signIndex = token.firstIndex(where: { $0 == 0x2B || $0 == ASCII.hyphen }) {
                    timePart = token[..<signIndex]
                    if let z = numericZone(token[signIndex...]) { offset = z }
                }
                let pieces = timePart.split(separator: ASCII.colon, omittingEmptySubsequences: false)
                guard pieces.count >= 2, pieces.count <= 3,
                      let h = number(pieces[0]), let m = number(pieces[1]) else { return nil }
                let s = pieces.count == 3 ? number(pieces[2]) : 0
                guard let sec = s, h < 24, m < 60, sec <= 60 else { return nil }
                hour = h; minute = m; second = min(sec, 59)
                sawTime = true
            } else if let first = token.first, first == 0x2B || (first == ASCII.hyphen && token.count == 5) {
                if let z = numericZone(token[...]) { offset = z }
            } else if let n = number(token[...]) {
                if token.count == 4 && sawTime && day != nil && month != nil && year != nil {
                    // "-0500"-less numeric zone like "0330" is not valid; ignore.
                    continue
                }
                if day == nil && n >= 1 && n <= 31 && token.count <= 2 && (month == nil || year == nil) { day = n }
                else if year == nil { year = n }
            } else if let m = monthIndex(token) {
                if month == nil { month = m }
            } else if sawTime, let z = namedZone(token) {
                offset = z
            }
        }
        guard let d = day, let m = month, var y = year else { return nil }
        // RFC 5322 §4.3: two-digit years 00-49 are 20xx, 50-99 are 19xx; three-digit years add 1900.
        if y < 50 { y += 2000 } else if y < 100 { y += 1900 } else if y < 1000 { y += 1900 }
        guard y >= 1900 && y <= 9999 else { return nil }
        guard d <= daysIn(month: m, year: y) else { return nil }
        let days = daysFromCivil(year: y, month: m, day: d)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Formats a date as `Tue, 01 Jul 2025 09:05:00 +0000` (RFC 5322 §3.3), in UTC or a fixed offset.
    public static func format(_ date: Date, offsetSeconds: Int = 0) -> String {
        let total = Int(date.timeIntervalSince1970.rounded(.down)) + offsetSeconds
        let days = Int((Double(total) / 86_400).rounded(.down))
        let secs = total - days * 86_400
        let (y, m, d) = civilFromDays(days)
        let weekday = ((days % 7) + 7 + 3) % 7  // 1970-01-01 was a Thursday (index 3 from Monday)
        let sign = offsetSeconds < 0 ? "-" : "+"
        let off = abs(offsetSeconds) / 60
        return "\(dayNames[weekday]), \(pad(d)) \(monthNames[m - 1]) \(y) \(pad(secs / 3600)):\(pad(secs / 60 % 60)):\(pad(secs % 60)) \(sign)\(pad(off / 60))\(pad(off % 60))"
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func number(_ s: ArraySlice<UInt8>) -> Int? {
        guard !s.isEmpty, s.count <= 9 else { return nil }
        var n = 0
        for b in s {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            n = n * 10 + Int(b - 0x30)
        }
        return n
    }

    private static func monthIndex(_ token: [UInt8]) -> Int? {
        guard token.count >= 3 else { return nil }
        let prefix = String(decoding: token[0..<3], as: UTF8.self)
        return months.firstIndex(of: prefix).map { $0 + 1 }
    }

    /// `+hhmm` / `-hhmm` to seconds east of UTC.
    private static func numericZone(_ s: ArraySlice<UInt8>) -> Int? {
        guard s.count == 5, let sign = s.first, let n = number(s.dropFirst()) else { return nil }
        let h = n / 100, m = n % 100
        guard h <= 23, m <= 59 else { return nil }
        let v = h * 3600 + m * 60
        return sign == ASCII.hyphen ? -v : v
    }

    /// RFC 5322 §4.3 obsolete zones; military letters and unknown names count as -0000 (UTC).
    private static func namedZone(_ token: [UInt8]) -> Int? {
        switch String(decoding: token, as: UTF8.self) {
        case "ut", "utc", "gmt", "z": return 0
        case "edt": return -4 * 3600
        case "est", "cdt": return -5 * 3600
        case "cst", "mdt": return -6 * 3600
        case "mst", "pdt": return -7 * 3600
        case "pst": return -8 * 3600
        default: return token.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) ? 0 : nil
        }
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Inverse of `daysFromCivil`.
    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
