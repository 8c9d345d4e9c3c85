import Foundation
import PishkhanCore
import Testing

@Suite struct JSONParsingTests {
    @Test("Parsed JSON equals what Foundation's decoder makes of it", arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
        #"  { "kind" : "outbound" , "messageID" : 123456789012 , "channel":"webchat" }  "#,
        #"{"n":-0.5,"e":1.5e3,"E":-2E-2,"z":0,"big":12345678901234567}"#,
        #"{"s":"سفارشم کجاست؟","q":"a\"b\\c\/d\n\t\r\b\f","u":"\u00e9\u06cc\ud83d\ude00"}"#,
        #"[]"#, #"{}"#, #""plain""#, #"3"#, #"[[[[1]]]]"#,
    ])
    func parsesLikeFoundation(text: String) throws {
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(JSONValue(parsing: text) == expected)
    }

    @Test("Text that is not JSON is refused", arguments: [
        "", " ", "{", "}", #"{"a":}"#, #"{"a":1,}"#, "[1,]", "[1 2]", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
        #""unterminated"#, "\"tab\there\"", #""\x""#, #""\ud800""#, #""\ud800\u0041""#, #"{"a":1} x"#, "{a:1}", "NaN",
    ])
    func refusesInvalid(text: String) {
        #expect(JSONValue(parsing: text) == nil)
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        #expect(JSONValue(parsing: String(repeating: "[", count: 100_000)) == nil)
    }

    @Test func writtenTextParsesBack() {
        let value = JSONValue.object(["a": .string("x\"y\u{1}"), "b": .array([.number(1), .number(2.5), .null]), "c": .bool(true)])
        #expect(JSONValue(parsing: value.jsonText) == value)
    }

    @Test("Events are written as the API's JSONEncoder writes them", arguments: [Int64?.some(7), nil])
    func eventTextMatchesTheEncoder(ids: Int64?) throws {
        let event = Event(
            seq: 42, type: .messageAdded, ticketID: ids, customerID: ids.map { $0 + 1 },
            occurredAt: Date(timeIntervalSince1970: 1_790_000_000.262),
            data: ["messageID": .int(9), "kind": .string("inbound"), "channel": .string("webchat"), "tags": .array([.string("a/b")])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(ISO8601.format(date))
        }
        #expect(event.jsonText == String(decoding: try encoder.encode(event), as: UTF8.self))
    }
}
