import Foundation
import Testing
@testable import PishkhanCore

private let hour: TimeInterval = 3600

/// An instant given by its local wall-clock time in `zone`.
private func local(_ zone: String, _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) throws -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = try #require(TimeZone(identifier: zone))
    return try #require(calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)))
}

/// An instant given in UTC, for the hours around a clock change where local time is ambiguous.
private func utc(_ text: String) throws -> Date {
    try #require(ISO8601DateFormatter().date(from: text))
}

/// An instant given by its Solar Hijri date and local time in Tehran.
private func tehran(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) throws -> Date {
    var calendar = Calendar(identifier: .persian)
    calendar.timeZone = try #require(TimeZone(identifier: "Asia/Tehran"))
    return try #require(calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)))
}

private func interval(_ start: String, _ end: String) throws -> WorkingInterval {
    try WorkingInterval(start, end)
}

@Suite struct BusinessCalendarDSTTests {
    /// The clocks change on Sundays, so Sunday gets hours, one interval around the change.
    let berlin: BusinessCalendar
    let newYork: BusinessCalendar

    init() throws {
        berlin = try BusinessCalendar(id: "berlin-sundays", timeZone: "Europe/Berlin", week: [
            .sunday: [interval("01:00", "04:00"), interval("09:00", "17:00")],
            .monday: [interval("09:00", "17:00")],
        ])
        newYork = try BusinessCalendar(id: "new-york-sundays", timeZone: "America/New_York", week: [
            .sunday: [interval("00:30", "03:00"), interval("09:00", "17:00")],
        ])
    }

    @Test func berlinSpringForwardSkipsAnHour() throws {
        // 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00Z.
        #expect(berlin.businessDuration(from: try utc("2026-03-29T07:00:00Z"), to: try utc("2026-03-29T15:00:00Z")) == 8 * hour)
        #expect(berlin.businessDuration(from: try utc("2026-03-29T00:00:00Z"), to: try utc("2026-03-29T02:00:00Z")) == 2 * hour)
        #expect(berlin.businessDuration(from: try local("Europe/Berlin", 2026, 3, 29), to: try local("Europe/Berlin", 2026, 3, 30)) == 10 * hour)
        #expect(berlin.add(1.5 * hour, to: try utc("2026-03-29T00:00:00Z")) == (try utc("2026-03-29T01:30:00Z")))
        #expect(berlin.add(8 * hour, to: try local("Europe/Berlin", 2026, 3, 29, 9)) == (try local("Europe/Berlin", 2026, 3, 29, 17)))
        #expect(berlin.isWorking(at: try utc("2026-03-29T00:59:00Z")))
        #expect(berlin.isWorking(at: try utc("2026-03-29T01:00:00Z")))
        #expect(!berlin.isWorking(at: try utc("2026-03-29T02:00:00Z")))
    }

    @Test func berlinFallBackRepeatsAnHour() throws {
        // 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00Z; 01:00–04:00 local lasts four real hours.
        #expect(berlin.businessDuration(from: try utc("2026-10-25T08:00:00Z"), to: try utc("2026-10-25T16:00:00Z")) == 8 * hour)
        #expect(berlin.businessDuration(from: try utc("2026-10-24T23:00:00Z"), to: try utc("2026-10-25T03:00:00Z")) == 4 * hour)
        #expect(berlin.businessDuration(from: try local("Europe/Berlin", 2026, 10, 25), to: try local("Europe/Berlin", 2026, 10, 26)) == 12 * hour)
        // 02:30 CEST to 02:30 CET: the same wall-clock time, one real hour apart.
        #expect(berlin.businessDuration(from: try utc("2026-10-25T00:30:00Z"), to: try utc("2026-10-25T01:30:00Z")) == hour)
        #expect(berlin.add(3.5 * hour, to: try utc("2026-10-24T23:00:00Z")) == (try utc("2026-10-25T02:30:00Z")))
    }

    @Test func newYorkClockChanges() throws {
        // 2026-03-08: 02:00 EST becomes 03:00 EDT; 2026-11-01: 02:00 EDT becomes 01:00 EST.
        #expect(newYork.businessDuration(from: try utc("2026-03-08T05:30:00Z"), to: try utc("2026-03-08T07:00:00Z")) == 1.5 * hour)
        #expect(newYork.businessDuration(from: try local("America/New_York", 2026, 3, 8), to: try local("America/New_York", 2026, 3, 9)) == 9.5 * hour)
        #expect(newYork.businessDuration(from: try utc("2026-11-01T04:30:00Z"), to: try utc("2026-11-01T08:00:00Z")) == 3.5 * hour)
        #expect(newYork.businessDuration(from: try local("America/New_York", 2026, 11, 1), to: try local("America/New_York", 2026, 11, 2)) == 11.5 * hour)
        #expect(newYork.add(2 * hour, to: try utc("2026-11-01T04:30:00Z")) == (try utc("2026-11-01T06:30:00Z")))
        #expect(newYork.add(8 * hour, to: try local("America/New_York", 2026, 11, 1, 9)) == (try local("America/New_York", 2026, 11, 1, 17)))
    }

