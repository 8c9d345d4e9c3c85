import Foundation
import PishkhanCore

/// Everything the server persists: the composition of the parts below. SQLite (GRDB) implements all of it;
/// the PostgreSQL backend implements the parts one by one, each passing the same conformance tests as
/// SQLite. Every method is one transaction.
public protocol Store: IntakeStore & AgentStore & TicketStore & CustomerStore & SLAStore & MailboxStore & KnowledgeStore & BotStore & EventStore & SMSStore & ChatStore & ChatWebhookStore & LeaseStore {}

/// Intake: inbound messages stored exactly once.
public protocol IntakeStore: Sendable {
    /// Stores an inbound message exactly once: identity, customer, threading, priority, assignment,
    /// message and events in one transaction keyed by `(channel, externalID)`.
    func ingest(_ message: InboundMessage, channel: ChannelSettings, rules: PriorityRules) async throws -> IngestResult
}

/// Agents, their tokens and their workload.
public protocol AgentStore: Sendable {
    func createAgent(name: String, role: Role, email: String?, groups: [String], capacity: Int?) async throws -> (Agent, token: String)
    func agent(bearerToken: String) async throws -> Agent?
    func agents() async throws -> [Agent]
    func setAgentAvailability(id: Int64, available: Bool) async throws -> Agent
    func agentCount() async throws -> Int
    /// On a fresh install, creates the first admin and returns its token; nil when any agent exists. Processes
    /// starting together on one database create one admin between them.
    func createFirstAdmin() async throws -> (Agent, token: String)?
    /// Unresolved tickets per assignee (nil: unassigned), with how many are past an SLA due time.
    func agentWorkload() async throws -> [AgentWorkload]
}

/// Tickets, their messages, replies and notes.
public protocol TicketStore: Sendable {
    func tickets(_ query: TicketQuery) async throws -> Page<Ticket>
    func ticket(id: Int64) async throws -> Ticket
    func messages(ticketID: Int64) async throws -> [Message]
    func updateTicket(id: Int64, _ patch: TicketPatch, actor: Int64?) async throws -> Ticket
    func reply(ticketID: Int64, _ reply: ReplyInput, actor: Int64) async throws -> Message
    func addNote(ticketID: Int64, text: String, actor: Int64) async throws -> Message
    func mergeTicket(id: Int64, into target: Int64, actor: Int64) async throws -> Ticket
    func outbox(status: DeliveryStatus?, limit: Int) async throws -> [OutboxItem]
    func openTicketCount() async throws -> Int
}

/// Customers: the 360 profile, merges and erasure.
public protocol CustomerStore: Sendable {
    func customers(search: String?, limit: Int, cursor: String?) async throws -> Page<Customer>
    func customerProfile(id: Int64, timelineLimit: Int, timelineCursor: String?) async throws -> CustomerProfile
    /// Profile, identities and open-ticket count only: no tickets list, no timeline.
    func customerSummary(id: Int64) async throws -> CustomerSummary
    func updateCustomer(id: Int64, _ patch: CustomerPatch, actor: Int64?) async throws -> Customer
    func mergeCustomer(id source: Int64, into target: Int64, actor: Int64?) async throws -> CustomerMerge
    func undoCustomerMerge(customerID: Int64, mergeID: Int64, actor: Int64?) async throws -> CustomerMerge
    func addCustomerEvent(customerID: Int64, _ input: CustomerEventInput, actor: Int64?) async throws -> CustomerEvent
    func exportCustomer(id: Int64, actor: Int64?) async throws -> CustomerExport
    func eraseCustomer(id: Int64, actor: Int64?) async throws
}

