import Foundation
import Hummingbird
import HummingbirdTesting
import PishkhanChannels
import PishkhanCore
import PishkhanStore
import Testing

@Suite struct ChatWebhookRouteTests {
    typealias App = ChatWebhookTestApp

    @Test func aSignedMessageIsStoredOnceAndAnsweredAfterTheCommit() async throws {
        let app = try await App.make()
        let body = App.message(id: "m-1")
        try await app.run { client in
            for _ in 0..<3 {
                let r = try await app.postChat(client, body)
                #expect(r.status == .ok, "\(String(buffer: r.body))")
            }
            let again = try JSONSerialization.jsonObject(with: Data(buffer: try await app.postChat(client, body).body)) as? [String: Any]
            #expect(again?["duplicate"] as? Bool == true)
            // The same visitor in the same conversation: the same ticket.
            #expect(try await app.postChat(client, App.message(id: "m-2", text: "?")).status == .ok)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("pishkhan_ingest_messages_total 2") && metrics.contains("pishkhan_ingest_duplicates_total 3"))
        }
        let tickets = try await app.store.tickets(.init()).items
        #expect(tickets.count == 1)
        let ticket = try #require(tickets.first)
        #expect(ticket.channel == "partner-chat" && ticket.channelKind == .webhook)
        let messages = try await app.store.messages(ticketID: ticket.id)
        #expect(messages.compactMap(\.externalID) == ["c-81:m-1", "c-81:m-2"])
        #expect(messages.first?.text == "سلام، سفارشم نرسیده")
        let customer = try await app.store.customerSummary(id: ticket.customerID)
        #expect(customer.identities.map(\.value) == ["partner-chat:v-12"] && customer.identities.map(\.kind) == [.external])
        #expect(customer.name == "Sara")
    }

    @Test func forgedMissingAndReplayedSignaturesAreRefusedAndCounted() async throws {
        let app = try await App.make()
        let body = App.message(id: "m-9")
        try await app.run { client in
            let forged = try await app.postChat(client, body, signing: .forged)
            #expect(forged.status == .forbidden && forged.headers[.contentType] == "application/problem+json")
            #expect(String(buffer: forged.body).contains("X-Pishkhan-Signature does not match"))
            let missing = try await app.postChat(client, body, signing: .none)
            #expect(missing.status == .unauthorized && String(buffer: missing.body).contains("X-Pishkhan-Signature is missing"))
            #expect(try await app.postChat(client, body, signing: .noTimestamp).status == .unauthorized)
            // A call recorded six minutes ago and played again, and one signed for later.
            let stale = try await app.postChat(client, body, signing: .valid(at: app.clock.now().addingTimeInterval(-360)))
            #expect(stale.status == .forbidden && String(buffer: stale.body).contains("more than 5 minutes old"))
            #expect(try await app.postChat(client, body, signing: .valid(at: app.clock.now().addingTimeInterval(360))).status == .forbidden)
            // Tampering with a signed body.
            var headers: HTTPFields = [.contentType: "application/json"]
            for (name, value) in ChatWebhookSignature.headers(body: Array(body.utf8), secret: App.secret, now: app.clock.now()) {
                headers.append(.init(name: .init(name)!, value: value))
            }
            let tampered = body.replacingOccurrences(of: "m-9", with: "m-0")
            let r = try await client.execute(uri: "/webhooks/chat/partner-chat", method: .post, headers: headers, body: ByteBuffer(string: tampered))
            #expect(r.status == .forbidden)

            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"pishkhan_chat_webhook_refused_total{kind="webhook",channel="partner-chat",reason="bad_signature"} 2"#))
            #expect(metrics.contains(#"reason="missing_signature"} 1"#) && metrics.contains(#"reason="missing_timestamp"} 1"#))
            #expect(metrics.contains(#"reason="stale"} 1"#) && metrics.contains(#"reason="future"} 1"#))
        }
        #expect(try await app.store.tickets(.init()).items.isEmpty)
    }

