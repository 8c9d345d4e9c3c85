import Foundation
import Testing
@testable import PishkhanChannels

@Suite struct EmailDecoderTests {
    @Test func decodesGmailStylePersianAlternativeMessage() throws {
        let subject = Array("درخواست بازگشت وجه".utf8)
        let s1 = String(decoding: Base64.encode(subject[0..<7]), as: UTF8.self)
        let s2 = String(decoding: Base64.encode(subject[7...]), as: UTF8.self)
        let text = "سلام،\nلطفاً وجه سفارش ۱۲۳ را برگردانید.\n"
        let raw = """
        Delivered-To: support@pishkhan.ir
        MIME-Version: 1.0
        Date: Wed, 2 Jul 2025 09:15:00 +0330
        Message-ID: <CAF=abc123@mail.gmail.com>
        In-Reply-To: <ticket-42@pishkhan.ir>
        References: <ticket-1@pishkhan.ir>
         <ticket-42@pishkhan.ir>
        From: =?UTF-8?B?2YXYsduM2YU=?= <maryam@gmail.com>
        To: Support <support@pishkhan.ir>, =?UTF-8?Q?=D9=81=D8=B1=D9=88=D8=B4?= <sales@pishkhan.ir>
        Cc: boss@example.com
        Reply-To: Maryam <maryam+reply@gmail.com>
        Subject: =?UTF-8?B?\(s1)?=
         =?UTF-8?B?\(s2)?=
        Content-Type: multipart/alternative; boundary="000000000000b1c2"

        --000000000000b1c2
        Content-Type: text/plain; charset="UTF-8"
        Content-Transfer-Encoding: base64

        \(TestSupport.base64(text))
        --000000000000b1c2
        Content-Type: text/html; charset="UTF-8"
        Content-Transfer-Encoding: quoted-printable

        <div dir=3D"rtl">=D8=B3=D9=84=D8=A7=D9=85</div>
        --000000000000b1c2--
        """
        let email = try TestSupport.decode(raw)
        #expect(email.subject == "درخواست بازگشت وجه")
        #expect(email.messageID == "CAF=abc123@mail.gmail.com")
        #expect(email.inReplyTo == ["ticket-42@pishkhan.ir"])
        #expect(email.references == ["ticket-1@pishkhan.ir", "ticket-42@pishkhan.ir"])
        #expect(email.from == EmailAddress(address: "maryam@gmail.com", displayName: "مریم"))
        #expect(email.to.map(\.displayName) == ["Support", "فروش"])
        #expect(email.cc.map(\.address) == ["boss@example.com"])
        #expect(email.replyTo.first?.address == "maryam+reply@gmail.com")
        #expect(email.date == RFC5322Date.parse("Wed, 2 Jul 2025 05:45:00 +0000"))
        #expect(email.textBody == text)
        #expect(email.htmlBody == "<div dir=\"rtl\">سلام</div>")
        #expect(email.attachments.isEmpty)
        #expect(email.automation == nil)
    }

    @Test func decodesOutlookWindows1256QuotedPrintableMessage() throws {
        var raw = TestSupport.crlf("""
        From: =?windows-1256?B?0+HH4w==?= <ali@example.ir>
        To: support@pishkhan.ir
        Subject: =?windows-1256?Q?=CF=D1=CE=E6=C7=D3=CA?=
        Content-Type: text/plain; charset="windows-1256"
        Content-Transfer-Encoding: quoted-printable

        =D3=E1=C7=E3=
         =C8=D1 =D4=E3=C7

        """)
        raw += TestSupport.crlf("X-Trailer: none\n")
        let email = try EmailDecoder.decode(raw)
        #expect(email.subject == "درخواست")
        #expect(email.from?.displayName == "سلام")
        #expect(email.textBody.hasPrefix("سلام بر شما"))
    }

    @Test func decodesIso88596EightBitBody() throws {
        let head = TestSupport.crlf("From: a@b.c\nSubject: test\nContent-Type: text/plain; charset=iso-8859-6\nContent-Transfer-Encoding: 8bit\n\n")
        let email = try EmailDecoder.decode(head + [0xD3, 0xE4, 0xC7, 0xE5])
        #expect(email.textBody == "سلام")
    }

    @Test func unlabelledEightBitHeaderUsesMessageCharset() throws {
        let head: [UInt8] = Array("From: a@b.c\r\nSubject: ".utf8) + [0xD3, 0xE1, 0xC7, 0xE3]
            + Array("\r\nContent-Type: text/plain; charset=windows-1256\r\n\r\nbody".utf8)
        #expect(try EmailDecoder.decode(head).subject == "سلام")
    }

    @Test func attachmentsCarryDecodedFilenamesTypesIdsAndData() throws {
        let raw = """
        From: a@b.c
        Subject: files
        Content-Type: multipart/mixed; boundary="mix"

        --mix
        Content-Type: text/plain; charset=utf-8

        see attached
        --mix
        Content-Type: application/pdf; name="=?UTF-8?B?2YHYp9qp2KrZiNixLnBkZg==?="
        Content-Disposition: attachment;
         filename*0*=utf-8''%D9%81%D8%A7%DA%A9;
         filename*1*=%D8%AA%D9%88%D8%B1.pdf
        Content-Transfer-Encoding: base64

        JVBERi0xLjQK
        --mix
        Content-Type: image/png
        Content-ID: <logo@pishkhan>
        Content-Disposition: inline
        Content-Transfer-Encoding: base64

        iVBORw0KGgo=
        --mix
        Content-Type: text/plain; name="notes.txt"

        a text file
        --mix--
        """
        let email = try TestSupport.decode(raw)
        #expect(email.textBody == "see attached")
        #expect(email.attachments.count == 3)
        let pdf = email.attachments[0]
        #expect(pdf.filename == "فاکتور.pdf")
        #expect(pdf.contentType == "application/pdf")
        #expect(pdf.data == Array("%PDF-1.4\n".utf8))
        #expect(!pdf.isInline)
        let logo = email.attachments[1]
        #expect(logo.contentID == "logo@pishkhan")
        #expect(logo.isInline)
        #expect(logo.filename == nil)
        #expect(email.attachments[2].filename == "notes.txt")
    }

