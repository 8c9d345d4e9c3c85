import ArgumentParser
import Foundation
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanServer
import PishkhanStore
import PishkhanTestSupport

/// `pishkhan-bench imap`: messages from a local Dovecot (started here, on loopback) to stored tickets
/// through the real poller: fetch, keep raw, decode, Intake, mark seen, advance the watermark.
struct IMAP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imap", abstract: "Messages from a local Dovecot to stored tickets per second (needs root: Dovecot runs as a test user).")

    @Option(help: "Messages in the mailbox.") var messages = 10_000
    @Option(help: "Scratch directory (deleted afterwards).") var scratch: String = NSTemporaryDirectory()

    func run() async throws {
        let root = URL(fileURLWithPath: scratch).appendingPathComponent("pishkhan-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let report = try await DovecotServer.with { dovecot -> JSONValue in
            // Real-shaped mail: the MIME benchmark's corpus, each with its own sender and Message-ID.
            let corpus = MIMECorpus.realShaped(count: 500, seed: 7)
            var bytes = 0
            for i in 0..<messages {
                let header = Array("From: Customer \(i) <customer\(i)@example.com>\r\nMessage-ID: <bench-\(i)@example.com>\r\n".utf8)
                let body = Self.withoutSenderAndID(corpus[i % corpus.count])
                bytes += header.count + body.count
                try dovecot.deliver(header + body)
            }
            let store = try Ingest.openStore(root.appendingPathComponent("store"))
            _ = try await store.seedSLAIfNew(SLA.config)
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            let config = EmailChannelConfig(
                channel: "support-email",
                imap: .init(host: "127.0.0.1", port: dovecot.port, security: .none, user: DovecotServer.user, passwordEnv: nil, verifyPeer: true),
                mailbox: "INBOX", pollInterval: .seconds(60), afterStore: .markSeen, smtp: nil)
            let poller = try MailboxPoller(config: config, channel: Ingest.channels["support-email"]!, password: DovecotServer.password,
                                           store: store, rules: .standard, logger: logger)
            PeakRSS.reset()
            FileHandle.standardError.write(Data("mailbox ready (\(messages) messages); polling\n".utf8))
            let start = ContinuousClock.now
            let result = try await poller.poll()
            let seconds = (ContinuousClock.now - start).seconds
            // The IMAP round trips on their own: fetch one by one and flag over one reused connection, and
            // fetch 64 at a time as the poller does.
            let client = try IMAPClient(settings: config.imap!.settings(password: DovecotServer.password))
            _ = try await client.select("INBOX")
            let sample = min(500, messages)
            let t0 = ContinuousClock.now
            for uid in 1...UInt32(sample) { _ = try await client.fetch(uid: uid) }
            let fetchRate = Double(sample) / (ContinuousClock.now - t0).seconds
            let t2 = ContinuousClock.now
            for first in stride(from: 1, through: sample, by: 64) {
                _ = try await client.fetch(uids: Array(UInt32(first)...UInt32(min(sample, first + 63))))
            }
            let batchFetchRate = Double(sample) / (ContinuousClock.now - t2).seconds
            let t1 = ContinuousClock.now
            for uid in 1...UInt32(sample) { try await client.markSeen(uid: uid) }
            let flagRate = Double(sample) / (ContinuousClock.now - t1).seconds
            return .object([
                "messages": .int(Int64(messages)), "mailboxMiB": .number((Double(bytes) / 1_048_576).rounded(to: 1)),
                "stored": .int(Int64(result.stored)), "duplicates": .int(Int64(result.duplicates)),
                "quarantined": .int(Int64(result.quarantined)), "seconds": .number(seconds.rounded(to: 2)),
                "messagesPerSecond": .number((Double(result.fetched) / seconds).rounded()),
                "pipeline": .string("UID SEARCH, UID FETCH <256 UIDs> (UID BODY.PEEK[]) per batch on one read-only connection per poll (3 batches committing while the next is fetched), raw kept, MIME decode, Intake (synchronous=FULL), UID STORE \\Seen per batch, watermark"),
                "target": .string("≥ 1000 messages/s"), "peakRSSMiB": .number(PeakRSS.mebibytes),
                "error": result.error.map(JSONValue.string) ?? .null,
                "fetchOnlyPerSecond": .number(fetchRate.rounded()), "batchFetchOnlyPerSecond": .number(batchFetchRate.rounded()), "flagOnlyPerSecond": .number(flagRate.rounded()),
            ])
        }
        print(String(decoding: try JSONEncoder.pretty.encode(["machine": Ingest().machine(), "imap": report]), as: UTF8.self))
    }

    /// Drops the corpus message's own From and Message-ID header lines.
    static func withoutSenderAndID(_ message: [UInt8]) -> [UInt8] {
        let text = String(decoding: message, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        if let end = lines.firstIndex(of: "") {
            lines[0..<end] = lines[0..<end].filter { !$0.lowercased().hasPrefix("from:") && !$0.lowercased().hasPrefix("message-id:") }[...]
        }
        return Array(lines.joined(separator: "\r\n").utf8)
    }
}