/// SLA configuration, clocks, warnings and breaches.
public protocol SLAStore: Sendable {
    /// Clock changes for the scheduler, announced in commit order.
    var slaTimers: SLATimerFeed { get }
    func slaConfiguration() -> SLAConfiguration
    /// Stores the shipped configuration on a fresh install; never again once SLA settings were stored.
    func seedSLAIfNew(_ configuration: SLAConfiguration) async throws -> Bool
    /// Replaces calendars and/or policies and recomputes the clocks of open tickets.
    func replaceSLA(calendars: [BusinessCalendar]?, policies: [SLAPolicy]?, actor: Int64?) async throws -> (SLAConfiguration, recalculated: Int)
    /// Every pending warning and breach, for the scheduler's rebuild.
    func pendingSLATimers() async throws -> [(SLATimerQueue.Key, SLATimerQueue.Timer)]
    /// Clocks whose next warning or breach is due by now, earliest first: what the scheduler of any process
    /// sweeps for, so a timer another process set (or one lost in a crash) still fires.
    func dueSLATimers(limit: Int) async throws -> [SLATimerQueue.Key]
    /// Records what has fallen due among these clocks, exactly once, with breach actions.
    func fireSLA(_ keys: [SLATimerQueue.Key]) async throws -> [SLAAlert]
    func slaClocks(ticketID: Int64) async throws -> [SLAClockView]
    func slaHistory(ticketID: Int64) async throws -> [SLAClockEvent]
    func slaBreaches(_ query: SLABreachQuery) async throws -> [SLAAlert]
    func slaAtRisk(within: TimeInterval, limit: Int) async throws -> [SLAAtRiskTicket]
    func slaSummary(from: Date, to: Date) async throws -> SLASummary
}

/// Email channels: raw files, poll state, quarantine and outbound mail.
public protocol MailboxStore: Sendable {
    /// Writes files content-addressed without syncing each; `syncStagedFiles()` flushes them all at once.
    func stageFiles(_ files: [Data]) async throws -> [String]
    func syncStagedFiles() async throws
    func raw(sha256: String) async throws -> Data
    func channelStates() async throws -> [ChannelState]
    func channelState(_ channel: String) async throws -> ChannelState?
    func recordPoll(channel: String, _ report: PollReport) async throws
    func recordChannelError(channel: String, _ error: String) async throws
    @discardableResult
    func quarantine(channel: String, sourceRef: String, rawSHA256: String, size: Int, reason: String) async throws -> QuarantineItem
    func quarantined(channel: String, all: Bool, limit: Int) async throws -> [QuarantineItem]
    func quarantineItem(id: Int64) async throws -> QuarantineItem
    func resolveQuarantine(id: Int64, ticketID: Int64) async throws -> QuarantineItem
    func claimOutboundEmail(domains: [String: String], limit: Int, lease: TimeInterval) async throws -> [OutboundEmail]
    func markOutboundSent(_ job: OutboundEmail) async throws
    func markOutboundFailed(_ job: OutboundEmail, reason: String, retryAt: Date?) async throws
}

/// Knowledge-base articles and canned responses.
public protocol KnowledgeStore: Sendable {
    /// Files seed the database: new items are inserted, file-owned items follow their file, and items the
    /// API created, edited or deleted stay as the API left them.
    func seedKnowledge(articles: [Article], canned: [CannedResponse]) async throws -> (articles: KnowledgeSeedReport, canned: KnowledgeSeedReport)
    func articles() async throws -> [Stored<Article>]
    func article(id: String) async throws -> Stored<Article>
    func createArticle(_ article: Article, actor: Int64) async throws -> Stored<Article>
    /// `expectedVersion` (from `If-Match`) turns a concurrent edit into a conflict instead of a lost update.
    func updateArticle(id: String, _ article: Article, expectedVersion: Int64?, actor: Int64) async throws -> Stored<Article>
    func deleteArticle(id: String, expectedVersion: Int64?, actor: Int64) async throws
    func cannedResponses() async throws -> [Stored<CannedResponse>]
    func cannedResponse(shortcut: String) async throws -> Stored<CannedResponse>
    func createCannedResponse(_ response: CannedResponse, actor: Int64) async throws -> Stored<CannedResponse>
    func updateCannedResponse(shortcut: String, _ response: CannedResponse, expectedVersion: Int64?, actor: Int64) async throws -> Stored<CannedResponse>
    func deleteCannedResponse(shortcut: String, expectedVersion: Int64?, actor: Int64) async throws
}

