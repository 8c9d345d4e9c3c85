import Testing
@testable import PishkhanChannels

@Suite struct AutomationTests {
    private func classify(_ headers: String, body: String = "\nhello\n") throws -> AutomationReason? {
        try TestSupport.decode("From: Person <person@example.com>\nSubject: x\n" + headers + body).automation
    }

    @Test func humanMessageHasNoAutomationReason() throws {
        #expect(try classify("Auto-Submitted: no\nPrecedence: normal\n") == nil)
    }

    @Test func autoSubmittedOtherThanNoIsAutomated() throws {
        #expect(try classify("Auto-Submitted: auto-replied (vacation)\n") == .autoSubmitted(value: "auto-replied"))
        #expect(try classify("Auto-Submitted: Auto-Generated\n") == .autoSubmitted(value: "auto-generated"))
    }

    @Test(arguments: ["X-Autoreply: yes", "X-Autorespond: 1", "X-Auto-Response-Suppress: All", "X-AutoReply-From: a@b.c"])
    func vendorAutoReplyHeadersAreAutomated(_ header: String) throws {
        let name = String(header.split(separator: ":")[0])
        #expect(try classify(header + "\n") == .autoReplyHeader(name: name))
    }

    @Test(arguments: ["bulk", "junk", "list", "Bulk"])
    func precedenceBulkJunkListIsAutomated(_ value: String) throws {
        #expect(try classify("Precedence: \(value)\n") == .precedence(value: value.lowercased()))
    }

    @Test func listHeadersCountAsMailingList() throws {
        #expect(try classify("List-Id: <news.example.com>\n") == .mailingList(header: "List-Id"))
        #expect(try classify("List-Unsubscribe: <mailto:u@example.com>\n") == .mailingList(header: "List-Unsubscribe"))
    }

    @Test(arguments: ["MAILER-DAEMON@mx.example.com", "postmaster@example.com", "Mailer-Daemon@x.org"])
    func mailerDaemonAndPostmasterSendersAreAutomated(_ sender: String) throws {
        let email = try TestSupport.decode("From: Mail Delivery System <\(sender)>\nSubject: failure\n\nbounce")
        #expect(email.automation == .mailerDaemon(address: sender))
    }

    @Test func nullReturnPathIsAutomated() throws {
        #expect(try classify("Return-Path: <>\n") == .nullReturnPath)
    }

    @Test func deliveryStatusReportIsDSN() throws {
        let raw = """
        From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
        To: support@pishkhan.ir
        Subject: Delivery Status Notification (Failure)
        Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"

        --dsn
        Content-Type: text/plain

        Address not found
        --dsn
        Content-Type: message/delivery-status

        Reporting-MTA: dns; googlemail.com
        --dsn
        Content-Type: message/rfc822

        From: support@pishkhan.ir
        Subject: Re: ticket
        Message-ID: <pishkhan.t7.m9.x1@pishkhan.ir>

        original
        --dsn--
        """
        let email = try TestSupport.decode(raw)
        #expect(email.automation == .deliveryReport(type: "delivery-status"))
        #expect(email.reportedMessageIDs == ["pishkhan.t7.m9.x1@pishkhan.ir"], "the bounce names the reply it returns")
        #expect(email.textBody == "Address not found")
        #expect(email.attachments.map(\.contentType) == ["message/delivery-status", "message/rfc822"])
    }

    @Test func readReceiptReportIsAutomated() throws {
        let raw = "From: a@b.c\nContent-Type: multipart/report; report-type=disposition-notification; boundary=r\n\n--r\n\nread\n--r--\n"
        #expect(try TestSupport.decode(raw).automation == .deliveryReport(type: "disposition-notification"))
    }

    @Test func dsnTakesPriorityOverOtherSignals() throws {
        let raw = "From: MAILER-DAEMON@x.y\nAuto-Submitted: auto-replied\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\n\nx\n--r--\n"
        #expect(try TestSupport.decode(raw).automation == .deliveryReport(type: "delivery-status"))
    }

    @Test func headersOnlyBounceNamesTheOriginalMessage() throws {
        let raw = """
        From: MAILER-DAEMON@mx.example.net
        Subject: Undelivered Mail Returned to Sender
        Content-Type: multipart/report; report-type=delivery-status; boundary="b"

        --b
        Content-Type: text/plain

        The mail system: host said 550 no such user
        --b
        Content-Type: message/delivery-status

        Final-Recipient: rfc822; gone@example.com
        Action: failed
        --b
        Content-Type: text/rfc822-headers

        From: Support <support@bazaarche.example>
        Message-ID:
         <pishkhan.t12.m40.ab@bazaarche.example>
        Subject: Re: order

        --b--
        """
        let email = try TestSupport.decode(raw)
        #expect(email.reportedMessageIDs == ["pishkhan.t12.m40.ab@bazaarche.example"])
    }

    @Test func aHumanMessageForwardingAnotherReportsNothing() throws {
        let raw = "From: ali@example.com\nContent-Type: multipart/mixed; boundary=m\n\n--m\n\nsee below\n--m\nContent-Type: message/rfc822\n\nMessage-ID: <old@x>\nSubject: old\n\nold\n--m--\n"
        let email = try TestSupport.decode(raw)
        #expect(email.automation == nil && email.reportedMessageIDs.isEmpty)
    }
}
