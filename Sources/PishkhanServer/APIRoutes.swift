import Foundation
import Hummingbird
import PishkhanChannels
import PishkhanCore
import PishkhanStore

/// The agent REST API under `/api/v1`. Every route states the role it needs.
struct APIRoutes: Sendable {
    let store: any Store
    let channels: ChannelDirectory
    let rules: PriorityRules
    let metrics: ServerMetrics

    func register(on api: RouterGroup<PishkhanRequestContext>) {
        api.post("inbound", use: inbound)
        api.get("channels", use: listChannels)

        api.get("tickets", use: listTickets)
        api.get("tickets/:id", use: getTicket)
        api.patch("tickets/:id", use: patchTicket)
        api.post("tickets/:id/replies", use: reply)
        api.post("tickets/:id/notes", use: note)
        api.post("tickets/:id/merge", use: mergeTicket)

        api.get("customers", use: listCustomers)
        api.get("customers/:id", use: getCustomer)
        api.patch("customers/:id", use: patchCustomer)
        api.delete("customers/:id", use: eraseCustomer)
        api.post("customers/:id/merge", use: mergeCustomer)
        api.post("customers/:id/merges/:mergeId/undo", use: undoMerge)
        api.post("customers/:id/events", use: customerEvent)
        api.get("customers/:id/export", use: exportCustomer)

        api.get("agents", use: listAgents)
        api.get("agents/me") { _, context -> Agent in
            // Who this token belongs to: clients (the TUI) use it for "mine" and "assign to me".
            guard let agent = context.agent else { throw Problem.unauthorized() }
            return agent
        }
        api.get("agents/workload") { _, context -> WorkloadBody in
            _ = try context.require(.supervisor)
            return WorkloadBody(workload: try await store.agentWorkload())
        }
        api.post("agents", use: createAgent)
        api.patch("agents/:id", use: patchAgent)

        api.get("events", use: listEvents)
        api.get("outbox", use: listOutbox)
        api.get("audit", use: listAudit)
    }

    // MARK: Intake

    @Sendable func inbound(_ request: Request, context: PishkhanRequestContext) async throws -> Created<IngestResult> {
        _ = try context.require(.integration)
        let message = try await context.requestDecoder.decode(InboundMessage.self, from: request, context: context)
        guard let channel = channels[message.channel] else {
            let known = channels.sorted.map(\.id).joined(separator: ", ")
            throw Problem.invalid("channel", "'\(message.channel)' is not a configured channel (configured: \(known.isEmpty ? "none" : known))")
        }
        let start = ContinuousClock.now
        let result = try await store.ingest(message, channel: channel, rules: rules)
        metrics.ingestLatency.record(ContinuousClock.now - start)
        (result.duplicate ? metrics.duplicates : metrics.ingested).increment()
        return Created(status: result.duplicate ? .ok : .created, value: result)
    }

    struct ChannelView: Codable {
        var id: String
        var kind: ChannelKind
        var name: String
        var threadWindowHours: Double
        var assignment: String
        /// For email channels: whether the mailbox is read and replies are sent.
        var mailbox: MailboxView?
        /// Last poll, last error and counts, once the channel has been polled or has sent.
        var state: ChannelState?
    }

    struct MailboxView: Codable {
        var reads: Bool
        var sends: Bool
        var mailbox: String?
        var pollSeconds: Double?
        var from: String?
    }

    @Sendable func listChannels(_ request: Request, context: PishkhanRequestContext) async throws -> [String: [ChannelView]] {
        _ = try context.require(.agent)
        let states = Dictionary(try await store.channelStates().map { ($0.channel, $0) }, uniquingKeysWith: { a, _ in a })
        return ["channels": channels.sorted.map { c in
            let rule: String
            switch c.assignment {
            case .none: rule = "none"
            case .roundRobin(let g): rule = "round-robin(\(g))"
            case .leastLoaded(let g, let cap): rule = "least-loaded(\(g), capacity \(cap))"
            }
            let mail = channels.email[c.id].map { m in
                MailboxView(reads: m.imap != nil, sends: m.smtp != nil, mailbox: m.imap == nil ? nil : m.mailbox,
                            pollSeconds: m.imap == nil ? nil : Double(m.pollInterval.components.seconds), from: m.fromAddress)
            }
            return ChannelView(id: c.id, kind: c.kind, name: c.displayName, threadWindowHours: c.threadWindow / 3600, assignment: rule,
                               mailbox: mail, state: states[c.id])
        }]
    }

