import Foundation
import Hummingbird
import HummingbirdTesting
import PishkhanChannels
import PishkhanCore
import PishkhanStore
import Testing

@Suite struct SMSWebhookTests {
    typealias App = SMSTestApp

    @Test func aSignedMessageOpensATicketAndIsAnsweredWithEmptyTwiML() async throws {
        let app = try await App.make()
        try await app.run { client in
            let r = try await App.post(client, "/webhooks/sms/sms", App.incoming(sid: "SM0001", from: "۰۹۱۲۳۴۵۶۷۸۹"))
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            #expect(r.headers[.contentType] == "text/xml")
            #expect(String(buffer: r.body) == #"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#)
        }
        let tickets = try await app.store.tickets(.init()).items
        #expect(tickets.count == 1)
        let ticket = try #require(tickets.first)
        #expect(ticket.channel == "sms" && ticket.channelKind == .sms)
        let messages = try await app.store.messages(ticketID: ticket.id)
        #expect(messages.map(\.externalID) == ["SM0001"])
        #expect(messages.first?.text == "سلام، سفارش من نرسیده")
        let customer = try await app.store.customerSummary(id: ticket.customerID)
        #expect(customer.identities.map(\.value) == ["+989123456789"], "Persian digits and the 09 form normalized")
    }

    @Test func aProviderRetryStoresOneMessage() async throws {
        let app = try await App.make()
        try await app.run { client in
            for _ in 0..<3 {
                #expect(try await App.post(client, "/webhooks/sms/sms", App.incoming(sid: "SM0002")).status == .ok)
            }
            // The same person writing again in national form joins the same ticket.
            #expect(try await App.post(client, "/webhooks/sms/sms", App.incoming(sid: "SM0003", from: "00989121234567", body: "?")).status == .ok)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("pishkhan_ingest_messages_total 2"))
            #expect(metrics.contains("pishkhan_ingest_duplicates_total 2"))
        }
        let tickets = try await app.store.tickets(.init()).items
        #expect(tickets.count == 1)
        #expect(try await app.store.messages(ticketID: tickets[0].id).compactMap(\.externalID) == ["SM0002", "SM0003"])
    }

    @Test func mediaLinksAreKeptOnTheMessage() async throws {
        let app = try await App.make()
        var params = App.incoming(sid: "MM0001", body: "")
        params.removeAll { $0.name == "NumMedia" }
        params += [("NumMedia", "1"), ("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/ACtest/Messages/MM0001/Media/ME1"),
                   ("MediaContentType0", "image/jpeg")]
        let mms = params
        try await app.run { client in
            let r = try await App.post(client, "/webhooks/sms/sms", mms)
            #expect(r.status == .ok)
        }
        let ticket = try #require(try await app.store.tickets(.init()).items.first)
        let message = try #require(try await app.store.messages(ticketID: ticket.id).first)
        #expect(message.media == [MediaLink(url: "https://api.twilio.com/2010-04-01/Accounts/ACtest/Messages/MM0001/Media/ME1", contentType: "image/jpeg")])
    }

    @Test func forgedMissingOrTamperedSignaturesAre403AndStoreNothing() async throws {
        let app = try await App.make()
        let params = App.incoming(sid: "SM0100")
        try await app.run { client in
            let missing = try await App.post(client, "/webhooks/sms/sms", params, signature: .some(nil))
            #expect(missing.status == .forbidden && missing.headers[.contentType] == "application/problem+json")
            let wrongKey = App.sign(App.publicBase + "/webhooks/sms/sms", params, token: "someone-else")
            #expect(try await App.post(client, "/webhooks/sms/sms", params, signature: .some(wrongKey)).status == .forbidden)
            // A valid signature of another body: the text was changed on the way.
            let original = App.sign(App.publicBase + "/webhooks/sms/sms", params)
            var tampered = params
            tampered[5].value = "send the refund to a different card"
            #expect(try await App.post(client, "/webhooks/sms/sms", tampered, signature: .some(original)).status == .forbidden)
            // A signature for another channel's URL is not one for this channel.
            let otherURL = App.sign(App.publicBase + "/webhooks/sms/other", params)
            #expect(try await App.post(client, "/webhooks/sms/sms", params, signature: .some(otherURL)).status == .forbidden)
            // A replayed delivery report signed for the inbound URL does not pass on the status URL.
            #expect(try await App.post(client, "/webhooks/sms/sms/status", params, signature: .some(original)).status == .forbidden)

            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"pishkhan_sms_webhook_refused_total{channel="sms",reason="missing_signature"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"pishkhan_sms_webhook_refused_total{channel="sms",reason="bad_signature"} 4"#), "\(metrics)")
        }
        #expect(try await app.store.tickets(.init()).items.isEmpty)
        #expect(try await app.store.events(after: 0, limit: 10).isEmpty)
    }

