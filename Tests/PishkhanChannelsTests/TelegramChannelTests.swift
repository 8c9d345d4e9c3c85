import Foundation
import PishkhanCore
import Testing
@testable import PishkhanChannels

@Suite struct TelegramChannelTests {
    static let received = Date(timeIntervalSince1970: 1_790_000_100)
    static let user = #"{"id": 5550001, "is_bot": false, "first_name": "Reza", "last_name": "Karimi", "username": "rezak", "language_code": "fa"}"#
    static let privateChat = #"{"id": 5550001, "first_name": "Reza", "type": "private"}"#

    static func outcome(_ json: String) throws -> TelegramInbound.Outcome {
        TelegramInbound.outcome(try JSONDecoder().decode(TelegramUpdate.self, from: Data(json.utf8)), channel: "telegram", receivedAt: received)
    }

    static func message(_ json: String) throws -> InboundMessage {
        guard case .message(let m) = try outcome(json) else { throw ValidationError(field: "update", reason: "was ignored") }
        return m
    }

    @Test func aTextMessageIsFromTheTelegramUserThreadedByChat() throws {
        let m = try Self.message(#"""
            {"update_id": 900001, "message": {"message_id": 17, "from": \#(Self.user), "chat": \#(Self.privateChat),
             "date": 1790000000, "text": "سلام، سفارشم کجاست؟", "entities": []}}
            """#)
        #expect(m.channelKind == .telegram && m.externalID == "5550001:17")
        #expect(m.sender == .init(kind: .telegram, address: "5550001", displayName: "Reza Karimi"))
        #expect(m.threadHints.conversationID == "5550001")
        #expect(m.text == "سلام، سفارشم کجاست؟")
        #expect(m.sentAt == Date(timeIntervalSince1970: 1_790_000_000) && m.receivedAt == Self.received)
    }

    @Test func anEditIsANewMessageMarkedEditedWithItsOwnKey() throws {
        let m = try Self.message(#"""
            {"update_id": 900002, "edited_message": {"message_id": 17, "from": \#(Self.user), "chat": \#(Self.privateChat),
             "date": 1790000000, "edit_date": 1790000050, "text": "سلام، سفارش ۱۰۴۲ کجاست؟"}}
            """#)
        #expect(m.externalID == "5550001:17:edit:1790000050", "not the original's key, so it is stored; a retry of the edit is not")
        #expect(m.text == "[edited] سلام، سفارش ۱۰۴۲ کجاست؟")
        #expect(m.threadHints.conversationID == "5550001")
        #expect(m.sentAt == Date(timeIntervalSince1970: 1_790_000_050))
    }

    @Test func aPhotoKeepsItsCaptionAndANoteOfThePicture() throws {
        let m = try Self.message(#"""
            {"update_id": 900003, "message": {"message_id": 18, "from": \#(Self.user), "chat": \#(Self.privateChat), "date": 1790000000,
             "photo": [{"file_id": "AgAD-s", "file_unique_id": "u1", "width": 90, "height": 67, "file_size": 1200},
                       {"file_id": "AgAD-l", "file_unique_id": "u2", "width": 1280, "height": 960, "file_size": 98000}],
             "caption": "این بسته آسیب دیده رسید"}}
            """#)
        #expect(m.text == "این بسته آسیب دیده رسید\n[photo 1280×960, kept by Telegram]")
        let bare = try Self.message(#"""
            {"update_id": 900004, "message": {"message_id": 19, "from": \#(Self.user), "chat": \#(Self.privateChat), "date": 1790000000,
             "document": {"file_id": "BQAD", "file_unique_id": "u3", "file_name": "invoice.pdf", "mime_type": "application/pdf"}}}
            """#)
        #expect(bare.text == "[document: invoice.pdf, application/pdf, kept by Telegram]")
    }

    @Test func sharingTheirOwnContactAddsTheirPhone() throws {
        let m = try Self.message(#"""
            {"update_id": 900005, "message": {"message_id": 20, "from": \#(Self.user), "chat": \#(Self.privateChat), "date": 1790000000,
             "contact": {"phone_number": "989121234567", "first_name": "Reza", "user_id": 5550001}}}
            """#)
        #expect(m.contacts == [.init(kind: .phone, address: "989121234567")])
        let other = try Self.message(#"""
            {"update_id": 900006, "message": {"message_id": 21, "from": \#(Self.user), "chat": \#(Self.privateChat), "date": 1790000000,
             "contact": {"phone_number": "+989351112233", "first_name": "Mina", "user_id": 777}}}
            """#)
        #expect(other.contacts.isEmpty, "someone else's number is not the sender's identity")
    }

    @Test(arguments: [
        // A sticker: nothing an agent can answer as text.
        (#"{"update_id": 1, "message": {"message_id": 1, "from": \#(TelegramChannelTests.user), "chat": \#(TelegramChannelTests.privateChat), "date": 1, "sticker": {"file_id": "CAAD", "file_unique_id": "s", "width": 512, "height": 512, "is_animated": false, "is_video": false, "type": "regular"}}}"#,
         TelegramInbound.IgnoredReason.unsupportedContent),
        (#"{"update_id": 2, "callback_query": {"id": "44", "from": \#(TelegramChannelTests.user), "chat_instance": "1", "data": "yes"}}"#, .unsupportedUpdate),
        (#"{"update_id": 3, "channel_post": {"message_id": 5, "chat": {"id": -1001, "type": "channel", "title": "News"}, "date": 1, "text": "hi"}}"#, .unsupportedUpdate),
        (#"{"update_id": 4, "message": {"message_id": 6, "from": \#(TelegramChannelTests.user), "chat": {"id": -42, "type": "group", "title": "Friends"}, "date": 1, "text": "hi"}}"#, .notPrivateChat),
        (#"{"update_id": 5, "message": {"message_id": 7, "from": {"id": 9, "is_bot": true, "first_name": "Other bot"}, "chat": \#(TelegramChannelTests.privateChat), "date": 1, "text": "hi"}}"#, .noPerson),
        (#"{"update_id": 6, "my_chat_member": {"chat": \#(TelegramChannelTests.privateChat), "from": \#(TelegramChannelTests.user), "date": 1}}"#, .unsupportedUpdate),
    ])
    func unsupportedUpdatesAreIgnoredWithAReason(json: String, reason: TelegramInbound.IgnoredReason) throws {
        #expect(try Self.outcome(json) == .ignored(reason))
    }

    // MARK: sendMessage

    @Test func aLongReplyIsSplitAtLineBreaksWithinTheLimit() {
        #expect(TelegramBotAPI.parts("Hello") == ["Hello"])
        let paragraph = String(repeating: "سلام دنیا ", count: 300)          // 3000 UTF-16 units
        let text = paragraph + "\n" + paragraph + "\n" + paragraph + "end"
        let parts = TelegramBotAPI.parts(text)
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { $0.utf16.count <= 4096 })
        #expect(parts[0] == paragraph.trimmingCharacters(in: .whitespaces) && parts[2].hasSuffix("end"))
        let words = String(repeating: "word ", count: 2000)                  // no line break: cut at spaces
        let cut = TelegramBotAPI.parts(words)
        #expect(cut.count == 3 && cut.allSatisfy { $0.utf16.count <= 4096 && !$0.hasSuffix("wor") })
        #expect(cut.joined(separator: " ") == words.trimmingCharacters(in: .whitespaces))
        let emoji = String(repeating: "😀", count: 3000)                     // 6000 units, no spaces: cut between characters
        let pieces = TelegramBotAPI.parts(emoji)
        #expect(pieces.map { $0.utf16.count } == [4096, 1904] && pieces.joined() == emoji)
    }

    @Test func botAPIAnswersAreRead() {
        let ok = TelegramBotAPI.answer(Data(#"{"ok":true,"result":{"message_id":812,"chat":{"id":5550001,"type":"private"},"date":1,"text":"x"}}"#.utf8))
        #expect(ok?.ok == true && ok?.result?.messageID == 812)
        let limited = Data(#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#.utf8)
        #expect(TelegramBotAPI.answer(limited)?.parameters?.retryAfter == 7)
        #expect(TelegramBotAPI.reason(status: 429, body: limited) == "HTTP 429: Too Many Requests: retry after 7")
        let sent = try? JSONSerialization.jsonObject(with: TelegramBotAPI.SendMessage(chatID: "5550001", text: "سلام").encoded()) as? [String: String]
        #expect(sent == ["chat_id": "5550001", "text": "سلام"])
    }
}