    // MARK: Tickets

    @Sendable func listTickets(_ request: Request, context: PishkhanRequestContext) async throws -> Page<Ticket> {
        let agent = try context.require(.agent)
        let q = Query(request: request)
        var query = TicketQuery()
        query.statuses = try q.list("status", TicketStatus.self)
        query.priorities = try q.list("priority", Priority.self)
        switch q.string("assignee") {
        case nil: break
        case "me": query.assignee = .agent(agent.id)
        case "none": query.assignee = .unassigned
        case let s?:
            guard let id = Int64(s) else { throw Problem.invalid("assignee", "must be an agent id, 'me' or 'none'") }
            query.assignee = .agent(id)
        }
        query.channel = q.string("channel")
        query.tag = q.string("tag")?.lowercased()
        query.customerID = try q.int64("customer")
        query.text = q.string("q")
        if let s = q.string("sort") {
            guard let sort = TicketQuery.Sort(rawValue: s) else { throw Problem.invalid("sort", "must be due or updated") }
            query.sort = sort
        }
        query.limit = try q.int("limit", default: 50, range: 1...200)
        query.cursor = q.string("cursor")
        return try await store.tickets(query)
    }

    struct TicketDetail: Codable, Sendable {
        var ticket: Ticket
        var messages: [Message]
        var customer: CustomerSummary
        var sla: SLAView
    }

    /// The ticket's SLA clocks as they stand now; `GET /tickets/{id}/sla` adds their history.
    struct SLAView: Codable, Sendable {
        var policy: String?
        var dueAt: Date?
        var clocks: [SLAClockView]
    }

    @Sendable func getTicket(_ request: Request, context: PishkhanRequestContext) async throws -> TicketDetail {
        _ = try context.require(.agent)
        let id = try context.parameters.id()
        let ticket = try await store.ticket(id: id)
        let messages = try await store.messages(ticketID: id)
        return TicketDetail(
            ticket: ticket, messages: messages, customer: try await store.customerSummary(id: ticket.customerID),
            sla: SLAView(policy: ticket.slaPolicy, dueAt: ticket.dueAt, clocks: try await store.slaClocks(ticketID: id)))
    }

    struct TicketPatchBody: Decodable {
        var status: TicketStatus?
        var priority: Priority?
        var assigneeID: Int64??
        var tags: [String]?

