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

    public var keywordRules: [KeywordRule]
    public var tierMinimum: [CustomerTier: Priority]
    public var channelKindMinimum: [ChannelKind: Priority]

    public init(keywordRules: [KeywordRule], tierMinimum: [CustomerTier: Priority], channelKindMinimum: [ChannelKind: Priority] = [:]) {
        self.keywordRules = keywordRules
        self.tierMinimum = tierMinimum
        self.channelKindMinimum = channelKindMinimum
    }

    public static let standard = PriorityRules(
        keywordRules: [
            KeywordRule(priority: .urgent, keywords: ["urgent", "asap", "emergency", "outage", "فوری", "اضطراری", "خیلی فوری"]),
            KeywordRule(priority: .high, keywords: ["important", "not working", "refund", "charged twice", "مهم", "کار نمی‌کند", "بازپرداخت", "دو بار کسر"]),
        ],
        tierMinimum: [.vip: .high, .enterprise: .high, .premium: .normal]
    )

    public func classify(subject: String?, text: String, tier: CustomerTier, channelKind: ChannelKind, channelDefault: Priority?) -> Priority {
        var result = channelDefault ?? .normal
        if let p = tierMinimum[tier] { result = max(result, p) }
        if let p = channelKindMinimum[channelKind] { result = max(result, p) }
        let haystack = TextFolding.fold((subject ?? "") + "\n" + text.prefix(4000))
        for rule in keywordRules where rule.priority > result {
            if rule.keywords.contains(where: { Self.containsWord(haystack, TextFolding.fold($0)) }) {
                result = rule.priority
            }
        }
        return result
    }

    /// Substring match that respects word boundaries, so "urgently" matches but "insurgent" does not.
    static func containsWord(_ haystack: String, _ needle: String) -> Bool {
        guard !needle.isEmpty else { return false }
        var range = haystack.startIndex..<haystack.endIndex
        while let found = haystack.range(of: needle, range: range) {
            let beforeOK = found.lowerBound == haystack.startIndex || !haystack[haystack.index(before: found.lowerBound)].isLetter
            if beforeOK { return true }
            range = found.upperBound..<haystack.endIndex
        }
        return false
    }
}
