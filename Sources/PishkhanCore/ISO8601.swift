import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The API's date-time format.
public enum ISO8601 {
    public static func parse(_ s: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let d = try? withFraction.parse(s) { return d }
        return try? Date.ISO8601FormatStyle().parse(s)
    }

    /// `2026-11-23T19:35:50.262Z`, always UTC with milliseconds. Written by hand: the format style costs
    /// microseconds per date, and a queue page has hundreds of them.
    public static func format(_ d: Date) -> String {
        let t = d.timeIntervalSince1970
        var seconds = time_t(t.rounded(.down))
        // Truncated like Foundation's style; the epsilon keeps .262 from printing as .261.
        let millis = min(999, Int((t - Double(seconds)) * 1000 + 1e-6))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func put(_ value: Int, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var v = value
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            out += digits
        }
        put(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-"))
        put(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-"))
        put(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T"))
        put(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":"))
        put(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":"))
        put(Int(parts.tm_sec), 2)
        out.append(UInt8(ascii: "."))
        put(millis, 3)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
}
