import Foundation

/// A validated `BusinessCalendar` in the form the arithmetic needs, built once per calendar.
///
/// The math runs on the *wall-clock axis*: seconds since 2001-01-01 00:00 as the local clock shows
/// them, i.e. an instant plus its UTC offset. On that axis the working time is a fixed pattern of days
/// (weekday intervals minus holidays) that knows nothing of DST. Real time is cut into stretches of
/// constant UTC offset; within a stretch the two axes differ by a constant, so working time is measured
/// on the wall clock and maps back one to one. A skipped hour therefore has no instants and counts
/// nothing; a repeated hour has twice the instants and counts twice.
struct WorkingSchedule: Sendable {
    static let secondsPerDay = 86_400.0

    let zone: TimeZone
    /// Working seconds of a local day, by weekday index (Sunday = 0): sorted, merged, and including the
    /// after-midnight part of the previous day's overnight shifts.
    let days: [[Range<Double>]]
    /// Working seconds in any seven consecutive days without holidays.
    let weekTotal: Double
    /// Days off as wall-clock day numbers (days since 2001-01-01), sorted, merged, disjoint.
    let holidays: [ClosedRange<Int>]

    init(zone: TimeZone, week: [Weekday: [WorkingInterval]], holidays: [ClosedRange<Int>]) {
        var days = [[Range<Double>]](repeating: [], count: 7)
        for (weekday, intervals) in week {
            for interval in intervals {
                let start = Double(interval.start.minutes) * 60, end = Double(interval.end.minutes) * 60
                if interval.crossesMidnight {
                    days[weekday.index].append(start..<Self.secondsPerDay)
                    if end > 0 { days[weekday.next.index].append(0..<end) }
                } else {
                    days[weekday.index].append(start..<end)
                }
            }
        }
        self.days = days.map(Self.merged)
        weekTotal = self.days.joined().reduce(0) { $0 + ($1.upperBound - $1.lowerBound) }
        self.zone = zone
        self.holidays = Self.merged(holidays)
    }

    // MARK: Real time

    func offset(at t: Double) -> Double {
        Double(zone.secondsFromGMT(for: Date(timeIntervalSinceReferenceDate: t)))
    }

    /// The end of the stretch of constant UTC offset that contains `t`, capped at `limit`.
    func stretchEnd(from t: Double, offset: Double, limit: Double) -> Double {
        var end = limit
        if let next = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSinceReferenceDate: t))?
            .timeIntervalSinceReferenceDate, next > t {
            end = min(end, next)
        }
        // Foundation reports every offset change it knows of; should it miss one, bisect for it.
        guard end - t > 1, self.offset(at: end - 1) != offset else { return end }
        return firstOffsetChange(after: t, before: end)
    }

    /// The first whole second after `t` whose UTC offset differs from `t`'s, given that `end - 1` has a
    /// different one. Offsets change on whole seconds.
    func firstOffsetChange(after t: Double, before end: Double) -> Double {
        let offset = self.offset(at: t)
        var same = t.rounded(.down), changed = (end - 1).rounded(.down)
        while changed - same > 1 {
            let mid = ((same + changed) / 2).rounded(.down)
            if self.offset(at: mid) == offset { same = mid } else { changed = mid }
        }
        return changed
    }

    // MARK: Wall-clock time

    static func dayNumber(_ wallClock: Double) -> Int {
        Int((wallClock / secondsPerDay).rounded(.down))
    }

    /// 2001-01-01 was a Monday.
    static func weekdayIndex(ofDay day: Int) -> Int {
        ((day + 1) % 7 + 7) % 7
    }

    func isWorking(wallClock n: Double) -> Bool {
        let day = Self.dayNumber(n)
        guard holiday(containing: day) == nil else { return false }
        let second = n - Double(day) * Self.secondsPerDay
        return days[Self.weekdayIndex(ofDay: day)].contains { $0.contains(second) }
    }

    /// Walks the working time in wall-clock `[from, to)` in order until `budget` seconds of it are used.
    /// Returns the working time found and, if the budget ran out, the wall-clock point where it did.
    /// Whole holiday runs are skipped at once, and whole weeks without holidays are counted at once.
    func consume(from: Double, to: Double, budget: Double) -> (used: Double, reachedAt: Double?) {
        guard from < to, weekTotal > 0 else { return (0, nil) }
        var used = 0.0
        var day = Self.dayNumber(from)
        let lastDay = Self.dayNumber(to)
        while day <= lastDay {
            if let run = holiday(containing: day) {
                if run.upperBound >= lastDay { break }
                day = run.upperBound + 1
                continue
            }
            let dayStart = Double(day) * Self.secondsPerDay
            if dayStart >= from {
                // Days in [day, clearUntil) lie wholly inside the span and are not holidays.
                let clearUntil = min(lastDay, nextHolidayStart(after: day) ?? lastDay)
                var weeks = Double((clearUntil - day) / 7)
                // Leave the week in which the budget runs out to the day-by-day walk.
                weeks = min(weeks, ((budget - used) / weekTotal).rounded(.up) - 1)
                if weeks >= 1 {
                    used += weeks * weekTotal
                    day += Int(weeks) * 7
                    continue
                }
            }
            for range in days[Self.weekdayIndex(ofDay: day)] {
                let lo = max(dayStart + range.lowerBound, from), hi = min(dayStart + range.upperBound, to)
                guard lo < hi else { continue }
                if hi - lo >= budget - used { return (budget, lo + (budget - used)) }
                used += hi - lo
            }
            day += 1
        }
        return (used, nil)
    }

    // MARK: Holidays

    func holiday(containing day: Int) -> ClosedRange<Int>? {
        let i = firstHoliday(endingAtOrAfter: day)
        return i < holidays.count && holidays[i].lowerBound <= day ? holidays[i] : nil
    }

    /// The first day off after `day`, for a `day` that is not one.
    func nextHolidayStart(after day: Int) -> Int? {
        let i = firstHoliday(endingAtOrAfter: day)
        return i < holidays.count ? holidays[i].lowerBound : nil
    }

    private func firstHoliday(endingAtOrAfter day: Int) -> Int {
        var lo = 0, hi = holidays.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if holidays[mid].upperBound < day { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    // MARK: Merging

    private static func merged(_ ranges: [Range<Double>]) -> [Range<Double>] {
        var out: [Range<Double>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    private static func merged(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var out: [ClosedRange<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }
}