/// The answer bot's turns and decisions.
public protocol BotStore: Sendable {
    /// Customers' turns on `channels` after the bot's watermark that the bot may still take: the ticket is
    /// not merged or closed, no agent has written on it and the bot has not handed it over. The watermark is
    /// a position in the event log (commit order), so a message committed late is never passed over. The
    /// first call ever starts at the newest event, so enabling the bot never answers old mail.
    func botTurns(channels: Set<String>, limit: Int) async throws -> BotWork
    /// Stores a decision with its reply and status change in one transaction and returns it; nil when the
    /// turn was already decided or a person took the ticket meanwhile (then nothing is written).
    func recordBotDecision(_ input: BotDecisionInput) async throws -> BotDecision?
    /// Moves the bot's watermark (an event sequence number) forward, never back.
    func advanceBotWatermark(to seq: Int64) async throws
    func botDecisions(ticketID: Int64) async throws -> [BotDecision]
}

/// The event log, the audit log and the database's health.
public protocol EventStore: Sendable {
    /// The stream of committed event sequence numbers, for live followers.
    var events: EventHub { get }
    func events(after seq: Int64, limit: Int) async throws -> [Event]
    func latestEventSeq() async throws -> Int64
    func auditLog(limit: Int) async throws -> [AuditEntry]

    /// Cheap round trip to the database, for `/healthz`.
    func ping() async throws
}

/// SMS delivery.
public protocol SMSStore: Sendable {
    /// Due deliveries on these SMS channels (replies and bot answers), leased; segments counted and stored.
    func claimOutboundSMS(channels: Set<String>, limit: Int, lease: TimeInterval) async throws -> [OutboundSMS]
    func markSMSAccepted(_ job: OutboundSMS, providerID: String, providerStatus: String?) async throws
    func markSMSFailed(_ job: OutboundSMS, reason: String, retryAt: Date?) async throws
    /// A delivery report for the message with this provider id; nil when none has it.
    func recordSMSStatus(channel: String, providerID: String, providerStatus: String, status: DeliveryStatus?, error: String?) async throws -> SMSStatusUpdate?
}

/// Web chat: settings, replies to push and replay.
public protocol ChatStore: Sendable {
    /// The stored value of `key` in the settings table, storing `value` first when there is none.
    func setting(_ key: String, insertingIfAbsent value: String) async throws -> String
    /// Agent replies and bot answers with id above `after` on this chat visitor's tickets of `channel`, oldest first.
    func chatMessages(channel: String, visitor: String, after: Int64, limit: Int) async throws -> [Message]
    /// Agent replies and bot answers with id above `after` on these chat channels, oldest first, with the visitors to push them to.
    func chatReplies(channels: Set<String>, after: Int64, limit: Int) async throws -> [ChatReply]
    /// The highest message id stored; 0 when there is none.
    func latestMessageID() async throws -> Int64
    /// Marks these chat messages sent (pushed to the visitor or kept for their replay); idempotent.
    func markChatSent(messageIDs: [Int64]) async throws
    /// Marks every reply still queued on these chat channels sent (kept for replay); returns how many.
    func markStoredChatRepliesSent(channels: Set<String>, limit: Int) async throws -> Int
}

/// Chat-webhook and Telegram delivery.
public protocol ChatWebhookStore: Sendable {
    /// Due replies and bot answers on these chat-webhook and Telegram channels, leased, with the conversation they answer.
    func claimChatReplies(channels: Set<String>, limit: Int, lease: TimeInterval) async throws -> [OutboundChatReply]
    /// Part `part` (from 0) of a split reply was accepted; a retry sends only the parts after it.
    func recordChatReplyPart(_ job: OutboundChatReply, part: Int, providerID: String?) async throws
    func markChatReplySent(_ job: OutboundChatReply, providerID: String?, providerStatus: String?) async throws
    func markChatReplyFailed(_ job: OutboundChatReply, reason: String, retryAt: Date?) async throws
}

/// Leases: work one process of a cluster does at a time (polling a mailbox), taken over when its holder stops
/// renewing. Times come from the store's clock; hosts sharing a database keep their clocks in sync (NTP),
/// well within a lease's length.
public protocol LeaseStore: Sendable {
    /// Takes or renews the lease `name` for `holder` until now + `duration`: granted when nobody holds it,
    /// when `holder` already does, or when the holder's lease has run out. Nil while another holder's lease
    /// runs. A takeover raises the generation, so work stamped with an older one can be told apart.
    func acquireLease(_ name: String, holder: String, for duration: TimeInterval) async throws -> Lease?
    /// Gives the lease up at once (a clean shutdown), so another process need not wait for it to run out.
    func releaseLease(_ name: String, holder: String) async throws
}
