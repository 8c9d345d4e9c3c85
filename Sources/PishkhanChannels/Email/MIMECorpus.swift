import PishkhanCore

/// Deterministic generator of real-shaped messages for benchmarks and tests: English and Persian text,
/// UTF-8 base64, windows-1256 quoted-printable, iso-8859-6, alternative with HTML, attachments of
/// 2–100 KB, forwarded message/rfc822, DSN multipart/report, RFC 2231 filenames, split RFC 2047 subjects.
public enum MIMECorpus {
    private static let english = [
        "Hello team, I cannot log in to my account since yesterday evening.",
        "The invoice attached to my last order shows the wrong billing address.",
        "Could you please check why the payment was charged twice this month?",
        "Thanks for the quick answer, the problem is solved now.",
        "I tried resetting the password but the email never arrived.",
        "Our office uses the premium plan with twelve seats and we need three more.",
    ]
    private static let persian = [
        "سلام، از دیروز نمی‌توانم وارد حساب کاربری‌ام بشوم.",
        "فاکتور سفارش آخر من نشانی اشتباهی دارد، لطفاً بررسی کنید.",
        "مبلغ اشتراک این ماه دو بار از کارت من کم شده است.",
        "با تشکر از پاسخ سریع شما، مشکل برطرف شد.",
        "رمز عبور را بازنشانی کردم اما ایمیلی دریافت نکردم.",
        "لطفاً سه کاربر دیگر به طرح سازمانی ما اضافه کنید.",
    ]
    private static let arabic = [
        "مرحبا، لا أستطيع الدخول إلى حسابي منذ أمس.",
        "الفاتورة المرفقة تحتوي على عنوان خاطئ.",
        "شكرا لكم على الرد السريع.",
    ]

