import ArgumentParser
import Foundation
import PishkhanChannels
import PishkhanCore

/// `pishkhan-bench mime`: MIME decoding throughput on one core over a deterministic corpus of
/// real-shaped messages (`MIMECorpus`).
struct MIME: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mime", abstract: "Decode a mixed corpus of real-shaped email on one core; MB/s and messages/s.")

    @Option(help: "Messages in the corpus.") var messages = 2000
    @Option(help: "Decode the corpus repeatedly for at least this many seconds.") var seconds = 5.0

    func run() async throws {
        let corpus = MIMECorpus.realShaped(count: messages, seed: 0x5049_5348_4B48_414E)
        let corpusBytes = corpus.reduce(0) { $0 + $1.count }
        var checksum = Self.decodeAll(corpus) // warm-up
        var passes = 0
        let start = ContinuousClock.now
        var elapsed = 0.0
        repeat {
            checksum &+= Self.decodeAll(corpus)
            passes += 1
            elapsed = (ContinuousClock.now - start).seconds
        } while elapsed < seconds
        // What opening an iconv descriptor per call costs: a 4-byte windows-1256 word, many times.
        let sample: [UInt8] = [0xD3, 0xE1, 0xC7, 0xE3]
        let charset = Charset(label: "windows-1256")
        let calls = 200_000
        let t0 = ContinuousClock.now
        for _ in 0..<calls { checksum &+= charset.decode(sample).utf8.count }
        let iconvMicros = (ContinuousClock.now - t0).seconds * 1e6 / Double(calls)
        let report: [String: JSONValue] = [
            "machine": Ingest().machine(), "corpusMessages": .int(Int64(messages)), "corpusBytes": .int(Int64(corpusBytes)),
            "passes": .int(Int64(passes)), "seconds": .number(elapsed.rounded(to: 3)),
            "mbPerSecond": .number((Double(corpusBytes * passes) / 1_000_000 / elapsed).rounded(to: 1)),
            "messagesPerSecond": .number((Double(messages * passes) / elapsed).rounded()),
            "iconvSmallDecodeMicros": .number(iconvMicros.rounded(to: 2)), "checksum": .int(Int64(checksum % 1_000_000)),
            "target": .string("≥ 50 MB/s on one core"),
        ]
        print(String(decoding: try JSONEncoder.pretty.encode(report), as: UTF8.self))
    }

    static func decodeAll(_ corpus: [[UInt8]]) -> Int {
        var checksum = 0
        for message in corpus {
            if let email = try? EmailDecoder.decode(message) {
                checksum &+= email.textBody.utf8.count &+ email.attachments.count &+ email.replyText.utf8.count
            }
        }
        return checksum
    }
}