    @Test func offsetChangesFoundByBisectionMatchFoundation() throws {
        for (zone, change) in [("Europe/Berlin", "2026-03-29T01:00:00Z"), ("America/New_York", "2026-11-01T06:00:00Z"), ("Asia/Kathmandu", "1985-12-31T18:30:00Z")] {
            let schedule = WorkingSchedule(zone: try #require(TimeZone(identifier: zone)), week: [:], holidays: [])
            let t = try utc(change)
            #expect(schedule.firstOffsetChange(after: t.timeIntervalSinceReferenceDate - 86_400.5, before: t.timeIntervalSinceReferenceDate + 86_400) == t.timeIntervalSinceReferenceDate)
        }
    }

    @Test func weekdayCalendarsAcrossAClockChangeWeekend() throws {
        let ny = BusinessCalendar.newYork
        #expect(ny.businessDuration(from: try local("America/New_York", 2026, 3, 6, 9), to: try local("America/New_York", 2026, 3, 9, 17)) == 16 * hour)
        #expect(ny.add(8 * hour, to: try local("America/New_York", 2026, 3, 6, 13)) == (try utc("2026-03-09T17:00:00Z")))
        #expect(ny.add(2 * hour, to: try local("America/New_York", 2026, 10, 30, 16)) == (try utc("2026-11-02T15:00:00Z")))
        let berlin = BusinessCalendar.berlin
        #expect(berlin.add(2 * hour, to: try local("Europe/Berlin", 2026, 10, 23, 16)) == (try utc("2026-10-26T09:00:00Z")))
        #expect(berlin.businessDuration(from: try local("Europe/Berlin", 2026, 3, 27, 9), to: try local("Europe/Berlin", 2026, 3, 30, 17)) == 16 * hour)
    }
}

@Suite struct BusinessCalendarShiftAndHolidayTests {
    /// Friday and Saturday nights, 22:00–06:00.
    func nightShifts(holidays: [Holiday] = []) throws -> BusinessCalendar {
        let night = try interval("22:00", "06:00")
        return try BusinessCalendar(id: "nights", timeZone: "Europe/Berlin", week: [.friday: [night], .saturday: [night]], holidays: holidays)
    }

    @Test func overnightShiftRunsIntoTheNextDay() throws {
        let nights = try nightShifts()
        let friday = { (h: Int) in try local("Europe/Berlin", 2026, 1, 16, h) }
        let saturday = { (h: Int) in try local("Europe/Berlin", 2026, 1, 17, h) }
        #expect(nights.businessDuration(from: try friday(20), to: try saturday(8)) == 8 * hour)
        #expect(nights.businessDuration(from: try local("Europe/Berlin", 2026, 1, 12), to: try local("Europe/Berlin", 2026, 1, 19)) == 16 * hour)
        #expect(nights.add(3 * hour, to: try friday(23)) == (try saturday(2)))
        #expect(nights.add(8 * hour, to: try friday(21)) == (try saturday(6)))
        #expect(nights.add(9 * hour, to: try friday(22)) == (try saturday(23)))
        #expect(nights.add(16 * hour, to: try friday(22)) == (try local("Europe/Berlin", 2026, 1, 18, 6)))
        #expect(nights.add(17 * hour, to: try friday(22)) == (try local("Europe/Berlin", 2026, 1, 23, 23)))
        #expect(nights.isWorking(at: try local("Europe/Berlin", 2026, 1, 17, 5, 59)))
        #expect(!nights.isWorking(at: try saturday(6)))
    }

    @Test func overnightShiftOverTheSpringForwardNightIsAnHourShorter() throws {
        let nights = try nightShifts()
        #expect(nights.businessDuration(from: try local("Europe/Berlin", 2026, 3, 28, 12), to: try local("Europe/Berlin", 2026, 3, 29, 12)) == 7 * hour)
        #expect(nights.add(7 * hour, to: try local("Europe/Berlin", 2026, 3, 28, 22)) == (try local("Europe/Berlin", 2026, 3, 29, 6)))
    }

