import Testing
@testable import PishkhanChannels

@Suite struct HTMLTextTests {
    private func text(_ html: String) -> String { HTMLText.text(fromHTML: html) }

    @Test func removesScriptStyleHeadAndComments() {
        let html = "<html><head><title>T</title><style>p{color:red}</style></head><body><!-- hidden --><script>alert('x<p>')</script><p>Visible</p></body></html>"
        #expect(text(html) == "Visible")
    }

    @Test func blockElementsBecomeLineBreaks() {
        #expect(text("<div>one</div><div>two</div><p>para</p><h1>Title</h1>tail") == "one\ntwo\n\npara\n\nTitle\n\ntail")
    }

    @Test func brBecomesNewline() {
        #expect(text("a<br>b<br/><br />c") == "a\nb\n\nc")
    }

    @Test func listItemsBecomeBulletsAndNumbers() {
        #expect(text("<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol>") == "• one\n• two\n\n1. first\n2. second")
    }

    @Test func linksKeepUrlWhenItDiffersFromText() {
        #expect(text("<a href=\"https://pishkhan.ir/help\">Help center</a>") == "Help center (https://pishkhan.ir/help)")
        #expect(text("<a href=\"https://pishkhan.ir\">https://pishkhan.ir</a>") == "https://pishkhan.ir")
        #expect(text("<a href=\"mailto:s@x.ir\">s@x.ir</a>") == "s@x.ir")
        #expect(text("<a href=\"#top\">Top</a> <a href='javascript:void(0)'>x</a>") == "Top x")
    }

    @Test func entitiesAreDecoded() {
        #expect(text("Tom &amp; Jerry &lt;3 &quot;hi&quot; &#1587;&#x644;&#1575;&#x645; &euro;&nbsp;5 &copy; &unknown; &#150;") == "Tom & Jerry <3 \"hi\" سلام € 5 © &unknown; –")
    }

    @Test func whitespaceIsCollapsed() {
        #expect(text("  lots \n\n of \t  space   <b> here </b> ") == "lots of space here")
    }

    @Test func persianRTLContentIsUnchanged() {
        let html = "<div dir=\"rtl\" style=\"text-align:right\">سلام،&zwnj;<b>می‌خواهم</b> سفارشم را لغو کنم.</div><div>با تشکر</div>"
        #expect(text(html) == "سلام،\u{200C}می‌خواهم سفارشم را لغو کنم.\nبا تشکر")
    }

    @Test func blockquoteBecomesQuotedLines() {
        #expect(text("<p>Answer</p><blockquote><p>old</p><p>older</p></blockquote>") == "Answer\n\n> old\n\n> older")
    }

    @Test func preservesWhitespaceInPre() {
        #expect(text("<pre>a  b\n  c</pre>") == "a  b\n  c")
    }

    @Test func tableCellsAreSeparated() {
        #expect(text("<table><tr><td>Order</td><td>123</td></tr><tr><td>Total</td><td>5</td></tr></table>") == "Order 123\nTotal 5")
    }

    @Test func brokenMarkupDoesNotCrashOrLoop() {
        for s in ["<", "<<<>>>", "<a href=\"x", "<script>never closed", "<!-- unterminated", "a < b > c", "&#xFFFFFFFF;", "&#0;", "<head><p>no head close", String(repeating: "<head>", count: 2000)] {
            _ = text(s)
        }
        #expect(text("a < b") == "a < b")
        #expect(text("<head><p>no head close") == "no head close")
    }

    @Test func largeInputIsLinear() {
        let html = String(repeating: "<div><p>سلام <a href=\"https://x.ir\">link</a> &amp; text</p></div>", count: 20_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure { _ = text(html) }
        #expect(elapsed < .seconds(5))
    }
}