    @Test func relatedImagesWithoutDispositionAreInlineAttachments() throws {
        let raw = """
        From: a@b.c
        Content-Type: multipart/related; boundary=rel; type="text/html"

        --rel
        Content-Type: text/html; charset=utf-8

        <p>Hello <img src="cid:i1"></p>
        --rel
        Content-Type: image/gif
        Content-ID: <i1>
        Content-Transfer-Encoding: base64

        R0lGODlh
        --rel--
        """
        let email = try TestSupport.decode(raw)
        #expect(email.htmlBody == "<p>Hello <img src=\"cid:i1\"></p>")
        #expect(email.textBody == "Hello")
        #expect(email.attachments.first?.isInline == true)
        #expect(email.attachments.first?.contentID == "i1")
    }

    @Test func htmlOnlyMessageDerivesTextBody() throws {
        let email = try TestSupport.decode("From: a@b.c\nContent-Type: text/html\n\n<html><body><p>Hi &amp; bye</p><ul><li>one</li></ul></body></html>")
        #expect(email.textBody == "Hi & bye\n\n• one")
        #expect(email.htmlBody != nil)
    }

    @Test func alternativePicksLastRenditionsAndKeepsCalendarAsAttachment() throws {
        let raw = """
        From: a@b.c
        Content-Type: multipart/alternative; boundary=a

        --a
        Content-Type: text/plain

        plain version
        --a
        Content-Type: text/html

        <b>html version</b>
        --a
        Content-Type: text/calendar; method=REQUEST

        BEGIN:VCALENDAR
        --a--
        """
        let email = try TestSupport.decode(raw)
        #expect(email.textBody == "plain version")
        #expect(email.htmlBody == "<b>html version</b>")
        #expect(email.attachments.map(\.contentType) == ["text/calendar"])
    }

    @Test func forwardedMessageIsAnAttachmentWithRawBytes() throws {
        let raw = """
        From: a@b.c
        Content-Type: multipart/mixed; boundary=f

        --f
        Content-Type: text/plain

        FYI
        --f
        Content-Type: message/rfc822

        From: x@y.z
        Subject: inner

        inner body
        --f--
        """
        let email = try TestSupport.decode(raw)
        #expect(email.textBody == "FYI")
        #expect(email.attachments.first?.contentType == "message/rfc822")
        let forwarded = String(decoding: email.attachments.first?.data ?? [], as: UTF8.self)
        #expect(forwarded.hasPrefix("From: x@y.z"))
        #expect(email.root.parts[1].message?.headers["subject"]?.decodedValue() == "inner")
    }

    @Test func signedMessageDropsSignaturePart() throws {
        let raw = """
        From: a@b.c
        Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=s

        --s
        Content-Type: text/plain

        signed text
        --s
        Content-Type: application/pkcs7-signature; name=smime.p7s

        MIAGCSqGSIb3DQEHAqCAMIACAQEx
        --s--
        """
        let email = try TestSupport.decode(raw)
        #expect(email.textBody == "signed text")
        #expect(email.attachments.isEmpty)
    }

    @Test func formatFlowedTextIsUnflowed() throws {
        let email = try TestSupport.decode("From: a@b.c\nContent-Type: text/plain; format=flowed\n\nThis is a long \nline that flows.\n> quoted \n> too\n")
        #expect(email.textBody == "This is a long line that flows.\n> quoted too\n")
    }

    @Test func multipleInlineTextPartsAreJoined() throws {
        let raw = "From: a@b.c\nContent-Type: multipart/mixed; boundary=m\n\n--m\n\nfirst\n--m\nContent-Type: image/png\n\nx\n--m\n\nsecond\n--m--\n"
        #expect(try TestSupport.decode(raw).textBody == "first\nsecond")
    }

    @Test func emptyInputThrows() {
        #expect(throws: EmailDecodingError.emptyInput) { try EmailDecoder.decode([]) }
        #expect(throws: EmailDecodingError.emptyInput) { try EmailDecoder.decode(Array(" \r\n\r\n".utf8)) }
    }

    @Test func inputWithoutHeaderBlockThrows() {
        #expect(throws: EmailDecodingError.noHeaders) { try EmailDecoder.decode(Array("just some words\nand more".utf8)) }
        #expect(throws: EmailDecodingError.noHeaders) { try EmailDecoder.decode(Array("\r\nbody only".utf8)) }
    }

    @Test func senderIsUsedWhenFromIsMissing() throws {
        #expect(try TestSupport.decode("Sender: Bot <bot@x.y>\n\nhi").from?.address == "bot@x.y")
    }

    @Test func missingSubjectAndDateAreEmptyAndNil() throws {
        let email = try TestSupport.decode("From: a@b.c\nDate: garbage\n\nhi")
        #expect(email.subject == "")
        #expect(email.date == nil)
        #expect(email.messageID == nil)
    }

    @Test func mislabelledCharsetProducesReplacementCharactersNotCrash() throws {
        let head = TestSupport.crlf("From: a@b.c\nContent-Type: text/plain; charset=utf-8\n\n")
        let email = try EmailDecoder.decode(head + [0x63, 0x61, 0x66, 0xE9, 0x20, 0xFF, 0xFE])
        #expect(email.textBody.hasPrefix("caf\u{FFFD}"))
    }
}