    @Test func aHolidayRemovesTheWorkingTimeOnItsLocalDate() throws {
        // Saturday off: Friday's shift stops at midnight and Saturday's own shift is gone; Sunday morning stays.
        let saturdayOff = try nightShifts(holidays: [.gregorian("2026-01-17")])
        let from = try local("Europe/Berlin", 2026, 1, 16, 20), to = try local("Europe/Berlin", 2026, 1, 18, 8)
        #expect(saturdayOff.businessDuration(from: from, to: to) == 8 * hour)
        #expect(!saturdayOff.isWorking(at: try local("Europe/Berlin", 2026, 1, 17, 5)))
        #expect(saturdayOff.isWorking(at: try local("Europe/Berlin", 2026, 1, 18, 5)))
        #expect(saturdayOff.add(3 * hour, to: try local("Europe/Berlin", 2026, 1, 16, 23)) == (try local("Europe/Berlin", 2026, 1, 18, 2)))
        // Friday off: the shift that starts on Friday still works its Saturday morning.
        let fridayOff = try nightShifts(holidays: [.gregorian("2026-01-16")])
        #expect(fridayOff.businessDuration(from: from, to: to) == 14 * hour)
    }

    @Test func nowruzAndTheFridayAreSkippedInTehran() throws {
        let calendar = BusinessCalendar.tehran
        // 1404-12-29 is a Friday; 1405-01-01…04 is Nowruz; work resumes on Wednesday 1405-01-05.
        let landed = calendar.add(hour, to: try tehran(1404, 12, 29, 15, 30))
        #expect(landed == (try tehran(1405, 1, 5, 9)))
        #expect(landed == (try utc("2026-03-25T05:30:00Z")))
        var persian = Calendar(identifier: .persian)
        persian.timeZone = try #require(TimeZone(identifier: "Asia/Tehran"))
        let parts = persian.dateComponents([.year, .month, .day, .weekday], from: landed)
        #expect([parts.year, parts.month, parts.day, parts.weekday] == [1405, 1, 5, 4])
        // Thursday ends at noon: half an hour on 1404-12-28, the rest on 1405-01-05.
        #expect(calendar.add(hour, to: try tehran(1404, 12, 28, 11, 30)) == (try tehran(1405, 1, 5, 8, 30)))
        #expect(calendar.businessDuration(from: try tehran(1404, 12, 28, 11, 30), to: try tehran(1405, 1, 5, 8, 30)) == hour)
    }

    @Test func tehranWeekHolidaysAndThursdayHalfDay() throws {
        let calendar = BusinessCalendar.tehran
        let zone = "Asia/Tehran"
        #expect(calendar.businessDuration(from: try local(zone, 2025, 5, 3), to: try local(zone, 2025, 5, 10)) == 44 * hour)
        #expect(calendar.businessDuration(from: try local(zone, 2025, 5, 1), to: try local(zone, 2025, 5, 2)) == 4 * hour)
        #expect(calendar.add(5 * hour, to: try local(zone, 2025, 5, 1, 8)) == (try local(zone, 2025, 5, 3, 9)))
        // Nowruz 1404 is 21–24 March 2025: Thursday the 20th, then nothing until Tuesday the 25th.
        #expect(calendar.businessDuration(from: try local(zone, 2025, 3, 20), to: try local(zone, 2025, 3, 26)) == 12 * hour)
        // 1404-01-12 and 13 are Tuesday and Wednesday, 1–2 April 2025.
        #expect(calendar.businessDuration(from: try local(zone, 2025, 3, 31), to: try local(zone, 2025, 4, 4)) == 12 * hour)
        #expect(calendar.add(9 * hour, to: try local(zone, 2025, 3, 31, 8)) == (try local(zone, 2025, 4, 3, 9)))
    }

    @Test func yearEndSkipsTheHolidays() throws {
        #expect(BusinessCalendar.berlin.add(2 * hour, to: try local("Europe/Berlin", 2025, 12, 31, 16)) == (try local("Europe/Berlin", 2026, 1, 2, 10)))
        #expect(BusinessCalendar.newYork.add(2 * hour, to: try local("America/New_York", 2025, 12, 31, 16)) == (try local("America/New_York", 2026, 1, 2, 10)))
        #expect(BusinessCalendar.berlin.businessDuration(from: try local("Europe/Berlin", 2025, 12, 24, 9), to: try local("Europe/Berlin", 2026, 1, 5, 9)) == 40 * hour)
        #expect(BusinessCalendar.twentyFourSeven.add(36 * hour, to: try utc("2025-12-31T12:00:00Z")) == (try utc("2026-01-02T00:00:00Z")))
    }