        enum CodingKeys: String, CodingKey { case status, priority, assigneeID, tags }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            status = try c.decodeIfPresent(TicketStatus.self, forKey: .status)
            priority = try c.decodeIfPresent(Priority.self, forKey: .priority)
            tags = try c.decodeIfPresent([String].self, forKey: .tags)
            if c.contains(.assigneeID) {
                assigneeID = try c.decodeNil(forKey: .assigneeID) ? .some(nil) : .some(try c.decode(Int64.self, forKey: .assigneeID))
            }
        }
    }

    @Sendable func patchTicket(_ request: Request, context: PishkhanRequestContext) async throws -> Ticket {
        let agent = try context.require(.agent)
        let id = try context.parameters.id()
        let body = try await context.requestDecoder.decode(TicketPatchBody.self, from: request, context: context)
        return try await store.updateTicket(id: id, TicketPatch(status: body.status, priority: body.priority, assigneeID: body.assigneeID, tags: body.tags), actor: agent.id)
    }

    struct ReplyBody: Decodable {
        var text: String
        var html: String?
        var status: TicketStatus?
    }

    @Sendable func reply(_ request: Request, context: PishkhanRequestContext) async throws -> Created<Message> {
        let agent = try context.require(.agent)
        let id = try context.parameters.id()
        let body = try await context.requestDecoder.decode(ReplyBody.self, from: request, context: context)
        return Created(value: try await store.reply(ticketID: id, ReplyInput(text: body.text, html: body.html, status: body.status), actor: agent.id))
    }

    struct NoteBody: Decodable { var text: String }

    @Sendable func note(_ request: Request, context: PishkhanRequestContext) async throws -> Created<Message> {
        let agent = try context.require(.agent)
        let id = try context.parameters.id()
        let body = try await context.requestDecoder.decode(NoteBody.self, from: request, context: context)
        return Created(value: try await store.addNote(ticketID: id, text: body.text, actor: agent.id))
    }

    struct MergeBody: Decodable { var into: Int64 }

    @Sendable func mergeTicket(_ request: Request, context: PishkhanRequestContext) async throws -> Ticket {
        let agent = try context.require(.agent)
        let id = try context.parameters.id()
        let body = try await context.requestDecoder.decode(MergeBody.self, from: request, context: context)
        return try await store.mergeTicket(id: id, into: body.into, actor: agent.id)
    }

    // MARK: Customers

    @Sendable func listCustomers(_ request: Request, context: PishkhanRequestContext) async throws -> Page<Customer> {
        _ = try context.require(.agent)
        let q = Query(request: request)
        return try await store.customers(search: q.string("q"), limit: try q.int("limit", default: 50, range: 1...200), cursor: q.string("cursor"))
    }

    @Sendable func getCustomer(_ request: Request, context: PishkhanRequestContext) async throws -> CustomerProfile {
        _ = try context.require(.agent)
        let q = Query(request: request)
        return try await store.customerProfile(
            id: try context.parameters.id(), timelineLimit: try q.int("timelineLimit", default: 50, range: 1...200), timelineCursor: q.string("timelineCursor"))
    }

    struct CustomerPatchBody: Decodable {
        var name: String??
        var tier: CustomerTier?
        var tags: [String]?
        var attributes: [String: JSONValue]?

        enum CodingKeys: String, CodingKey { case name, tier, tags, attributes }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            tier = try c.decodeIfPresent(CustomerTier.self, forKey: .tier)
            tags = try c.decodeIfPresent([String].self, forKey: .tags)
            attributes = try c.decodeIfPresent([String: JSONValue].self, forKey: .attributes)
            if c.contains(.name) { name = try c.decodeNil(forKey: .name) ? .some(nil) : .some(try c.decode(String.self, forKey: .name)) }
        }
    }

    @Sendable func patchCustomer(_ request: Request, context: PishkhanRequestContext) async throws -> Customer {
        let agent = try context.require(.agent)
        let body = try await context.requestDecoder.decode(CustomerPatchBody.self, from: request, context: context)
        return try await store.updateCustomer(
            id: try context.parameters.id(), CustomerPatch(name: body.name, tier: body.tier, tags: body.tags, attributes: body.attributes), actor: agent.id)
    }

    @Sendable func eraseCustomer(_ request: Request, context: PishkhanRequestContext) async throws -> Response {
        let agent = try context.require(.admin)
        try await store.eraseCustomer(id: try context.parameters.id(), actor: agent.id)
        return Response(status: .noContent)
    }

    @Sendable func mergeCustomer(_ request: Request, context: PishkhanRequestContext) async throws -> CustomerMerge {
        let agent = try context.require(.agent)
        let body = try await context.requestDecoder.decode(MergeBody.self, from: request, context: context)
        return try await store.mergeCustomer(id: try context.parameters.id(), into: body.into, actor: agent.id)
    }

    @Sendable func undoMerge(_ request: Request, context: PishkhanRequestContext) async throws -> CustomerMerge {
        let agent = try context.require(.supervisor)
        return try await store.undoCustomerMerge(customerID: try context.parameters.id(), mergeID: try context.parameters.id("mergeId"), actor: agent.id)
    }

    @Sendable func customerEvent(_ request: Request, context: PishkhanRequestContext) async throws -> Created<CustomerEvent> {
        let agent = try context.require(.integration)
        let body = try await context.requestDecoder.decode(CustomerEventInput.self, from: request, context: context)
        return Created(value: try await store.addCustomerEvent(customerID: try context.parameters.id(), body, actor: agent.id))
    }

    @Sendable func exportCustomer(_ request: Request, context: PishkhanRequestContext) async throws -> Response {
        let agent = try context.require(.supervisor)
        let id = try context.parameters.id()
        let export = try await store.exportCustomer(id: id, actor: agent.id)
        var response = try context.responseEncoder.encode(export, from: request, context: context)
        response.headers[.contentDisposition] = "attachment; filename=\"customer-\(id).json\""
        return response
    }

    // MARK: Agents

    @Sendable func listAgents(_ request: Request, context: PishkhanRequestContext) async throws -> [String: [Agent]] {
        _ = try context.require(.agent)
        return ["agents": try await store.agents()]
    }

    struct WorkloadBody: Codable, ResponseEncodable {
        var workload: [AgentWorkload]
    }

    struct NewAgentBody: Decodable {
        var name: String
        var role: Role
        var email: String?
        var groups: [String]?
        var capacity: Int?
    }

    struct NewAgent: Codable, Sendable {
        var agent: Agent
        /// Shown once; only its hash is stored.
        var token: String
    }

    @Sendable func createAgent(_ request: Request, context: PishkhanRequestContext) async throws -> Created<NewAgent> {
        _ = try context.require(.admin)
        let body = try await context.requestDecoder.decode(NewAgentBody.self, from: request, context: context)
        let (agent, token) = try await store.createAgent(name: body.name, role: body.role, email: body.email, groups: body.groups ?? [], capacity: body.capacity)
        return Created(value: NewAgent(agent: agent, token: token))
    }

    struct AgentPatchBody: Decodable { var available: Bool }

    @Sendable func patchAgent(_ request: Request, context: PishkhanRequestContext) async throws -> Agent {
        let agent = try context.require(.agent)
        let id = try context.parameters.id()
        if id != agent.id { _ = try context.require(.supervisor) }
        let body = try await context.requestDecoder.decode(AgentPatchBody.self, from: request, context: context)
        return try await store.setAgentAvailability(id: id, available: body.available)
    }

    // MARK: Events, outbox, audit

    struct EventsPage: Codable, Sendable {
        var events: [Event]
        /// Pass as `after` to continue.
        var lastSeq: Int64
    }

    @Sendable func listEvents(_ request: Request, context: PishkhanRequestContext) async throws -> EventsPage {
        _ = try context.require(.agent)
        let q = Query(request: request)
        // `after=now`: no events, only the sequence to follow from (a client that wants changes from now on).
        if q.string("after") == "now" { return EventsPage(events: [], lastSeq: try await store.latestEventSeq()) }
        let after = try q.int64("after") ?? 0
        let events = try await store.events(after: after, limit: try q.int("limit", default: 100, range: 1...1000))
        return EventsPage(events: events, lastSeq: events.last?.seq ?? after)
    }

    @Sendable func listOutbox(_ request: Request, context: PishkhanRequestContext) async throws -> [String: [OutboxItem]] {
        _ = try context.require(.supervisor)
        let q = Query(request: request)
        let status = try q.list("status", DeliveryStatus.self).first
        return ["items": try await store.outbox(status: status, limit: try q.int("limit", default: 100, range: 1...1000))]
    }

    @Sendable func listAudit(_ request: Request, context: PishkhanRequestContext) async throws -> [String: [AuditEntry]] {
        _ = try context.require(.admin)
        return ["entries": try await store.auditLog(limit: try Query(request: request).int("limit", default: 100, range: 1...1000))]
    }
}
