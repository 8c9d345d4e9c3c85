import Foundation

/// A day of the week. Raw values are the lower-case English names, so a week reads
/// `monday: [...]` in YAML and JSON.
public enum Weekday: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case monday, tuesday, wednesday, thursday, friday, saturday, sunday

    /// Sunday = 0 … Saturday = 6, Foundation's `weekday` minus one.
    var index: Int {
        switch self {
        case .sunday: 0
        case .monday: 1
        case .tuesday: 2
        case .wednesday: 3
        case .thursday: 4
        case .friday: 5
        case .saturday: 6
        }
    }

    /// The day an overnight shift runs into.
    public var next: Weekday {
        switch self {
        case .monday: .tuesday
        case .tuesday: .wednesday
        case .wednesday: .thursday
        case .thursday: .friday
        case .friday: .saturday
        case .saturday: .sunday
        case .sunday: .monday
        }
    }
}

/// A wall-clock time with minute precision, 00:00 up to 24:00 (the end of the day). Written "HH:mm".
public struct TimeOfDay: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Minutes since midnight; 1440 is 24:00. Range-checked by `BusinessCalendar`, not here, so building
    /// one can never crash.
    public var minutes: Int

    public init(hour: Int, minute: Int = 0) {
        minutes = hour * 60 + minute
    }

    public init(minutes: Int) {
        self.minutes = minutes
    }

    /// Parses "HH:mm" (or "H:mm"); ASCII, Persian or Arabic-Indic digits.
    public init(_ text: String) throws {
        let parts = TextFolding.asciiDigits(text.trimmed).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }),
              let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0
        else { throw ValidationError(field: "time", reason: "\"\(text)\" is not a time of day HH:mm between 00:00 and 24:00") }
        self.init(hour: hour, minute: minute)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch let error as ValidationError {
            throw ValidationError(field: decoder.codingPath.fieldName, reason: error.reason)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public var description: String {
        let hour = minutes / 60, minute = minutes % 60
        return (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    public static func < (a: TimeOfDay, b: TimeOfDay) -> Bool { a.minutes < b.minutes }
}

/// A stretch of working time on one weekday, start inclusive, end exclusive. An end at or before the
/// start is an overnight shift: Friday 22:00–06:00 runs until 06:00 on Saturday.
public struct WorkingInterval: Codable, Sendable, Hashable, CustomStringConvertible {
    public var start: TimeOfDay
    /// 24:00 and 00:00 both mean midnight at the end of the day.
    public var end: TimeOfDay

    public init(start: TimeOfDay, end: TimeOfDay) {
        self.start = start
        self.end = end
    }

    /// From "HH:mm" strings; throws `ValidationError` for a malformed time.
    public init(_ start: String, _ end: String) throws {
        self.init(start: try TimeOfDay(start), end: try TimeOfDay(end))
    }

    /// Whether part of the interval falls on the next day.
    public var crossesMidnight: Bool { end < start }

    public var description: String { "\(start)–\(end)" }
}

/// Days off, one date or an inclusive range of dates, in the Gregorian or the Solar Hijri calendar.
/// Dates are local to the business calendar's time zone: a holiday removes all working time whose local
/// date is one of its days.
public struct Holiday: Codable, Sendable, Equatable {
    /// The calendar `start` and `end` are written in.
    public enum CalendarSystem: String, Codable, Sendable, CaseIterable {
        case gregorian
        /// Solar Hijri (Jalali), the civil calendar of Iran: 1404-01-01 is Nowruz, 21 March 2025.
        case persian
    }

    public var calendar: CalendarSystem
    /// "yyyy-MM-dd" in `calendar`.
    public var start: String
    /// The last day off, inclusive; nil for a single day.
    public var end: String?
    public var name: String?

    public init(calendar: CalendarSystem = .gregorian, start: String, end: String? = nil, name: String? = nil) {
        self.calendar = calendar
        self.start = start
        self.end = end
        self.name = name
    }

    public static func gregorian(_ start: String, through end: String? = nil, name: String? = nil) -> Holiday {
        Holiday(calendar: .gregorian, start: start, end: end, name: name)
    }

    public static func persian(_ start: String, through end: String? = nil, name: String? = nil) -> Holiday {
        Holiday(calendar: .persian, start: start, end: end, name: name)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        calendar = try c.decodeIfPresent(CalendarSystem.self, forKey: .calendar) ?? .gregorian
        start = try c.decode(String.self, forKey: .start)
        end = try c.decodeIfPresent(String.self, forKey: .end)
        name = try c.decodeIfPresent(String.self, forKey: .name)
    }
}

extension [any CodingKey] {
    // Public: content loaders (channel files, the SLA file) name fields the same way.
    /// "week.monday[0].start", for `ValidationError.field`.
    public var fieldName: String {
        var out = ""
        for key in self {
            if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out
    }
}
