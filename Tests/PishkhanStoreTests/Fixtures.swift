import Foundation
import PishkhanCore
import PishkhanStore
import Synchronization

/// A clock tests move by hand: no sleeping.
final class TestClock: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_790_000_000))
    var date: Date { now.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    func set(_ date: Date) { now.withLock { $0 = date } }
    var function: @Sendable () -> Date { { self.date } }
}

enum Fixture {
    static let email = ChannelSettings(id: "support-email", kind: .email)
    static let sms = ChannelSettings(id: "sms", kind: .sms, threadWindow: 3600)
    static let rules = PriorityRules.standard

    static func email(_ id: String, from: String = "ali@example.com", subject: String = "Order late", text: String = "Where is my order?",
                      messageID: String? = nil, inReplyTo: [String] = [], name: String? = "Ali Rezaei") -> InboundMessage {
        InboundMessage(
            channel: "support-email", channelKind: .email, externalID: id,
            sender: .init(address: from, displayName: name),
            threadHints: .init(messageID: messageID, inReplyTo: inReplyTo), subject: subject, text: text)
    }

    static func sms(_ id: String, from: String = "09123456789", text: String = "سلام") -> InboundMessage {
        InboundMessage(channel: "sms", channelKind: .sms, externalID: id, sender: .init(address: from), text: text)
    }

    static func tempDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pishkhan-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