    @Test func bodiesAreCheckedOnlyOnceSigned() async throws {
        let app = try await App.make()
        try await app.run { client in
            let bad = try await app.postChat(client, #"{"conversationId":"c","senderId":"v","text":"no id"}"#)
            #expect(bad.status == .badRequest && String(buffer: bad.body).contains("messageId is required"))
            let unsigned = try await app.postChat(client, "not json", signing: .none)
            #expect(unsigned.status == .unauthorized, "an unsigned body is never read")
            let big = App.message(id: "m-big", text: String(repeating: "x", count: 70_000))
            #expect(try await app.postChat(client, big).status == .contentTooLarge)
            #expect(try await app.postChat(client, App.message(id: "m-1"), channel: "nowhere").status == .notFound)
            #expect(try await app.postChat(client, App.message(id: "m-1"), channel: "api").status == .notFound, "a webhook channel without a section")
            #expect(try await app.postChat(client, App.message(id: "m-1"), channel: "sms").status == .notFound)
        }
    }

    // MARK: Telegram

    @Test func telegramUpdatesNeedTheSecretToken() async throws {
        let app = try await App.make()
        let update = App.telegramText(update: 1, message: 1, text: "hi")
        try await app.run { client in
            #expect(try await App.postTelegram(client, update, secret: .some(nil)).status == .unauthorized)
            let wrong = try await App.postTelegram(client, update, secret: "telegram-hook-secreT")
            #expect(wrong.status == .forbidden && wrong.headers[.contentType] == "application/problem+json")
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"pishkhan_chat_webhook_refused_total{kind="telegram",channel="telegram",reason="bad_secret"} 1"#))
            #expect(metrics.contains(#"reason="missing_secret"} 1"#))
        }
        #expect(try await app.store.tickets(.init()).items.isEmpty)
    }

    @Test func telegramMessagesAndEditsAreStoredOnceAndOthersTakenAndIgnored() async throws {
        let app = try await App.make()
        try await app.run { client in
            let text = App.telegramText(update: 10, message: 17, text: "سلام، سفارشم کجاست؟")
            #expect(try await App.postTelegram(client, text).status == .ok)
            #expect(try await App.postTelegram(client, text).status == .ok, "Telegram's retry")
            let edit = App.telegramText(update: 11, message: 17, text: "سلام، سفارش ۱۰۴۲ کجاست؟", edited: true)
            #expect(try await App.postTelegram(client, edit).status == .ok)
            let sticker = #"""
                {"update_id": 12, "message": {"message_id": 18, "date": 1790000000, "from": {"id": 5550001, "is_bot": false, "first_name": "Reza"},
                 "chat": {"id": 5550001, "type": "private"}, "sticker": {"file_id": "CAAD", "width": 512, "height": 512}}}
                """#
            #expect(try await App.postTelegram(client, sticker).status == .ok)
            #expect(try await App.postTelegram(client, #"{"update_id": 13, "callback_query": {"id": "1", "data": "x"}}"#).status == .ok)
            #expect(try await App.postTelegram(client, "{not json").status == .badRequest)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"pishkhan_telegram_updates_ignored_total{channel="telegram",reason="unsupported_content"} 1"#))
            #expect(metrics.contains(#"pishkhan_telegram_updates_ignored_total{channel="telegram",reason="unsupported_update"} 1"#))
        }
        let tickets = try await app.store.tickets(.init()).items
        #expect(tickets.count == 1)
        let ticket = try #require(tickets.first)
        #expect(ticket.channelKind == .telegram)
        let messages = try await app.store.messages(ticketID: ticket.id)
        #expect(messages.compactMap(\.externalID) == ["5550001:17", "5550001:17:edit:1790000060"])
        #expect(messages.map(\.text) == ["سلام، سفارشم کجاست؟", "[edited] سلام، سفارش ۱۰۴۲ کجاست؟"])
        let customer = try await app.store.customerSummary(id: ticket.customerID)
        #expect(customer.identities.map(\.kind) == [.telegram] && customer.identities.map(\.value) == ["5550001"])
        #expect(customer.name == "Reza Karimi")
    }

    // MARK: Identity

    @Test func oneNumberBySMSAndByChatIsOneCustomer() async throws {
        let app = try await App.make()
        try await app.run { client in
            let sms = try await SMSTestApp.post(client, "/webhooks/sms/sms", SMSTestApp.incoming(sid: "SM1", from: "+989121234567"))
            #expect(sms.status == .ok)
            // The visitor gives the same number in Persian digits and national form, and an email.
            let chat = App.message(sender: "v-77", id: "m-1", text: "من دیروز پیامک دادم", email: "Sara@Example.com", phone: "۰۹۱۲ ۱۲۳ ۴۵۶۷")
            #expect(try await app.postChat(client, chat).status == .ok)
            // A later chat from the same visitor without contact details finds them by their visitor id.
            #expect(try await app.postChat(client, App.message(conversation: "c-99", sender: "v-77", id: "m-2", name: nil)).status == .ok)
            // A Telegram user who shares that number is the same person too.
            let contact = #"""
                {"update_id": 20, "message": {"message_id": 30, "date": 1790000000, "from": {"id": 8880002, "is_bot": false, "first_name": "Sara"},
                 "chat": {"id": 8880002, "type": "private"}, "contact": {"phone_number": "989121234567", "user_id": 8880002}}}
                """#
            #expect(try await App.postTelegram(client, contact).status == .ok)
        }
        let page = try await app.store.customers(search: nil, limit: 10, cursor: nil)
        #expect(page.items.count == 1, "one customer 360")
        let customer = try await app.store.customerSummary(id: try #require(page.items.first).id)
        let identities = Set(customer.identities.map { "\($0.kind.rawValue):\($0.value)" })
        #expect(identities == ["phone:+989121234567", "external:partner-chat:v-77", "email:sara@example.com", "telegram:8880002"])
        let tickets = try await app.store.tickets(.init()).items
        #expect(Set(tickets.map(\.channel)) == ["sms", "partner-chat", "telegram"])
        #expect(tickets.count == 3, "a new conversation of a visitor with an active ticket joins it by recency")
    }
}
