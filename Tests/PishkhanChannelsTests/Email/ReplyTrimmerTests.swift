import Testing
@testable import PishkhanChannels

@Suite struct ReplyTrimmerTests {
    @Test func cutsEnglishGmailAttributionWrappedOverTwoLines() {
        let text = """
        Thanks, that fixed it.

        On Mon, Jun 30, 2025 at 9:00 AM Pishkhan Support <
        support@pishkhan.ir> wrote:

        > Please try again.
        > Regards
        """
        #expect(ReplyTrimmer.trim(text) == "Thanks, that fixed it.")
    }

    @Test func cutsOutlookOriginalMessageMarker() {
        let text = "Yes please.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: me\nSubject: Re: x\n\nold text"
        #expect(ReplyTrimmer.trim(text) == "Yes please.")
    }

    @Test func cutsOutlookFromSentHeaderBlockWithRule() {
        let text = """
        Approved.

        ________________________________
        From: Pishkhan Support <support@pishkhan.ir>
        Sent: Monday, June 30, 2025 9:00 AM
        To: Ali <ali@example.com>
        Subject: Refund request

        Please confirm.
        """
        #expect(ReplyTrimmer.trim(text) == "Approved.")
    }

    @Test func cutsQuotedLinesWithoutAttribution() {
        #expect(ReplyTrimmer.trim("> old line\n> another\nmy answer\n") == "my answer")
    }

    @Test func cutsRFC3676SignatureDelimiter() {
        #expect(ReplyTrimmer.trim("Body text\n\n-- \nJohn Smith\nACME Inc.") == "Body text")
    }

    @Test func cutsPersianGmailAttributionWithBidiMarks() {
        let text = """
        ممنون، مشکل حل شد.

        \u{202B}در تاریخ دوشنبه ۹ تیر ۱۴۰۴ ساعت ۹:۰۰ پشتیبانی پیشخوان <support@pishkhan.ir> نوشت:\u{202C}

        > لطفاً دوباره امتحان کنید.
        """
        #expect(ReplyTrimmer.trim(text) == "ممنون، مشکل حل شد.")
    }

    @Test func cutsPersianAttributionWrappedOverLines() {
        let text = "باشه.\n\nدر تاریخ ۱ تیر ۱۴۰۴،\nعلی <ali@example.com> نوشت:\n> قبلی"
        #expect(ReplyTrimmer.trim(text) == "باشه.")
    }

    @Test func cutsArabicGmailAttribution() {
        #expect(ReplyTrimmer.trim("شكرا.\n\nفي الاثنين، ٣٠ يونيو ٢٠٢٥، ٩:٠٠ ص Support <s@x.com> كتب:\n> old") == "شكرا.")
    }

    @Test func cutsPersianOriginalMessageMarker() {
        #expect(ReplyTrimmer.trim("تایید می‌کنم.\n\n----- پیام اصلی -----\nاز: پشتیبانی\nمتن قبلی") == "تایید می‌کنم.")
    }

    @Test func cutsPersianOutlookHeaderBlock() {
        let text = "بله.\n\nاز: پشتیبانی <s@pishkhan.ir>\nارسال شده: دوشنبه\nبه: علی\nموضوع: سفارش\n\nمتن قبلی"
        #expect(ReplyTrimmer.trim(text) == "بله.")
    }

    @Test func keepsBottomPostedAnswer() {
        let text = "On Mon, 30 Jun 2025, Support <s@x.com> wrote:\n> Which plan?\n\nThe premium plan.\n\n-- \nsig"
        #expect(ReplyTrimmer.trim(text) == "The premium plan.")
    }

    @Test func sentenceEndingInWroteIsNotAnAttribution() {
        let text = "My colleague wrote:\nthe report is late."
        #expect(ReplyTrimmer.trim(text) == text)
    }

    @Test func fullyQuotedMessageFallsBackToWholeText() {
        #expect(ReplyTrimmer.trim("> only quoted\n") == "> only quoted")
    }

    @Test func decoderKeepsFullTextBodyAndTrimsReplyText() throws {
        let email = try TestSupport.decode("From: a@b.c\n\nNew text\n\nOn Tue, 1 Jul 2025, B <b@c.d> wrote:\n> old\n")
        #expect(email.replyText == "New text")
        #expect(email.textBody.contains("> old"))
    }
}