    @Test func theSignatureIsCheckedAgainstThePublicURLNotTheHostHeader() async throws {
        let app = try await App.make()
        // Behind a proxy the request reaches us as http://localhost/… with forwarding headers anyone can
        // forge; the provider signed the public URL, which only the channel file knows.
        let proxied = HTTPFields([
            HTTPFields.Element(name: .init("X-Forwarded-Proto")!, value: "http"),
            HTTPFields.Element(name: .init("X-Forwarded-Host")!, value: "10.0.0.5:8080"),
        ])
        try await app.run { client in
            for url in ["http://localhost/webhooks/sms/sms", "http://10.0.0.5:8080/webhooks/sms/sms"] {
                let inner = App.sign(url, App.incoming(sid: "SM0200"))
                let refused = try await App.post(client, "/webhooks/sms/sms", App.incoming(sid: "SM0200"), signature: .some(inner), headers: proxied)
                #expect(refused.status == .forbidden)
            }
            let accepted = try await App.post(client, "/webhooks/sms/sms", App.incoming(sid: "SM0200"), headers: proxied)
            #expect(accepted.status == .ok)
            // The query string is part of the signed URL.
            let withQuery = try await App.post(client, "/webhooks/sms/sms?source=backup", App.incoming(sid: "SM0201"))
            #expect(withQuery.status == .ok)
            let queryDropped = App.sign(App.publicBase + "/webhooks/sms/sms", App.incoming(sid: "SM0202"))
            #expect(try await App.post(client, "/webhooks/sms/sms?source=backup", App.incoming(sid: "SM0202"), signature: .some(queryDropped)).status == .forbidden)
        }
        #expect(try await app.store.tickets(.init()).items.first?.messageCount == 2)
    }

    @Test func unknownChannelsChannelsWithoutAProviderAndOversizeBodiesAreRefused() async throws {
        let app = try await App.make()
        try await app.run { client in
            #expect(try await App.post(client, "/webhooks/sms/nowhere", App.incoming(sid: "SM1")).status == .notFound)
            #expect(try await App.post(client, "/webhooks/sms/support-email", App.incoming(sid: "SM1")).status == .notFound)
            #expect(try await App.post(client, "/webhooks/sms/sms-plain", App.incoming(sid: "SM1")).status == .notFound)
            let huge = App.incoming(sid: "SM2", body: String(repeating: "x", count: 70 * 1024))
            let r = try await App.post(client, "/webhooks/sms/sms", huge)
            #expect(r.status == .contentTooLarge)
            let malformed = try await client.execute(uri: "/webhooks/sms/sms", method: .post,
                                                     headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "Body=%ZZ"))
            #expect(malformed.status == .badRequest)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"pishkhan_sms_webhook_refused_total{channel="unknown",reason="unknown_channel"} 2"#), "\(metrics)")
            #expect(metrics.contains(#"pishkhan_sms_webhook_refused_total{channel="sms-plain",reason="not_configured"} 1"#))
            #expect(metrics.contains(#"pishkhan_sms_webhook_refused_total{channel="sms",reason="too_large"} 1"#))
        }
        #expect(try await app.store.tickets(.init()).items.isEmpty)
    }

    @Test func aSignedMessageFromNoPhoneNumberIs422() async throws {
        let app = try await App.make()
        try await app.run { client in
            let r = try await App.post(client, "/webhooks/sms/sms", App.incoming(sid: "SM3", from: "not-a-number"))
            #expect(r.status == .unprocessableContent)
        }
        #expect(try await app.store.tickets(.init()).items.isEmpty)
    }

    @Test func aDeliveryReportForAMessageWeDidNotSendIsIgnored() async throws {
        let app = try await App.make()
        try await app.run { client in
            let r = try await App.post(client, "/webhooks/sms/sms/status", [("MessageSid", "SMunknown"), ("MessageStatus", "delivered")])
            #expect(r.status == .ok)
        }
        #expect(try await app.store.events(after: 0, limit: 10).isEmpty)
    }
}
