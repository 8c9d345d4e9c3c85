import Foundation

/// Threading rules: which ticket an inbound message belongs to. Pure; the store gathers the candidates.
public enum Threading {
    /// The ticket number in a `[#123]` subject token (Persian and Arabic-Indic digits too).
    public static func ticketNumber(inSubject subject: String?) -> Int64? {
        guard let subject else { return nil }
        let s = TextFolding.asciiDigits(subject)
        var search = s.startIndex
        while let open = s.range(of: "[#", range: search..<s.endIndex) {
            var i = open.upperBound
            var digits = ""
            while i < s.endIndex, s[i].isASCII, s[i].isNumber, digits.count < 18 {
                digits.append(s[i])
                i = s.index(after: i)
            }
            if i < s.endIndex, s[i] == "]", let n = Int64(digits), n > 0 { return n }
            search = open.upperBound
        }
        return nil
    }

    /// A candidate ticket found by one of the rules.
    public struct Candidate: Sendable, Equatable {
        public var ticketID: Int64
        public var customerID: Int64
        public var status: TicketStatus
        public init(ticketID: Int64, customerID: Int64, status: TicketStatus) {
            self.ticketID = ticketID
            self.customerID = customerID
            self.status = status
        }
    }

    public enum Decision: Sendable, Equatable {
        case append(ticketID: Int64, rule: Rule)
        case newTicket
    }

    public enum Rule: String, Sendable, Codable {
        case threadHeader = "thread-header"
        case conversation
        case subjectToken = "subject-token"
        case recentConversation = "recent-conversation"
    }

    /// Explicit hints first (message ids, then conversation id), then the subject token, then recency.
    /// A closed ticket never takes new messages; a ticket of another customer is never joined, so a
    /// guessed token cannot put text into someone else's conversation.
    public static func decide(
        customerID: Int64,
        byHeader: Candidate?, byConversation: Candidate?, bySubjectToken: Candidate?, byRecency: Candidate?
    ) -> Decision {
        let ordered: [(Candidate?, Rule)] = [
            (byHeader, .threadHeader), (byConversation, .conversation),
            (bySubjectToken, .subjectToken), (byRecency, .recentConversation),
        ]
        for case let (candidate?, rule) in ordered
        where candidate.customerID == customerID && candidate.status != .closed {
            return .append(ticketID: candidate.ticketID, rule: rule)
        }
        return .newTicket
    }
}
