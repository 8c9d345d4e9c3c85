import Foundation

extension BusinessCalendar {
    /// An Iranian office: Saturday to Wednesday 08:00–16:00, Thursday 08:00–12:00, Friday off, with
    /// Nowruz, Islamic Republic Day and Sizdah Bedar of 1404 and 1405 as Solar Hijri holidays.
    public static let tehran = example(
        id: "tehran", name: "Tehran office", timeZone: "Asia/Tehran",
        week: [
            .saturday: [officeHours], .sunday: [officeHours], .monday: [officeHours], .tuesday: [officeHours],
            .wednesday: [officeHours], .thursday: [WorkingInterval(start: TimeOfDay(hour: 8), end: TimeOfDay(hour: 12))],
        ],
        holidays: [
            .persian("1404-01-01", through: "1404-01-04", name: "Nowruz"),
            .persian("1404-01-12", name: "Islamic Republic Day"),
            .persian("1404-01-13", name: "Sizdah Bedar"),
            .persian("1405-01-01", through: "1405-01-04", name: "Nowruz"),
            .persian("1405-01-12", name: "Islamic Republic Day"),
            .persian("1405-01-13", name: "Sizdah Bedar"),
        ])

    /// A Berlin office: Monday to Friday 09:00–17:00, Christmas and New Year off.
    public static let berlin = example(
        id: "berlin", name: "Berlin office", timeZone: "Europe/Berlin", week: weekdays(nineToFive),
        holidays: [
            .gregorian("2025-12-25", through: "2025-12-26", name: "Christmas"),
            .gregorian("2026-01-01", name: "New Year's Day"),
        ])

    /// A New York office: Monday to Friday 09:00–17:00, Christmas and New Year's Day off.
    public static let newYork = example(
        id: "new-york", name: "New York office", timeZone: "America/New_York", week: weekdays(nineToFive),
        holidays: [
            .gregorian("2025-12-25", name: "Christmas Day"),
            .gregorian("2026-01-01", name: "New Year's Day"),
        ])

    /// Always working, no holidays: business time is plain elapsed time.
    public static let twentyFourSeven = example(
        id: "24x7", name: "24/7", timeZone: "UTC",
        week: Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, [wholeDay]) }))

    private static let officeHours = WorkingInterval(start: TimeOfDay(hour: 8), end: TimeOfDay(hour: 16))
    private static let nineToFive = WorkingInterval(start: TimeOfDay(hour: 9), end: TimeOfDay(hour: 17))
    private static let wholeDay = WorkingInterval(start: TimeOfDay(hour: 0), end: TimeOfDay(hour: 24))

    private static func weekdays(_ interval: WorkingInterval) -> [Weekday: [WorkingInterval]] {
        [.monday: [interval], .tuesday: [interval], .wednesday: [interval], .thursday: [interval], .friday: [interval]]
    }

    /// Fixed data that the tests validate; it can only fail on a system without time zone data.
    private static func example(
        id: String, name: String, timeZone: String, week: [Weekday: [WorkingInterval]], holidays: [Holiday] = []
    ) -> BusinessCalendar {
        do {
            return try BusinessCalendar(id: id, name: name, timeZone: timeZone, week: week, holidays: holidays)
        } catch {
            fatalError("example calendar \(id): \(error)")
        }
    }
}
