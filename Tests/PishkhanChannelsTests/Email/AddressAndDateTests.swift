import Foundation
import Testing
@testable import PishkhanChannels

@Suite struct AddressAndDateTests {
    private func addresses(_ s: String) -> [EmailAddress] { AddressListParser.parse(s) }

    @Test func parsesNameAngleAddrAndBareAddresses() {
        let list = addresses("John Doe <john@example.com>, jane@example.org, \"Smith, Bob\" <bob@x.io>")
        #expect(list == [
            EmailAddress(address: "john@example.com", displayName: "John Doe"),
            EmailAddress(address: "jane@example.org"),
            EmailAddress(address: "bob@x.io", displayName: "Smith, Bob"),
        ])
    }

    @Test func decodesRFC2047DisplayNames() {
        let list = addresses("=?UTF-8?B?2YXYsduM2YU=?= =?UTF-8?B?INin2K3Zhdiv24w=?= <maryam@example.ir>")
        #expect(list.first?.displayName == "مریم احمدی")
        #expect(list.first?.address == "maryam@example.ir")
    }

    @Test func decodesRFC2047InsideQuotedDisplayName() {
        #expect(addresses("\"=?windows-1256?Q?=D3=E1=C7=E3?=\" <a@b.ir>").first?.displayName == "سلام")
    }

    @Test func rawUTF8DisplayNameIsAccepted() {
        #expect(addresses("پشتیبانی پیشخوان <support@pishkhan.ir>").first?.displayName == "پشتیبانی پیشخوان")
    }

    @Test func groupSyntaxIsTolerated() {
        let list = addresses("Team: a@x.com, B <b@x.com>;, undisclosed-recipients:;, c@x.com")
        #expect(list.map(\.address) == ["a@x.com", "b@x.com", "c@x.com"])
    }

    @Test func commentSuppliesNameForBareAddress() {
        #expect(addresses("john@example.com (John Doe)").first == EmailAddress(address: "john@example.com", displayName: "John Doe"))
    }

    @Test func brokenAddressesDoNotCrash() {
        for s in ["<", ">", "\"", "<<a@b>>", "a@b <c@d", ",,,", "Name Only", "=?utf-8?q?x,y?= <a@b>", "(((", ";:;"] {
            _ = addresses(s)
        }
        #expect(addresses("<<a@b>>").first?.address == "a@b")
        #expect(addresses("a@b.c <unterminated@x.y").last?.address == "unterminated@x.y")
        #expect(addresses("Name Only").isEmpty)
    }

    @Test func messageIDsLoseAngleBracketsAndKeepOrder() {
        #expect(MessageIDList.parse("<a@x> (comment) <b@y>\r\n <c@z>") == ["a@x", "b@y", "c@z"])
        #expect(MessageIDList.parse("bare-id@example.com") == ["bare-id@example.com"])
        #expect(MessageIDList.parse("") == [])
    }

    static let dates: [(String, String?)] = [
        ("Tue, 01 Jul 2025 10:20:30 +0000", "2025-07-01T10:20:30Z"),
        ("Tue, 1 Jul 2025 13:50:30 +0330", "2025-07-01T10:20:30Z"),
        ("1 Jul 2025 10:20 -0500", "2025-07-01T15:20:00Z"),
        ("Tue, 01 Jul 25 10:20:30 GMT", "2025-07-01T10:20:30Z"),
        ("Thu, 01 Jul 99 10:20:30 EST", "1999-07-01T15:20:30Z"),
        ("Tue, 01 Jul 2025 10:20:30 PDT", "2025-07-01T17:20:30Z"),
        ("Tue, 01 Jul 2025 10:20:30 Z", "2025-07-01T10:20:30Z"),
        ("Tue, 01 Jul 2025 10:20:30 A", "2025-07-01T10:20:30Z"),
        ("Tue,  1 Jul 2025 10:20:30 +0000 (UTC)", "2025-07-01T10:20:30Z"),
        ("Tuesday, 01-Jul-2025 10:20:30", nil),
        ("Tue Jul  1 10:20:30 2025", "2025-07-01T10:20:30Z"),
        ("Sat, 29 Feb 2025 10:00:00 +0000", nil),
        ("not a date", nil),
        ("", nil),
    ]

    @Test(arguments: dates)
    func parsesRFC5322DatesIncludingObsoleteZones(_ row: (String, String?)) {
        let parsed = RFC5322Date.parse(row.0)
        if let expected = row.1 {
            #expect(parsed.map { ISO8601DateFormatter().string(from: $0) } == expected)
        } else {
            #expect(parsed == nil)
        }
    }

    @Test func formatsRFC5322DateAndParsesItBack() {
        let date = Date(timeIntervalSince1970: 1_751_365_230)  // 2025-07-01T10:20:30Z
        #expect(RFC5322Date.format(date) == "Tue, 01 Jul 2025 10:20:30 +0000")
        #expect(RFC5322Date.parse(RFC5322Date.format(date)) == date)
        #expect(RFC5322Date.format(date, offsetSeconds: 12_600) == "Tue, 01 Jul 2025 13:50:30 +0330")
    }
}