    @Test("Solar Hijri holidays are local dates of the calendar's own zone", arguments: [
        "Asia/Tehran", "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC",
    ])
    func persianHolidayInZone(zone: String) throws {
        let allDay = try interval("00:00", "24:00")
        let calendar = try BusinessCalendar(
            id: "always", timeZone: zone, week: Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, [allDay]) }),
            holidays: [.persian("1404-01-01", name: "Nowruz")])
        #expect(calendar.businessDuration(from: try local(zone, 2025, 3, 21), to: try local(zone, 2025, 3, 22)) == 0)
        #expect(calendar.businessDuration(from: try local(zone, 2025, 3, 20), to: try local(zone, 2025, 3, 21)) == 24 * hour)
        #expect(calendar.businessDuration(from: try local(zone, 2025, 3, 22), to: try local(zone, 2025, 3, 23)) == 24 * hour)
    }
}

@Suite struct BusinessCalendarEdgeTests {
    @Test func addingZeroReturnsTheInstantEvenOutsideWorkingHours() throws {
        let saturdayNoon = try local("Europe/Berlin", 2026, 1, 17, 12)
        #expect(BusinessCalendar.berlin.add(0, to: saturdayNoon) == saturdayNoon)
        #expect(BusinessCalendar.berlin.add(60, to: saturdayNoon) == (try local("Europe/Berlin", 2026, 1, 19, 9, 1)))
        #expect(BusinessCalendar.berlin.businessDuration(from: saturdayNoon, to: saturdayNoon.addingTimeInterval(-hour)) == 0)
    }

    @Test func twentyFourSevenIsElapsedTime() throws {
        var rng = SplitMix64(seed: 24)
        let calendar = BusinessCalendar.twentyFourSeven
        for _ in 0..<50 {
            let t = Date(timeIntervalSince1970: 1_735_689_600 + Double(Int.random(in: 0..<1_000_000, using: &rng)) * 60)
            let d = Double(Int.random(in: 0..<100_000, using: &rng)) * 60
            #expect(calendar.add(d, to: t) == t.addingTimeInterval(d))
            #expect(calendar.businessDuration(from: t, to: t.addingTimeInterval(d)) == d)
        }
        // Also in a zone with DST: the short and the long day are 23 and 25 real hours.
        let allDay = try interval("00:00", "24:00")
        let berlin = try BusinessCalendar(id: "always-berlin", timeZone: "Europe/Berlin", week: Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, [allDay]) }))
        #expect(berlin.businessDuration(from: try local("Europe/Berlin", 2026, 3, 29), to: try local("Europe/Berlin", 2026, 3, 30)) == 23 * hour)
        #expect(berlin.businessDuration(from: try local("Europe/Berlin", 2026, 10, 25), to: try local("Europe/Berlin", 2026, 10, 26)) == 25 * hour)
        let start = try utc("2025-01-01T00:00:00Z"), end = try utc("2035-01-01T00:00:00Z")
        #expect(berlin.businessDuration(from: start, to: end) == end.timeIntervalSince(start))
    }

    @Test func noWorkingTimeEndsTheSearch() throws {
        let closed = try BusinessCalendar(id: "closed", timeZone: "UTC", week: [:])
        let t = try utc("2026-01-05T10:00:00Z")
        #expect(!closed.hasWorkingTime)
        #expect(closed.add(60, to: t) == .distantFuture)
        #expect(closed.businessDuration(from: t, to: .distantFuture) == 0)
        let nineToFive = try interval("09:00", "17:00")
        let endless = try BusinessCalendar(id: "endless", timeZone: "Europe/Berlin", week: [.monday: [nineToFive]], holidays: [.gregorian("2025-01-01", through: "2099-12-31")])
        #expect(endless.add(hour, to: t) == .distantFuture)
        #expect(BusinessCalendar.twentyFourSeven.add(11 * 366 * 24 * hour, to: t) == .distantFuture)
        #expect(BusinessCalendar.twentyFourSeven.add(9 * 365 * 24 * hour, to: t) == t.addingTimeInterval(9 * 365 * 24 * hour))
    }

    @Test func extremeInstantsNeitherTrapNorHang() {
        let berlin = BusinessCalendar.berlin
        #expect(berlin.businessDuration(from: .distantPast, to: .distantFuture) > 8_000_000 * hour)
        #expect(berlin.businessDuration(from: Date(timeIntervalSinceReferenceDate: -1e300), to: Date(timeIntervalSinceReferenceDate: .nan)) == 0)
        #expect(berlin.add(hour, to: Date(timeIntervalSinceReferenceDate: 1e300)) > .distantFuture)
        #expect(berlin.add(.infinity, to: .now) == .distantFuture)
        #expect(!berlin.isWorking(at: Date(timeIntervalSinceReferenceDate: .infinity)))
    }

    @Test func longHolidayRunsAndLongSpansAreSkippedWhole() throws {
        let nineToFive = try interval("09:00", "17:00")
        let week = Dictionary(uniqueKeysWithValues: [Weekday.monday, .tuesday, .wednesday, .thursday, .friday].map { ($0, [nineToFive]) })
        let sabbatical = try BusinessCalendar(id: "sabbatical", timeZone: "Europe/Berlin", week: week, holidays: [.gregorian("2026-01-01", through: "2030-12-31")])
        #expect(sabbatical.add(hour, to: try local("Europe/Berlin", 2026, 1, 5, 9)) == (try local("Europe/Berlin", 2031, 1, 1, 10)))
        // 52 weeks without holidays; then ten years split at a year boundary adds up.
        let berlin = BusinessCalendar.berlin
        #expect(berlin.businessDuration(from: try local("Europe/Berlin", 2026, 1, 5), to: try local("Europe/Berlin", 2027, 1, 4)) == 52 * 40 * hour)
        let a = try local("Europe/Berlin", 2025, 6, 1, 12), b = try local("Europe/Berlin", 2030, 1, 1), c = try local("Europe/Berlin", 2035, 6, 1)
        #expect(berlin.businessDuration(from: a, to: c) == berlin.businessDuration(from: a, to: b) + berlin.businessDuration(from: b, to: c))
        #expect(berlin.add(berlin.businessDuration(from: a, to: c), to: a) == (try local("Europe/Berlin", 2035, 5, 31, 17)))
    }

    @Test("Adding then measuring gives the duration back", arguments: [BusinessCalendar.tehran, .berlin, .newYork, .twentyFourSeven])
    func roundTrip(calendar: BusinessCalendar) {
        var rng = SplitMix64(seed: 7)
        var checked = 0
        while checked < 100 {
            // Minutes in 2025 and 2026, where the shipped holidays are.
            let t = Date(timeIntervalSince1970: 1_735_689_600 + Double(Int.random(in: 0..<(2 * 365 * 1440), using: &rng)) * 60)
            guard calendar.isWorking(at: t) else { continue }
            let d = Double(Int.random(in: 1...(300 * 60), using: &rng)) * 60
            let end = calendar.add(d, to: t)
            #expect(calendar.businessDuration(from: t, to: end) == d)
            #expect(calendar.isWorking(at: end.addingTimeInterval(-60)))
            checked += 1
        }
    }
}

