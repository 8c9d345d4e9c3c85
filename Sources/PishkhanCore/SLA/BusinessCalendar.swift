import Foundation

/// When a team works: weekly intervals on the local clock of an IANA time zone, minus holidays. SLA
/// clocks run only in working time; `add(_:to:)` and `businessDuration(from:to:)` are the arithmetic.
///
/// What counts as working time, exactly (every result equals a walk over real instants by this rule):
/// - An instant is working time when, on the calendar's local clock, its date is not a holiday and its
///   time of day lies in one of that weekday's intervals, or in the after-midnight part of the previous
///   weekday's overnight shift. Durations are real elapsed seconds of such instants.
/// - DST: a 09:00–17:00 day is 8 hours on change days too, since the clocks change at night. An interval
///   that contains a skipped hour is that much shorter (01:00–04:00 on the spring-forward Sunday in
///   Berlin is 2 hours); one that contains a repeated hour counts it twice, as real time (4 hours in
///   autumn).
/// - Overnight shifts: Friday 22:00–06:00 works until Saturday 06:00. Holidays go by local date, not by
///   the shift's start: a holiday on Saturday removes Saturday 00:00–06:00 but not Friday 22:00–24:00.
/// - Holidays: Gregorian or Solar Hijri dates, both read in the calendar's own time zone.
///
/// Built only through the validating initializer (decoding uses it too), so every value is usable.
public struct BusinessCalendar: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    /// IANA identifier, e.g. "Asia/Tehran".
    public let timeZone: String
    /// Working intervals per weekday, in any order; a missing or empty weekday is a day off.
    public let week: [Weekday: [WorkingInterval]]
    public let holidays: [Holiday]
    /// Derived once from the fields above, not on every call.
    private let schedule: WorkingSchedule

    /// How far `add(_:to:)` searches before giving up: ten years (3,653 days) of real time.
    public static let searchHorizon: TimeInterval = 3653 * 86_400

    enum CodingKeys: String, CodingKey { case id, name, timeZone, week, holidays }

    /// Throws `ValidationError` naming the field: an unknown time zone, an empty interval
    /// (start == end), a time outside 00:00–24:00, intervals that overlap on one local day (an overnight
    /// shift's morning included), or a holiday date that is malformed, does not exist in its calendar, or
    /// ends before it starts.
    public init(
        id: String, name: String? = nil, timeZone: String, week: [Weekday: [WorkingInterval]], holidays: [Holiday] = []
    ) throws {
        if id.trimmed.isEmpty { throw ValidationError(field: "id", reason: "must not be empty") }
        guard let zone = TimeZone(identifier: timeZone) else {
            throw ValidationError(field: "timeZone", reason: "\"\(timeZone)\" is not a known IANA time zone")
        }
        try Self.validate(week: week)
        self.id = id
        self.name = name ?? id
        self.timeZone = timeZone
        self.week = week
        self.holidays = holidays
        schedule = WorkingSchedule(zone: zone, week: week, holidays: try Self.holidayDays(holidays, zone: zone))
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            id: c.decode(String.self, forKey: .id),
            name: c.decodeIfPresent(String.self, forKey: .name),
            timeZone: c.decode(String.self, forKey: .timeZone),
            week: c.decodeIfPresent([Weekday: [WorkingInterval]].self, forKey: .week) ?? [:],
            holidays: c.decodeIfPresent([Holiday].self, forKey: .holidays) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(timeZone, forKey: .timeZone)
        try c.encode(week, forKey: .week)
        try c.encode(holidays, forKey: .holidays)
    }

    public static func == (a: BusinessCalendar, b: BusinessCalendar) -> Bool {
        a.id == b.id && a.name == b.name && a.timeZone == b.timeZone && a.week == b.week && a.holidays == b.holidays
    }

    // MARK: Arithmetic

    /// The instant at which `businessDuration` seconds of working time have elapsed since `instant`.
    /// - Adding 0 (or less) returns `instant` itself, even outside working hours: nothing has to elapse.
    ///   Adding more starts counting at the first working instant at or after `instant`.
    /// - Time that runs out at the end of an interval lands on that end: 8 hours from Monday 09:00 in a
    ///   09:00–17:00 week is Monday 17:00, not Tuesday 09:00.
    /// - Returns `Date.distantFuture` when that much working time does not occur within `searchHorizon`
    ///   of `instant`: a week without working time, an endless run of holidays, or an absurd duration.
    public func add(_ businessDuration: TimeInterval, to instant: Date) -> Date {
        guard businessDuration > 0 else { return instant }
        guard schedule.weekTotal > 0 else { return .distantFuture }
        let start = Self.clamped(instant)
        let limit = start + Self.searchHorizon
        var remaining = businessDuration
        var t = start
        while t < limit {
            let offset = schedule.offset(at: t)
            let end = schedule.stretchEnd(from: t, offset: offset, limit: limit)
            let (used, reachedAt) = schedule.consume(from: t + offset, to: end + offset, budget: remaining)
            if let wallClock = reachedAt { return Date(timeIntervalSinceReferenceDate: wallClock - offset) }
            remaining -= used
            t = end
        }
        return .distantFuture
    }

    /// Working time in `[start, end)`, in real elapsed seconds; 0 when `end <= start`.
    public func businessDuration(from start: Date, to end: Date) -> TimeInterval {
        var t = Self.clamped(start)
        let limit = Self.clamped(end)
        guard schedule.weekTotal > 0 else { return 0 }
        var total = 0.0
        while t < limit {
            let offset = schedule.offset(at: t)
            let stretchEnd = schedule.stretchEnd(from: t, offset: offset, limit: limit)
            total += schedule.consume(from: t + offset, to: stretchEnd + offset, budget: .infinity).used
            t = stretchEnd
        }
        return total
    }

    /// Whether `instant` is working time.
    public func isWorking(at instant: Date) -> Bool {
        let t = Self.clamped(instant)
        return schedule.isWorking(wallClock: t + schedule.offset(at: t))
    }

    /// Whether the week has any working time at all; holidays are not considered.
    public var hasWorkingTime: Bool { schedule.weekTotal > 0 }

    /// Seconds since the reference date, kept within Foundation's distant past and future so day numbers
    /// stay in range whatever date arrives.
    private static func clamped(_ date: Date) -> Double {
        let t = date.timeIntervalSinceReferenceDate
        let low = Date.distantPast.timeIntervalSinceReferenceDate, high = Date.distantFuture.timeIntervalSinceReferenceDate
        return t.isNaN ? low : min(max(t, low), high)
    }

    // MARK: Validation

    private static func validate(week: [Weekday: [WorkingInterval]]) throws {
        for weekday in Weekday.allCases {
            for (i, interval) in (week[weekday] ?? []).enumerated() {
                let field = "week.\(weekday.rawValue)[\(i)]"
                guard (0..<1440).contains(interval.start.minutes) else {
                    throw ValidationError(field: field + ".start", reason: "must be between 00:00 and 23:59")
                }
                guard (0...1440).contains(interval.end.minutes) else {
                    throw ValidationError(field: field + ".end", reason: "must be between 00:00 and 24:00")
                }
                guard interval.start != interval.end else {
                    throw ValidationError(field: field, reason: "starts and ends at \(interval.start); an interval must not be empty")
                }
            }
        }
        // Overlaps are checked per local day, so an overnight shift's morning meets the next day's intervals.
        for weekday in Weekday.allCases {
            var parts: [(minutes: Range<Int>, label: String)] = []
            for interval in week[weekday] ?? [] {
                let end = interval.crossesMidnight ? 1440 : interval.end.minutes
                parts.append((interval.start.minutes..<end, "\(interval)"))
            }
            for previous in Weekday.allCases where previous.next == weekday {
                for interval in week[previous] ?? [] where interval.crossesMidnight && interval.end.minutes > 0 {
                    parts.append((0..<interval.end.minutes, "\(previous.rawValue)'s overnight \(interval)"))
                }
            }
            parts.sort { $0.minutes.lowerBound < $1.minutes.lowerBound }
            for (a, b) in zip(parts, parts.dropFirst()) where b.minutes.lowerBound < a.minutes.upperBound {
                throw ValidationError(field: "week.\(weekday.rawValue)", reason: "\(a.label) and \(b.label) overlap")
            }
        }
    }

    private static func holidayDays(_ holidays: [Holiday], zone: TimeZone) throws -> [ClosedRange<Int>] {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = zone
        var persian = Calendar(identifier: .persian)
        persian.timeZone = zone
        return try holidays.enumerated().map { i, holiday in
            let calendar = switch holiday.calendar {
            case .gregorian: gregorian
            case .persian: persian
            }
            let first = try dayNumber(holiday.start, in: calendar, system: holiday.calendar, field: "holidays[\(i)].start")
            guard let end = holiday.end else { return first...first }
            let last = try dayNumber(end, in: calendar, system: holiday.calendar, field: "holidays[\(i)].end")
            guard last >= first else {
                throw ValidationError(field: "holidays[\(i)].end", reason: "\"\(end)\" is before the start \"\(holiday.start)\"")
            }
            return first...last
        }
    }

    /// The wall-clock day number of a local date: noon of that date in the calendar's zone (noon, so a DST
    /// jump at midnight cannot move it to a neighbouring day), plus the UTC offset there.
    private static func dayNumber(_ text: String, in calendar: Calendar, system: Holiday.CalendarSystem, field: String) throws -> Int {
        let parts = TextFolding.asciiDigits(text.trimmed).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), year > 0
        else { throw ValidationError(field: field, reason: "\"\(text)\" is not a date yyyy-MM-dd") }
        guard let noon = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12)),
              case let found = calendar.dateComponents([.year, .month, .day], from: noon),
              found.year == year, found.month == month, found.day == day
        else { throw ValidationError(field: field, reason: "\"\(text)\" is not a day of the \(system.rawValue) calendar") }
        let wallClock = noon.timeIntervalSinceReferenceDate + Double(calendar.timeZone.secondsFromGMT(for: noon))
        return WorkingSchedule.dayNumber(wallClock)
    }
}
