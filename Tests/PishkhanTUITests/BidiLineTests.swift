import Foundation
@testable import PishkhanTUI
import Testing

/// Persian in a terminal that draws characters left to right in the order it gets them.
@Suite struct BidiLineTests {
    /// The visual line, read from its right end and folded back to base letters (NFKC undoes the Arabic
    /// presentation forms used for joining), is the logical text again.
    static func readRightToLeft(_ visual: String) -> String {
        String(String(visual.unicodeScalars.reversed().map(Character.init)).precomposedStringWithCompatibilityMapping)
    }

    @Test func persianIsDrawnRightToLeftWithJoinedLetters() {
        let subject = "سفارش نرسیده"
        let visual = BidiLine.visual(subject)
        #expect(visual != subject)
        #expect(Self.readRightToLeft(visual) == subject)
        // Joined: the letters are presentation forms, so a terminal without shaping still shows words.
        #expect(visual.unicodeScalars.contains { (0xFE70...0xFEFF).contains($0.value) })
    }

    @Test func numbersAndLatinWordsKeepTheirOrderInsidePersian() {
        let visual = BidiLine.visual("سفارش BZ-1042 هنوز نرسیده")
        #expect(visual.contains("BZ-1042"), "\(visual)")
        let amount = BidiLine.visual("مبلغ 250000 تومان")
        #expect(amount.contains("250000"), "\(amount)")
        // A Persian paragraph starts at the right: its first word is drawn last.
        #expect(Self.readRightToLeft(amount).hasPrefix("مبلغ "), "\(amount)")
        #expect(Self.readRightToLeft(amount).hasSuffix(" تومان"), "\(amount)")
    }

    @Test func englishWithAPersianNameStaysLeftToRight() {
        // By the bidi algorithm a number after Persian letters belongs to the Persian run…
        #expect(BidiLine.visual("Order late for مریم احمدی (#12)").hasPrefix("Order late for (12#)"))
        // …so a name from the customer is isolated before it is put into an English line.
        let visual = BidiLine.visual("Order late for \(BidiLine.isolate("مریم احمدی")) (#12)")
        #expect(visual.hasPrefix("Order late for "))
        #expect(visual.hasSuffix(" (#12)"), "\(visual)")
        #expect(!visual.unicodeScalars.contains { (0x2066...0x2069).contains($0.value) }, "the isolate marks are not drawn")
        #expect(BidiLine.visual("Plain English (no change)") == "Plain English (no change)")
    }

    @Test func aTerminalThatReordersGetsTheTextUnchanged() {
        #expect(BidiLine.visual("سفارش نرسیده", mode: .terminal) == "سفارش نرسیده")
        #expect(BidiLine.visualLines("سلام\nHello", mode: .reorder).last == "Hello")
    }

    @Test func widthsCountColumnsNotCharacters() {
        #expect(DisplayWidth.of("می‌خواهم") == 7, "the ZWNJ takes no column")
        #expect(DisplayWidth.of("日本") == 4)
        #expect(DisplayWidth.of("é") == 1)
        #expect(DisplayWidth.truncate("Where is my order?", to: 10) == "Where is …")
        #expect(DisplayWidth.truncate("日本語テキスト", to: 6) == "日本…")
        #expect(DisplayWidth.of(DisplayWidth.fit("سفارش", to: 8)) == 8)
    }
}

@Suite struct WrapTests {
    @Test func wrapsByWordsInReadingOrder() {
        #expect(DisplayWidth.wrap("one two three four", to: 9) == ["one two", "three", "four"])
        #expect(DisplayWidth.wrap("short", to: 10) == ["short"])
        #expect(DisplayWidth.wrap("abcdefghij", to: 4) == ["abcd", "efgh", "ij"])
        // A Persian sentence keeps its first words on the first line.
        let lines = DisplayWidth.wrap("سلام مریم عزیز، سفارش شما امروز ارسال می‌شود", to: 16)
        #expect(lines.first == "سلام مریم عزیز،")
        #expect(lines.allSatisfy { DisplayWidth.of($0) <= 16 })
        #expect(BidiLine.isRightToLeftParagraph("  سلام Ali") && !BidiLine.isRightToLeftParagraph("Hi سلام"))
    }
}
