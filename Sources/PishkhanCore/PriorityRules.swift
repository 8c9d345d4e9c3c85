import Foundation

/// Classifies a new ticket's priority: the highest of the channel's default, the customer's tier and any
/// keyword rule that matches the subject or text (folded, so `فوري` matches `فوری`).
public struct PriorityRules: Codable, Sendable, Equatable {
    public struct KeywordRule: Codable, Sendable, Equatable {
        public var priority: Priority
        public var keywords: [String]
        public init(priority: Priority, keywords: [String]) {
            self.priority = priority
            self.keywords = keywords
        }
    }

    public var keywordRules: [KeywordRule] { didSet { folded = Self.fold(keywordRules) } }
    public var tierMinimum: [CustomerTier: Priority]
    public var channelKindMinimum: [ChannelKind: Priority]
    /// Keywords folded once, highest priority first, not on every message.
    private var folded: [(Priority, [[Unicode.Scalar]])]

    enum CodingKeys: String, CodingKey { case keywordRules, tierMinimum, channelKindMinimum }

    public init(keywordRules: [KeywordRule], tierMinimum: [CustomerTier: Priority], channelKindMinimum: [ChannelKind: Priority] = [:]) {
        self.keywordRules = keywordRules
        self.tierMinimum = tierMinimum
        self.channelKindMinimum = channelKindMinimum
        self.folded = Self.fold(keywordRules)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            keywordRules: try c.decode([KeywordRule].self, forKey: .keywordRules),
            tierMinimum: try c.decodeIfPresent([CustomerTier: Priority].self, forKey: .tierMinimum) ?? [:],
            channelKindMinimum: try c.decodeIfPresent([ChannelKind: Priority].self, forKey: .channelKindMinimum) ?? [:])
    }

    public static func == (a: PriorityRules, b: PriorityRules) -> Bool {
        a.keywordRules == b.keywordRules && a.tierMinimum == b.tierMinimum && a.channelKindMinimum == b.channelKindMinimum
    }

    private static func fold(_ rules: [KeywordRule]) -> [(Priority, [[Unicode.Scalar]])] {
        rules.map { ($0.priority, $0.keywords.map { Array(TextFolding.fold($0).unicodeScalars) }.filter { !$0.isEmpty }) }
            .sorted { $0.0 > $1.0 }
    }

    public static let standard = PriorityRules(
        keywordRules: [
            KeywordRule(priority: .urgent, keywords: ["urgent", "asap", "emergency", "outage", "فوری", "اضطراری", "خیلی فوری"]),
            KeywordRule(priority: .high, keywords: ["important", "not working", "refund", "charged twice", "مهم", "کار نمی‌کند", "بازپرداخت", "دو بار کسر"]),
        ],
        tierMinimum: [.vip: .high, .enterprise: .high, .premium: .normal]
    )

    /// The priority for a new ticket: the highest of the channel default, the tier floor, the channel-kind
    /// floor and `keywordPriority` (from `keywordPriority(subject:text:)`, computed before the transaction).
    public func classify(keywordPriority: Priority?, tier: CustomerTier, channelKind: ChannelKind, channelDefault: Priority?) -> Priority {
        var result = channelDefault ?? .normal
        if let p = tierMinimum[tier] { result = max(result, p) }
        if let p = channelKindMinimum[channelKind] { result = max(result, p) }
        if let p = keywordPriority { result = max(result, p) }
        return result
    }

    public func classify(subject: String?, text: String, tier: CustomerTier, channelKind: ChannelKind, channelDefault: Priority?) -> Priority {
        classify(keywordPriority: keywordPriority(subject: subject, text: text), tier: tier, channelKind: channelKind, channelDefault: channelDefault)
    }

    /// The highest priority whose keyword occurs in the subject or the first 4,000 characters of the text.
    public func keywordPriority(subject: String?, text: String) -> Priority? {
        guard !folded.isEmpty else { return nil }
        let haystack = Array(TextFolding.fold((subject ?? "") + "\n" + text.prefix(4000)).unicodeScalars)
        for (priority, keywords) in folded where keywords.contains(where: { Self.containsWord(haystack, $0) }) {
            return priority
        }
        return nil
    }

    /// Scalar-level search that respects the start of words, so "urgently" matches but "insurgent" does not.
    static func containsWord(_ haystack: [Unicode.Scalar], _ needle: [Unicode.Scalar]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first, i == 0 || !haystack[i - 1].properties.isAlphabetic {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}
