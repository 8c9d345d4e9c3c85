import Foundation
import PishkhanCore
import Testing

@Suite struct DateFormatTests {
    @Test("Dates are written as UTC ISO 8601 with milliseconds and read back", arguments: [
        0.0, 1_790_000_000.262, 1_790_000_000.9996, 951_782_400.5, 4_102_444_799.999,
    ])
    func roundTrip(seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let text = ISO8601.format(date)
        #expect(text == date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        let back = try #require(ISO8601.parse(text))
        #expect(abs(back.timeIntervalSince1970 - seconds) < 0.0006)
    }
}