@Suite struct BusinessCalendarValidationTests {
    @Test func invalidCalendarsNameTheField() throws {
        let nineToFive = try interval("09:00", "17:00")
        func field(_ build: () throws -> BusinessCalendar) -> String? {
            let error = #expect(throws: ValidationError.self) { try build() }
            return error?.field
        }
        #expect(field { try BusinessCalendar(id: " ", timeZone: "UTC", week: [:]) } == "id")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "Mars/Olympus_Mons", week: [:]) } == "timeZone")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "UTC", week: [.monday: [nineToFive, WorkingInterval("10:00", "10:00")]]) } == "week.monday[1]")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "UTC", week: [.monday: [WorkingInterval(start: TimeOfDay(hour: 9), end: TimeOfDay(hour: 25))]]) } == "week.monday[0].end")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "UTC", week: [.monday: [WorkingInterval("09:00", "12:00"), WorkingInterval("11:00", "13:00")]]) } == "week.monday")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "UTC", week: [.friday: [WorkingInterval("22:00", "06:00")], .saturday: [WorkingInterval("05:00", "10:00")]]) } == "week.saturday")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "UTC", week: [:], holidays: [.gregorian("2025-13-01")]) } == "holidays[0].start")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "UTC", week: [:], holidays: [.gregorian("2025-01-01"), .gregorian("2025-02-29")]) } == "holidays[1].start")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "UTC", week: [:], holidays: [.persian("1404-1-1")]) } == "holidays[0].start")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "UTC", week: [:], holidays: [.persian("1404-12-30")]) } == "holidays[0].start")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "UTC", week: [:], holidays: [.persian("1404-01-04", through: "1404-01-01")]) } == "holidays[0].end")
        #expect(field { try BusinessCalendar(id: "x", timeZone: "UTC", week: [:], holidays: [.gregorian("2025-01-01", through: "2025/01/02")]) } == "holidays[0].end")
        // Adjacent intervals, midnight ends and a leap-year Esfand 30 are fine.
        _ = try BusinessCalendar(id: "x", timeZone: "UTC", week: [
            .monday: [WorkingInterval("09:00", "12:00"), WorkingInterval("12:00", "24:00")],
            .tuesday: [WorkingInterval("22:00", "00:00")], .friday: [WorkingInterval("22:00", "06:00")], .saturday: [WorkingInterval("06:00", "10:00")],
        ], holidays: [.persian("1403-12-30"), .persian("۱۴۰۴-۰۱-۰۱")])
    }