    /// `count` messages from `seed`; the same arguments always give the same bytes.
    public static func realShaped(count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        var result: [[UInt8]] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            let kind = Int(rng.next() % 10)
            let message: String
            var binary: [UInt8]?
            switch kind {
            case 0: message = plainEnglish(index, &rng)
            case 1: message = persianBase64(index, &rng)
            case 2: binary = windows1256QP(index, &rng); message = ""
            case 3: binary = iso88596(index, &rng); message = ""
            case 4, 5: message = alternative(index, &rng)
            case 6, 7: message = mixedWithAttachments(index, &rng)
            case 8: message = forwarded(index, &rng)
            default: message = deliveryReport(index, &rng)
            }
            result.append(binary ?? Array(message.utf8))
        }
        return result
    }

    // MARK: Pieces

    private static func pick<T>(_ items: [T], _ rng: inout SplitMix64) -> T { items[Int(rng.next() % UInt64(items.count))] }

    private static func paragraph(_ lines: [String], _ count: Int, _ rng: inout SplitMix64) -> String {
        (0..<count).map { _ in pick(lines, &rng) }.joined(separator: " ")
    }

    private static func commonHeaders(_ index: Int, subject: String, from: String = "Customer <customer@example.com>") -> String {
        let day = 1 + index % 28
        return "Return-Path: <customer@example.com>\r\n"
            + "Received: from mail.example.com (mail.example.com [192.0.2.1]) by mx.pishkhan.test with ESMTPS id \(index)\r\n"
            + "\tfor <support@pishkhan.test>; Tue, \(day) Jul 2025 10:00:00 +0330\r\n"
            + "Date: Tue, \(day) Jul 2025 10:\(10 + index % 50):00 +0330\r\n"
            + "From: \(from)\r\n"
            + "To: Support <support@pishkhan.test>\r\n"
            + "Subject: \(subject)\r\n"
            + "Message-ID: <msg-\(index)@example.com>\r\n"
            + "In-Reply-To: <reply-\(index)@pishkhan.test>\r\n"
            + "References: <root-\(index)@pishkhan.test> <reply-\(index)@pishkhan.test>\r\n"
            + "MIME-Version: 1.0\r\n"
    }

    private static func base64Lines(_ bytes: [UInt8]) -> String {
        String(decoding: Base64.encode(bytes, lineLength: 76), as: UTF8.self)
    }

    /// An RFC 2047 subject split in the middle of a UTF-8 character (as some mailers do).
    private static func splitSubject(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var cut = bytes.count / 2
        // Move the cut inside a multibyte sequence when possible.
        while cut < bytes.count - 1 && (bytes[cut] & 0xC0) != 0x80 { cut += 1 }
        let a = Base64.encode(bytes[0..<cut]), b = Base64.encode(bytes[cut...])
        return "=?UTF-8?B?\(String(decoding: a, as: UTF8.self))?=\r\n =?UTF-8?B?\(String(decoding: b, as: UTF8.self))?="
    }

    private static func plainEnglish(_ i: Int, _ rng: inout SplitMix64) -> String {
        let body = (0..<(3 + Int(rng.next() % 8))).map { _ in paragraph(english, 3, &rng) }.joined(separator: "\r\n\r\n")
        return commonHeaders(i, subject: "Re: Login problem #\(i)")
            + "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
            + body + "\r\n\r\nOn Mon, 30 Jun 2025 at 09:00, Support <support@pishkhan.test> wrote:\r\n> Please describe the problem.\r\n> Thanks\r\n\r\n-- \r\nJohn\r\n"
    }

    private static func persianBase64(_ i: Int, _ rng: inout SplitMix64) -> String {
        let body = (0..<(2 + Int(rng.next() % 6))).map { _ in paragraph(persian, 3, &rng) }.joined(separator: "\r\n\r\n")
            + "\r\n\r\nدر تاریخ ۱ تیر ۱۴۰۴، پشتیبانی <support@pishkhan.test> نوشت:\r\n> لطفاً مشکل را شرح دهید.\r\n"
        return commonHeaders(i, subject: splitSubject("مشکل ورود به حساب شماره \(i)"),
                             from: "=?UTF-8?B?\(String(decoding: Base64.encode(Array("مریم احمدی".utf8)), as: UTF8.self))?= <maryam@example.ir>")
            + "Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64Lines(Array(body.utf8)) + "\r\n"
    }

    private static func windows1256QP(_ i: Int, _ rng: inout SplitMix64) -> [UInt8] {
        let cs = Charset(label: "windows-1256")
        // Windows-1256 has no Persian yeh (U+06CC); Windows writes the Arabic yeh (U+064A) instead.
        let body = (0..<(2 + Int(rng.next() % 6))).map { _ in paragraph(persian, 3, &rng) }.joined(separator: "\r\n\r\n")
            .replacingYeh()
        let subjectBytes = cs.encode("درخواست پشتیبانی \(i)".replacingYeh()) ?? []
        let subject = "=?windows-1256?Q?" + String(decoding: EncodedWords.encodeQ(subjectBytes, phrase: true), as: UTF8.self) + "?="
        let head = commonHeaders(i, subject: subject)
            + "Content-Type: text/plain; charset=\"windows-1256\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        return Array(head.utf8) + QuotedPrintable.encode(cs.encode(body) ?? []) + [ASCII.cr, ASCII.lf]
    }

    private static func iso88596(_ i: Int, _ rng: inout SplitMix64) -> [UInt8] {
        let cs = Charset(label: "iso-8859-6")
        let body = (0..<(2 + Int(rng.next() % 5))).map { _ in paragraph(arabic, 3, &rng) }.joined(separator: "\r\n")
        let head = commonHeaders(i, subject: "Arabic request \(i)")
            + "Content-Type: text/plain; charset=ISO-8859-6\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        return Array(head.utf8) + (cs.encode(body) ?? []) + [ASCII.cr, ASCII.lf]
    }

    private static func htmlFor(_ paragraphs: [String]) -> String {
        "<html><head><style>p{margin:0}</style></head><body dir=\"auto\">"
            + paragraphs.map { "<p>\($0)</p>" }.joined()
            + "<p>See <a href=\"https://pishkhan.test/help\">the help center</a>.</p>"
            + "<div class=\"gmail_quote\"><blockquote>Previous message &amp; details</blockquote></div></body></html>"
    }

    private static func alternative(_ i: Int, _ rng: inout SplitMix64) -> String {
        let lines = (i % 2 == 0) ? persian : english
        let paragraphs = (0..<(3 + Int(rng.next() % 6))).map { _ in paragraph(lines, 2, &rng) }
        let text = paragraphs.joined(separator: "\r\n\r\n")
        let boundary = "000000000000alt\(i)"
        return commonHeaders(i, subject: splitSubject("پاسخ: سفارش \(i) Order"))
            + "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"
            + "--\(boundary)\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + String(decoding: QuotedPrintable.encode(Array(text.utf8)), as: UTF8.self) + "\r\n"
            + "--\(boundary)\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + String(decoding: QuotedPrintable.encode(Array(htmlFor(paragraphs).utf8)), as: UTF8.self) + "\r\n"
            + "--\(boundary)--\r\n"
    }

    private static func randomBytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count + 8)
        while out.count < count {
            var v = rng.next()
            for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: v)); v >>= 8 }
        }
        return Array(out.prefix(count))
    }

    private static func mixedWithAttachments(_ i: Int, _ rng: inout SplitMix64) -> String {
        let boundary = "----=_Part_\(i)_\(rng.next() % 100000)"
        var s = commonHeaders(i, subject: "Invoice and screenshots \(i)")
            + "Content-Type: multipart/mixed; boundary=\"\(boundary)\"\r\n\r\nThis is a multi-part message in MIME format.\r\n"
            + "--\(boundary)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + paragraph(english, 4, &rng) + "\r\n" + paragraph(persian, 2, &rng) + "\r\n"
        let attachmentCount = 1 + Int(rng.next() % 2)
        for k in 0..<attachmentCount {
            let size = 2_000 + Int(rng.next() % 98_000)
            let persianName = k == 0
            let disposition: String
            if persianName {
                let encoded = Array("فاکتور-\(i).pdf".utf8).map { b -> String in
                    ASCII.isAlnum(b) || b == 0x2E || b == ASCII.hyphen ? String(UnicodeScalar(b)) : "%" + String(b, radix: 16, uppercase: true)
                }.joined()
                let half = encoded.index(encoded.startIndex, offsetBy: encoded.count / 2)
                var cut = half
                while cut < encoded.endIndex, encoded[cut] != "%" { cut = encoded.index(after: cut) }
                disposition = "attachment;\r\n filename*0*=utf-8''\(encoded[..<cut]);\r\n filename*1*=\(encoded[cut...])"
            } else {
                disposition = "attachment; filename=\"screenshot-\(k).png\""
            }
            s += "--\(boundary)\r\nContent-Type: \(persianName ? "application/pdf" : "image/png")\r\n"
                + "Content-Transfer-Encoding: base64\r\nContent-Disposition: \(disposition)\r\n\r\n"
                + base64Lines(randomBytes(size, &rng)) + "\r\n"
        }
        return s + "--\(boundary)--\r\n"
    }

    private static func forwarded(_ i: Int, _ rng: inout SplitMix64) -> String {
        let boundary = "fwd-\(i)"
        let inner = "From: Original Sender <orig@example.org>\r\nTo: customer@example.com\r\nSubject: Original issue\r\n"
            + "Date: Mon, 30 Jun 2025 08:00:00 +0000\r\nMessage-ID: <orig-\(i)@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + paragraph(english, 5, &rng) + "\r\n"
        return commonHeaders(i, subject: "Fwd: Original issue")
            + "Content-Type: multipart/mixed; boundary=\"\(boundary)\"\r\n\r\n"
            + "--\(boundary)\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease see the forwarded message.\r\n"
            + "--\(boundary)\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"original.eml\"\r\n\r\n"
            + inner + "--\(boundary)--\r\n"
    }

    private static func deliveryReport(_ i: Int, _ rng: inout SplitMix64) -> String {
        let boundary = "dsn-\(i)"
        return "Date: Tue, 1 Jul 2025 10:00:00 +0000\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
            + "To: support@pishkhan.test\r\nSubject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
            + "Message-ID: <dsn-\(i)@mx.example.com>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"\(boundary)\"\r\n\r\n"
            + "--\(boundary)\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThis is the mail system at host mx.example.com.\r\n"
            + "I'm sorry to have to inform you that your message could not be delivered.\r\n"
            + "--\(boundary)\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
            + "Final-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            + "--\(boundary)\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@pishkhan.test\r\nSubject: Re: ticket \(i)\r\n"
            + "--\(boundary)--\r\n"
    }
}

private extension String {
    /// Persian yeh → Arabic yeh, as Windows does when saving Persian text in windows-1256.
    func replacingYeh() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\u{06CC}" ? "\u{064A}" : $0 }))
    }
}
