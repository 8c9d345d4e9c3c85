@testable import PishkhanChannels
import Testing

/// Parsing and quoting rules, without a server.
struct IMAPSyntaxTests {
    @Test func uidSetsAreCompactRanges() {
        #expect(IMAPSyntax.uidSet([1, 2, 3, 7, 9, 10]) == "1:3,7,9:10")
        #expect(IMAPSyntax.uidSet([5, 3, 4, 4]) == "3:5")
        #expect(IMAPSyntax.uidSet([42]) == "42")
        #expect(IMAPSyntax.uidSet([4_294_967_294, 4_294_967_295]) == "4294967294:4294967295")
    }

    @Test func selectRepliesGiveStatus() throws {
        let status = try IMAPSyntax.mailboxStatus([
            "* FLAGS (\\Answered \\Seen)",
            "* 3 EXISTS",
            "* 0 RECENT",
            "* OK [UIDVALIDITY 1795469379] UIDs valid",
            "* OK [UIDNEXT 4] Predicted next UID",
        ])
        #expect(status == IMAPMailboxStatus(uidValidity: 1_795_469_379, uidNext: 4, exists: 3))
    }

    @Test func selectWithoutUIDValidityIsMalformed() {
        #expect(throws: IMAPError.self) { try IMAPSyntax.mailboxStatus(["* 1 EXISTS"]) }
    }

    @Test func searchAndCapabilitiesAreRead() {
        #expect(IMAPSyntax.searchResults(["* SEARCH 4 5 9"]) == [4, 5, 9])
        #expect(IMAPSyntax.searchResults(["* SEARCH"]) == [])
        #expect(IMAPSyntax.capabilities(["* CAPABILITY IMAP4rev1 IDLE move"]) == ["IMAP4REV1", "IDLE", "MOVE"])
    }

    @Test func fetchResponsesGiveUIDAndBodyInAnyOrder() {
        let body = Array("Subject: x\r\n\r\n) {3}\r\n".utf8)
        let first = IMAPFetchResponse(Array("* 3 FETCH (UID 40 BODY[] {\(body.count)}\r\n".utf8) + body + Array(")".utf8))
        #expect(first?.uid == 40 && first?.body == body)
        let second = IMAPFetchResponse(Array("* 4 FETCH (FLAGS (\\Seen) BODY[] {\(body.count)}\r\n".utf8) + body + Array(" UID 41)".utf8))
        #expect(second?.uid == 41 && second?.body == body)
        let flagsOnly = IMAPFetchResponse(Array("* 5 FETCH (UID 42 FLAGS (\\Seen))".utf8))
        #expect(flagsOnly?.uid == 42 && flagsOnly?.body == nil)
        #expect(IMAPFetchResponse(Array("* 5 EXPUNGE".utf8)) == nil)
        #expect(IMAPFetchResponse(Array("* 6 FETCH (UID 43 BODY[] {99}\r\nshort)".utf8)) == nil)
    }

    @Test func flagsAreReadForTheRightUID() {
        let lines = ["* 1 FETCH (UID 7 FLAGS (\\Seen \\Flagged))", "* 2 FETCH (FLAGS () UID 8)"]
        #expect(IMAPSyntax.flags(lines, uid: 7) == ["\\Seen", "\\Flagged"])
        #expect(IMAPSyntax.flags(lines, uid: 8) == [])
        #expect(IMAPSyntax.flags(lines, uid: 9) == nil)
    }

    @Test func quotingEscapesAndRefusesLineBreaks() throws {
        #expect(try IMAPSyntax.quoted(#"a "b" \c"#) == #""a \"b\" \\c""#)
        #expect(throws: IMAPError.self) { try IMAPSyntax.quoted("a\r\nb") }
        #expect(URLPath.segment("Sent Items/ü") == "Sent%20Items%2F%C3%BC")
    }

    @Test func readerKeepsLiteralsInsideOneResponse() {
        var reader = IMAPResponseReader()
        reader.append(Array("* 1 FETCH (BODY[] {5}\r\nab\r".utf8))
        #expect(reader.nextResponse() == nil)
        reader.append(Array("\n)\r\n* 2 EXISTS\r\nP1 OK done\r\n".utf8))
        #expect(reader.nextResponse().map { String(decoding: $0, as: UTF8.self) } == "* 1 FETCH (BODY[] {5}\r\nab\r\n)")
        #expect(reader.nextResponse().map { String(decoding: $0, as: UTF8.self) } == "* 2 EXISTS")
        #expect(reader.nextResponse().map { String(decoding: $0, as: UTF8.self) } == "P1 OK done")
        #expect(reader.nextResponse() == nil)
    }

    @Test func mailboxNamesInModifiedUTF7() {
        // RFC 3501 §5.1.3's example, and the ampersand.
        #expect(IMAPMailboxName.encode("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
        #expect(IMAPMailboxName.encode("Tom & Jerry") == "Tom &- Jerry")
        #expect(IMAPMailboxName.encode("INBOX") == "INBOX")
        for name in ["پیگیری شده", "Archive/بایگانی ۱۴۰۵", "😀 emoji", "a&b/ج", "x\u{00E9}"] {
            #expect(IMAPMailboxName.decode(IMAPMailboxName.encode(name)) == name, "\(name) → \(IMAPMailboxName.encode(name))")
        }
        #expect(IMAPMailboxName.decode("&U,BTFw-") == "台北")
        #expect(IMAPMailboxName.decode("broken&abc") == nil)
        #expect(IMAPMailboxName.decode("&!!-") == nil)
    }
}