    @Test("Malformed times are rejected", arguments: ["9", "9:5", "25:00", "24:01", "12:60", "ab:cd", "", "-1:00", "09:00:00"])
    func malformedTime(text: String) {
        #expect(throws: ValidationError.self) { try TimeOfDay(text) }
    }

    @Test func decodingValidatesAndNamesThePath() throws {
        let bad = #"{"id": "x", "timeZone": "UTC", "week": {"monday": [{"start": "9am", "end": "17:00"}]}}"#
        let error = #expect(throws: ValidationError.self) { try JSONDecoder().decode(BusinessCalendar.self, from: Data(bad.utf8)) }
        #expect(error?.field == "week.monday[0].start")
        let zone = #"{"id": "x", "timeZone": "Europe/Atlantis"}"#
        let zoneError = #expect(throws: ValidationError.self) { try JSONDecoder().decode(BusinessCalendar.self, from: Data(zone.utf8)) }
        #expect(zoneError?.field == "timeZone")
    }

    @Test func codableRoundTripAndFriendlyJSON() throws {
        for calendar in [BusinessCalendar.tehran, .berlin, .newYork, .twentyFourSeven] {
            let data = try JSONEncoder().encode(calendar)
            #expect(try JSONDecoder().decode(BusinessCalendar.self, from: data) == calendar)
        }
        let json = #"""
        {"id": "night", "timeZone": "Europe/Berlin",
         "week": {"friday": [{"start": "22:00", "end": "06:00"}], "saturday": [{"start": "09:00", "end": "24:00"}]},
         "holidays": [{"calendar": "persian", "start": "1404-01-01", "end": "1404-01-04", "name": "Nowruz"}, {"start": "2025-12-25"}]}
        """#
        let calendar = try JSONDecoder().decode(BusinessCalendar.self, from: Data(json.utf8))
        #expect(calendar.name == "night")
        #expect(calendar.week[.friday]?.first?.crossesMidnight == true)
        #expect(calendar.holidays[1] == .gregorian("2025-12-25"))
        let encoded = String(decoding: try JSONEncoder().encode(calendar), as: UTF8.self)
        #expect(encoded.contains(#""end":"24:00""#))
        #expect(encoded.contains(#""friday""#))
    }
}

// MARK: - Brute-force oracle

@Suite struct BusinessCalendarOracleTests {
    /// 25 windows of 1–10 days in varied zones, many starting just before a clock change, 12 random
    /// calendars each: 300 cases, every answer compared with a minute-by-minute walk over real instants.
    @Test(arguments: 0..<25)
    func randomCalendarsAgreeWithAMinuteByMinuteWalk(window: Int) throws {
        var run = OracleRun(seed: 0xB0C4_1E5D + UInt64(window))
        try run.runWindow(cases: 12)
        #expect(run.cases == 12)
        #expect(run.mismatches.isEmpty, "\(run.mismatches.prefix(5).joined(separator: "\n"))")
    }
}

/// Consecutive real minutes in a zone, each minute's start read as a local date and time by Foundation's
/// Gregorian calendar: the reference the calendar math is checked against. All instants and offsets are
/// whole minutes, so a minute is working or not as a whole.
struct MinuteWalk {
    struct LocalDate: Hashable { var year, month, day: Int }
    static let weekdays: [Weekday] = [.sunday, .monday, .tuesday, .wednesday, .thursday, .friday, .saturday]

    let start: Date
    let count: Int
    let dates: [LocalDate]
    /// Foundation's weekday - 1 (Sunday = 0) of each date.
    let weekdayIndex: [Int]
    /// A real instant on each local date, to read that date in another calendar.
    let instantOnDate: [Date]
    let dateOfMinute: [Int]
    let minuteOfDay: [Int]

    init(zone: TimeZone, start: Date, minutes: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var dates: [LocalDate] = [], weekdayIndex: [Int] = [], instantOnDate: [Date] = [], index: [LocalDate: Int] = [:]
        var dateOfMinute: [Int] = [], minuteOfDay: [Int] = []
        for i in 0..<minutes {
            let instant = start.addingTimeInterval(Double(i) * 60)
            let c = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: instant)
            let date = LocalDate(year: c.year ?? 0, month: c.month ?? 0, day: c.day ?? 0)
            let k: Int
            if let known = index[date] {
                k = known
            } else {
                k = dates.count
                index[date] = k
                dates.append(date)
                weekdayIndex.append((c.weekday ?? 1) - 1)
                instantOnDate.append(instant)
            }
            dateOfMinute.append(k)
            minuteOfDay.append((c.hour ?? 0) * 60 + (c.minute ?? 0))
        }
        self.start = start
        self.count = minutes
        self.dates = dates
        self.weekdayIndex = weekdayIndex
        self.instantOnDate = instantOnDate
        self.dateOfMinute = dateOfMinute
        self.minuteOfDay = minuteOfDay
    }

    func instant(_ minute: Int) -> Date { start.addingTimeInterval(Double(minute) * 60) }

    /// Whether each minute is working time, decided from its local date and time alone: not a holiday, and
    /// inside one of the weekday's intervals or the morning part of the previous weekday's overnight ones.
    func working(week: [Weekday: [WorkingInterval]], holidays: Set<LocalDate>) -> [Bool] {
        let masks = dates.indices.map { k -> [Bool] in
            var mask = [Bool](repeating: false, count: 1440)
            guard !holidays.contains(dates[k]) else { return mask }
            for interval in week[Self.weekdays[weekdayIndex[k]]] ?? [] {
                let overnight = interval.end.minutes < interval.start.minutes
                for m in interval.start.minutes..<(overnight ? 1440 : interval.end.minutes) { mask[m] = true }
            }
            for interval in week[Self.weekdays[(weekdayIndex[k] + 6) % 7]] ?? [] where interval.end.minutes < interval.start.minutes {
                for m in 0..<interval.end.minutes { mask[m] = true }
            }
            return mask
        }
        return (0..<count).map { masks[dateOfMinute[$0]][minuteOfDay[$0]] }
    }
}

/// Draws windows, calendars and questions, and records every disagreement with the minute walk.
struct OracleRun {
    static let zones = [
        "Europe/Berlin", "America/New_York", "Asia/Tehran", "UTC", "Australia/Lord_Howe", "America/Santiago",
        "Asia/Kathmandu", "America/Havana",
    ]
    var rng: SplitMix64
    var cases = 0
    var checks = 0
    var mismatches: [String] = []

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func runWindow(cases: Int) throws {
        let zoneID = Self.zones[Int.random(in: 0..<Self.zones.count, using: &rng)]
        guard let zone = TimeZone(identifier: zoneID) else { throw OracleError(message: "no zone \(zoneID)") }
        // A minute in 2020…2027; half the time up to three days before the next clock change.
        var start = Date(timeIntervalSince1970: 1_577_836_800 + Double(Int.random(in: 0..<(8 * 365 * 1440), using: &rng)) * 60)
        if Bool.random(using: &rng), let change = zone.nextDaylightSavingTimeTransition(after: start) {
            start = change.addingTimeInterval(-Double(Int.random(in: 0...(3 * 1440), using: &rng)) * 60)
        }
        start = Date(timeIntervalSince1970: (start.timeIntervalSince1970 / 60).rounded(.down) * 60)
        let walk = MinuteWalk(zone: zone, start: start, minutes: Int.random(in: 1440...14_400, using: &rng))
        for _ in 0..<cases { try runCase(walk, zone: zone) }
    }

    mutating func runCase(_ walk: MinuteWalk, zone: TimeZone) throws {
        let week = randomWeek()
        var holidaySet = Set<MinuteWalk.LocalDate>()
        var holidays: [Holiday] = [.gregorian("2019-06-01", through: "2019-06-30"), .persian("1410-01-01")]
        var persian = Calendar(identifier: .persian)
        persian.timeZone = zone
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            let first = Int.random(in: 0..<walk.dates.count, using: &rng)
            let last = min(walk.dates.count - 1, first + Int.random(in: 0...2, using: &rng))
            for k in first...last { holidaySet.insert(walk.dates[k]) }
            if Bool.random(using: &rng) {
                let text = { (k: Int) in Self.dateText(walk.dates[k].year, walk.dates[k].month, walk.dates[k].day) }
                holidays.append(.gregorian(text(first), through: last > first ? text(last) : nil))
            } else {
                let text = { (k: Int) in
                    let c = persian.dateComponents([.year, .month, .day], from: walk.instantOnDate[k])
                    return Self.dateText(c.year ?? 0, c.month ?? 0, c.day ?? 0)
                }
                holidays.append(.persian(text(first), through: text(last)))
            }
        }
        let calendar = try BusinessCalendar(id: "random", timeZone: zone.identifier, week: week, holidays: holidays)
        let working = walk.working(week: week, holidays: holidaySet)
        var prefix = [0]
        for w in working { prefix.append(prefix[prefix.count - 1] + (w ? 1 : 0)) }
        let n = walk.count
        let label = "\(zone.identifier) from \(walk.start) week \(week.sorted { $0.key.index < $1.key.index }.map { "\($0.key): \($0.value)" }) holidays \(holidays.dropFirst(2).map { "\($0.start)…\($0.end ?? "")" })"

        for _ in 0..<4 {
            let i = Int.random(in: 0...n, using: &rng), j = Int.random(in: 0...n, using: &rng)
            let expected = j > i ? Double((prefix[j] - prefix[i]) * 60) : 0
            let got = calendar.businessDuration(from: walk.instant(i), to: walk.instant(j))
            record(got == expected, "\(label): businessDuration(\(walk.instant(i)), \(walk.instant(j))) = \(got), walk says \(expected)")
        }
        for q in 0..<4 {
            let i = Int.random(in: 0...n, using: &rng)
            let available = prefix[n] - prefix[i]
            let d = switch q {
            case 0: available
            case 1: 0
            default: Int.random(in: 0...available, using: &rng)
            }
            // The first minute boundary by which d working minutes have passed.
            var lo = i, hi = n
            while lo < hi {
                let mid = (lo + hi) / 2
                if prefix[mid] - prefix[i] >= d { hi = mid } else { lo = mid + 1 }
            }
            let got = calendar.add(Double(d * 60), to: walk.instant(i))
            record(got == walk.instant(lo), "\(label): add(\(d) min, \(walk.instant(i))) = \(got), walk says \(walk.instant(lo))")
            let back = calendar.businessDuration(from: walk.instant(i), to: got)
            record(back == Double(d * 60), "\(label): businessDuration(t, add(\(d) min, t)) = \(back)")
        }
        for _ in 0..<4 {
            let i = Int.random(in: 0..<n, using: &rng)
            record(calendar.isWorking(at: walk.instant(i)) == working[i], "\(label): isWorking(\(walk.instant(i))) != \(working[i])")
        }
        cases += 1
    }

    /// "yyyy-MM-dd".
    static func dateText(_ year: Int, _ month: Int, _ day: Int) -> String {
        func padded(_ n: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    private mutating func record(_ agrees: Bool, _ message: @autoclosure () -> String) {
        checks += 1
        if !agrees { mismatches.append(message()) }
    }

    /// 0–3 intervals a day on a half-hour grid or any minute, sometimes a whole day, sometimes an
    /// overnight shift whose morning ends before the next day's first interval.
    private mutating func randomWeek() -> [Weekday: [WorkingInterval]] {
        var own: [[Int]] = []
        for _ in 0..<7 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1: own.append([])
            case 2: own.append([0, 1440])
            default:
                let grid = Bool.random(using: &rng) ? 30 : 1
                var cuts = Set<Int>()
                let count = 2 * Int.random(in: 1...3, using: &rng)
                while cuts.count < count { cuts.insert(Int.random(in: 0...(1440 / grid), using: &rng) * grid) }
                own.append(cuts.sorted())
            }
        }
        var week: [Weekday: [WorkingInterval]] = [:]
        for day in 0..<7 {
            let cuts = own[day]
            var intervals = stride(from: 0, to: cuts.count, by: 2).map {
                WorkingInterval(start: TimeOfDay(minutes: cuts[$0]), end: TimeOfDay(minutes: cuts[$0 + 1]))
            }
            let lastEnd = cuts.last ?? 0, nextFirstStart = own[(day + 1) % 7].first ?? 720
            if Int.random(in: 0..<10, using: &rng) < 3, lastEnd < 1439, nextFirstStart >= 1 {
                let start = Int.random(in: max(lastEnd, 721)...1439, using: &rng)
                let end = Int.random(in: 0...min(nextFirstStart, 720), using: &rng)
                intervals.append(WorkingInterval(start: TimeOfDay(minutes: start), end: TimeOfDay(minutes: end)))
            }
            if !intervals.isEmpty { week[MinuteWalk.weekdays[day]] = intervals.shuffled(using: &rng) }
        }
        return week
    }
}

struct OracleError: Error { var message: String }
