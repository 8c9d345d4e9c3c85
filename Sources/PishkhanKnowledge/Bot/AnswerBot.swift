import PishkhanCore

/// What the answer bot does with a customer's turn (one or more messages in a row on a ticket). Pure: the
/// caller gives the text, what the bot did on the ticket before, and the knowledge-base search; the caller
/// stores the decision and sends the reply.
///
/// In order: a customer who asks for a person gets one; a customer answering the bot's last answer either
/// confirms it helped (the ticket is resolved) or is handed over; after `maxAnswers` answers everything
/// goes to a person; otherwise the bot answers only when the best article scores at least `minScore` and
/// beats the second by `minMargin`, and hands over when it is not sure.
public struct AnswerBot: Sendable {
    public typealias Action = BotAction
    public typealias Reason = BotReason
    public typealias Candidate = BotCandidate

    /// What the bot did on the ticket before this turn.
    public struct History: Sendable, Equatable {
        public var answers: Int
        /// The bot's last decision was an answer, so this turn is the customer's response to it.
        public var awaitingConfirmation: Bool

        public init(answers: Int = 0, awaitingConfirmation: Bool = false) {
            self.answers = answers
            self.awaitingConfirmation = awaitingConfirmation
        }
    }

    public struct Decision: Sendable, Equatable {
        public var action: Action
        public var reason: Reason
        public var locale: Article.Locale
        /// The search results the decision was made on (empty when it needed no search).
        public var candidates: [Candidate]
        /// The article answered with.
        public var articleID: String? { action == .answered ? candidates.first?.articleID : nil }
    }

    public let settings: BotSettings
    private let handoff: Set<String>
    private let confirm: Set<String>

    public init(settings: BotSettings) {
        self.settings = settings
        handoff = Set((Self.handoffWords + settings.handoffWords).map(Self.fold))
        confirm = Set((Self.confirmWords + settings.confirmWords).map(Self.fold))
    }

    /// Words that ask for a person. Persian colloquial endings (اپراتورتون "your operator") count too.
    public static let handoffWords = [
        "agent", "agents", "human", "humans", "operator", "person", "representative", "rep",
        "اپراتور", "کارشناس", "پشتیبان", "انسان", "آدم", "مسئول",
    ]
    /// Words that say an answer helped.
    public static let confirmWords = [
        "yes", "yeah", "yep", "thanks", "thank", "thx", "solved", "helped", "works", "worked", "great", "perfect", "ok", "okay",
        "بله", "آره", "بلی", "ممنون", "ممنونم", "مرسی", "متشکرم", "سپاس", "سپاسگزارم", "حل", "عالی", "کمک", "اوکی",
    ]
    /// Words that turn a "thanks" into "thanks, but no".
    static let negations: Set<String> = Set([
        "no", "not", "nope", "didnt", "doesnt", "dont", "isnt", "wasnt", "but", "still",
        "نه", "خیر", "نشد", "نکرد", "نمیشه", "نمی‌شود", "نیست", "ولی", "اما", "هنوز",
    ].map(fold))
    /// A confirmation is a short reply; a longer message with a "thanks" in it is a new question.
    static let confirmationMaxWords = 8

    public func decide(text: String, history: History, search: (String, Article.Locale) -> [Candidate]) -> Decision {
        let locale = Analyzer.detectLocale(text)
        let words = Self.words(text)
        if words.contains(where: isHandoffWord) {
            return Decision(action: .handedOver, reason: .customerAskedForPerson, locale: locale, candidates: [])
        }
        if history.awaitingConfirmation {
            let confirms = words.count <= Self.confirmationMaxWords && words.contains(where: confirm.contains)
                && !words.contains(where: Self.negations.contains)
            return confirms
                ? Decision(action: .resolved, reason: .customerConfirmed, locale: locale, candidates: [])
                : Decision(action: .handedOver, reason: .answerNotConfirmed, locale: locale, candidates: [])
        }
        if history.answers >= settings.maxAnswers {
            return Decision(action: .handedOver, reason: .answerLimit, locale: locale, candidates: [])
        }
        let candidates = Array(search(text, locale).prefix(3))
        guard let top = candidates.first else {
            return Decision(action: .handedOver, reason: .noArticle, locale: locale, candidates: [])
        }
        if top.score < settings.minScore {
            return Decision(action: .handedOver, reason: .lowConfidence, locale: locale, candidates: candidates)
        }
        if candidates.count > 1, top.score < settings.minMargin * candidates[1].score {
            return Decision(action: .handedOver, reason: .ambiguous, locale: locale, candidates: candidates)
        }
        return Decision(action: .answered, reason: .confident, locale: locale, candidates: candidates)
    }

    private func isHandoffWord(_ word: String) -> Bool {
        if handoff.contains(word) { return true }
        for suffix in ["تون", "تان", "ها", "های"] where word.hasSuffix(suffix) {
            if handoff.contains(String(word.dropLast(suffix.count))) { return true }
        }
        return false
    }

    static func fold(_ word: String) -> String { TextNormalizer.normalize(word).filter { $0 != "'" && $0 != "’" } }

    /// The message's words as the word lists are written: normalized (letter variants, digits, ZWNJ) and
    /// split on anything that is not a letter or digit; apostrophes dropped (didn't → didnt).
    static func words(_ text: String) -> [String] {
        fold(text).split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }
}
