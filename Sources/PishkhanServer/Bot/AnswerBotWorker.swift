import Foundation
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanKnowledge
import PishkhanStore
import ServiceLifecycle
import Synchronization

/// Runs the answer bot on the channels whose YAML enables it. Woken by every commit, it reads the customers'
/// new turns after its watermark, decides each with `AnswerBot`, and stores decision, reply (through the
/// outbox, as a `bot` message) and status change in one transaction keyed by the turn's last message, so a
/// crash or restart never answers twice. Auto-replies, bounces and agents' messages are never turns.
public final class AnswerBotWorker: Service, Sendable {
    private let store: any Store
    private let knowledge: KnowledgeBase
    private let bots: [String: AnswerBot]
    private let logger: Logger
    /// The watermark last stored, so a pass that found nothing new writes nothing.
    private let watermark = Mutex<Int64>(-1)
    /// Held while the bot runs, so one process of a cluster answers; nil runs unconditionally.
    private let lease: ClusterLease?

    public init(channels: ChannelDirectory, store: any Store, knowledge: KnowledgeBase, logger: Logger, leaseDuration: TimeInterval? = nil) {
        self.lease = leaseDuration.map { ClusterLease(store: store, name: "answer-bot", duration: $0, logger: logger) }
        var bots: [String: AnswerBot] = [:]
        for channel in channels.sorted {
            if let settings = channel.bot { bots[channel.id] = AnswerBot(settings: settings) }
        }
        self.bots = bots
        self.store = store
        self.knowledge = knowledge
        self.logger = logger
    }

    public var isEmpty: Bool { bots.isEmpty }

    /// Decides every waiting turn; returns the decisions stored.
    @discardableResult
    public func runOnce() async throws -> [BotDecision] {
        var decisions: [BotDecision] = []
        while true {
            let work = try await store.botTurns(channels: Set(bots.keys), limit: 500)
            for turn in work.turns {
                if let decision = try await decide(turn) { decisions.append(decision) }
            }
            guard work.watermark != watermark.withLock({ $0 }) else { return decisions }
            try await store.advanceBotWatermark(to: work.watermark)
            watermark.withLock { $0 = work.watermark }
        }
    }

    func decide(_ turn: BotTurn) async throws -> BotDecision? {
        guard let bot = bots[turn.ticket.channel] else { return nil }
        let knowledge = knowledge
        let decision = bot.decide(
            text: turn.text, history: AnswerBot.History(answers: turn.answersBefore, awaitingConfirmation: turn.awaitingConfirmation)
        ) { text, locale in
            // A whole question, not a word being typed: no prefix on the last word.
            knowledge.searchArticles(String(text.prefix(2000)) + " ", locale: locale, limit: 3).map { BotCandidate(articleID: $0.id, score: $0.score) }
        }
        var action = decision.action, reason = decision.reason
        var reply: RenderedReply?
        let renderer = ReplyRenderer(store: store, knowledge: knowledge)
        switch decision.action {
        case .answered:
            if let article = decision.articleID.flatMap(knowledge.publishedArticle(id:)),
               let template = template("bot-answer", decision.locale) {
                reply = try await renderer.render(template, ticket: turn.ticket, agentName: bot.settings.name, article: article)
            } else {
                (action, reason) = (.handedOver, .noTemplate)
                fallthrough
            }
        case .handedOver:
            if let template = template("bot-handoff", decision.locale) {
                reply = try await renderer.render(template, ticket: turn.ticket, agentName: bot.settings.name, article: nil)
            }
        case .resolved:
            break
        }
        let stored = try await store.recordBotDecision(BotDecisionInput(
            turn: turn, action: action, reason: reason, locale: decision.locale, candidates: decision.candidates,
            articleID: action == .answered ? decision.articleID : nil, replyText: reply?.text, replyHTML: reply?.html))
        if let stored {
            logger.info("answer bot decided", metadata: [
                "ticket": "\(turn.ticket.id)", "action": "\(stored.action.rawValue)", "reason": "\(stored.reason.rawValue)",
                "topScore": "\(stored.candidates.first?.score ?? 0)",
            ])
        }
        return stored
    }

    /// `bot-answer` for English, `bot-answer-fa` for Persian; the other language's when one is missing.
    func template(_ shortcut: String, _ locale: Article.Locale) -> CannedResponse? {
        let persian = knowledge.cannedResponse(shortcut: shortcut + "-fa"), english = knowledge.cannedResponse(shortcut: shortcut)
        return locale == .fa ? persian ?? english : english ?? persian
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        guard let lease else { return await passes() }
        var holding = false
        while !Task.isCancelled {
            do {
                if try await lease.whileHeld({ await self.passes() }) {
                    holding = true
                } else {
                    holding = false
                    try await Task.sleep(for: .seconds(lease.duration / 3))
                }
            } catch is CancellationError {
                break
            } catch {
                holding = false
                logger.notice("answer bot lease lost or unreadable; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        if holding { await lease.release() }
    }

    /// Passes until cancelled: the first at once, then one per burst of commits.
    private func passes() async {
        // Another process may have moved the watermark while this one did not hold the lease.
        watermark.withLock { $0 = -1 }
        // Every commit wakes the bot; it reads what is new itself, so a burst of commits is one pass.
        let commits = store.events.subscribe()
        var iterator = commits.makeAsyncIterator()
        while !Task.isCancelled {
            do {
                try await runOnce()
            } catch is CancellationError {
                return
            } catch {
                logger.error("answer bot pass failed; it runs again on the next commit", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
            guard await iterator.next() != nil else { return }
        }
    }
}
