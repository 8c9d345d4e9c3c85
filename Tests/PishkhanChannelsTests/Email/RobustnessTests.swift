import PishkhanCore
import Testing
@testable import PishkhanChannels

@Suite struct RobustnessTests {
    @Test func corpusIsDeterministic() {
        #expect(MIMECorpus.realShaped(count: 30, seed: 9) == MIMECorpus.realShaped(count: 30, seed: 9))
        #expect(MIMECorpus.realShaped(count: 30, seed: 9) != MIMECorpus.realShaped(count: 30, seed: 10))
    }

    @Test func everyCorpusMessageDecodesWithExpectedContent() throws {
        let corpus = MIMECorpus.realShaped(count: 120, seed: 42)
        var sawAttachment = false, sawDSN = false, sawPersianSubject = false, sawWindows1256 = false, sawHTML = false
        for raw in corpus {
            let email = try EmailDecoder.decode(raw)
            #expect(!email.textBody.isEmpty)
            #expect(!email.textBody.unicodeScalars.contains("\u{FFFD}"))
            #expect(!email.subject.unicodeScalars.contains("\u{FFFD}"))
            #expect(!email.subject.contains("=?"))
            if email.attachments.contains(where: { $0.contentType == "application/pdf" }) {
                sawAttachment = true
                #expect(email.attachments.first?.filename?.hasPrefix("فاکتور-") == true)
            }
            if email.automation == .deliveryReport(type: "delivery-status") { sawDSN = true }
            if email.subject.hasPrefix("مشکل ورود به حساب") { sawPersianSubject = true }
            if email.subject.hasPrefix("درخواست پشتيباني") { sawWindows1256 = true }
            if email.htmlBody != nil { sawHTML = true; #expect(email.textBody.count > 10) }
        }
        #expect(sawAttachment && sawDSN && sawPersianSubject && sawWindows1256 && sawHTML)
    }

    @Test func truncatedMessagesNeverCrash() {
        let corpus = MIMECorpus.realShaped(count: 20, seed: 3)
        for raw in corpus {
            var k = 0
            while k < raw.count {
                _ = try? EmailDecoder.decode(Array(raw[0..<k]))
                k += max(1, raw.count / 37)
            }
        }
    }

    @Test func randomByteFlipsNeverCrash() {
        var rng = SplitMix64(seed: 11)
        for raw in MIMECorpus.realShaped(count: 20, seed: 5) {
            for _ in 0..<10 {
                var mutated = raw
                for _ in 0..<20 {
                    let pos = Int(rng.next() % UInt64(mutated.count))
                    mutated[pos] = UInt8(truncatingIfNeeded: rng.next())
                }
                mutated.withUnsafeBytes { MIMEFuzz.run($0) }
            }
        }
    }

    @Test func hostileInputsFinishQuickly() {
        let inputs: [String] = [
            "Subject: " + String(repeating: "=?", count: 50_000) + "\n\nx",
            "Subject: " + String(repeating: "=?utf-8?q?", count: 20_000) + "\n\nx",
            "To: " + String(repeating: "<", count: 50_000) + "\n\nx",
            "To: " + String(repeating: "(", count: 50_000) + "\n\nx",
            "Content-Type: text/plain; " + String(repeating: "a*0*=%;", count: 20_000) + "\n\nx",
            "Content-Type: multipart/mixed; boundary=a\n\n" + String(repeating: "--a\n", count: 50_000),
            "Content-Type: text/html\n\n" + String(repeating: "<a href='x'>", count: 20_000),
            "Date: " + String(repeating: "1 ", count: 50_000) + "\n\nx",
            "From: a@b\n\n" + String(repeating: "On x wrote:\n", count: 20_000),
        ]
        let clock = ContinuousClock()
        for input in inputs {
            let elapsed = clock.measure { _ = try? EmailDecoder.decode(Array(input.utf8)) }
            #expect(elapsed < .seconds(10))
        }
    }

    @Test func binaryGarbageWithHeaderDoesNotCrash() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<100 {
            let garbage = (0..<Int(rng.next() % 2000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let raw = Array("Content-Type: multipart/mixed; boundary=x\r\nContent-Transfer-Encoding: base64\r\n\r\n--x\r\n".utf8) + garbage
            _ = try? EmailDecoder.decode(raw)
        }
    }
}
