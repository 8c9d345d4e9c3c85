import Foundation
import Hummingbird
import PishkhanCore
import PishkhanStore

/// `/api/v1/sla`: policies and calendars (read by agents, changed by admins), and the supervisor's
/// view — breaches, tickets at risk, compliance summary.
struct SLARoutes: Sendable {
    let store: any Store

    func register(on api: RouterGroup<PishkhanRequestContext>) {
        api.get("sla/policies", use: policies)
        api.put("sla/policies", use: replacePolicies)
        api.get("sla/calendars", use: calendars)
        api.put("sla/calendars", use: replaceCalendars)
        api.get("sla/breaches", use: breaches)
        api.get("sla/at-risk", use: atRisk)
        api.get("sla/summary", use: summary)
        api.get("tickets/:id/sla", use: ticketSLA)
    }

    struct PoliciesBody: Codable, ResponseEncodable {
        var policies: [SLAPolicy]
        /// Tickets whose clocks changed under the new policies (responses only).
        var recalculatedTickets: Int?
    }

    struct CalendarsBody: Codable, ResponseEncodable {
        var calendars: [BusinessCalendar]
        var recalculatedTickets: Int?

        init(calendars: [BusinessCalendar], recalculatedTickets: Int? = nil) {
            self.calendars = calendars
            self.recalculatedTickets = recalculatedTickets
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var list = try c.nestedUnkeyedContainer(forKey: .calendars)
            calendars = try BusinessCalendar.decodeList(&list, field: "calendars")
            recalculatedTickets = nil
        }
    }

    @Sendable func policies(_ request: Request, context: PishkhanRequestContext) async throws -> PoliciesBody {
        _ = try context.require(.agent)
        return PoliciesBody(policies: store.slaConfiguration().policies)
    }

    @Sendable func replacePolicies(_ request: Request, context: PishkhanRequestContext) async throws -> PoliciesBody {
        let actor = try context.require(.admin)
        let body = try await context.requestDecoder.decode(PoliciesBody.self, from: request, context: context)
        let (config, recalculated) = try await store.replaceSLA(calendars: nil, policies: body.policies, actor: actor.id)
        return PoliciesBody(policies: config.policies, recalculatedTickets: recalculated)
    }

    @Sendable func calendars(_ request: Request, context: PishkhanRequestContext) async throws -> CalendarsBody {
        _ = try context.require(.agent)
        return CalendarsBody(calendars: store.slaConfiguration().calendars)
    }

    @Sendable func replaceCalendars(_ request: Request, context: PishkhanRequestContext) async throws -> CalendarsBody {
        let actor = try context.require(.admin)
        let body = try await context.requestDecoder.decode(CalendarsBody.self, from: request, context: context)
        let (config, recalculated) = try await store.replaceSLA(calendars: body.calendars, policies: nil, actor: actor.id)
        return CalendarsBody(calendars: config.calendars, recalculatedTickets: recalculated)
    }

    struct AlertsBody: Codable, ResponseEncodable {
        var breaches: [SLAAlert]
    }

    @Sendable func breaches(_ request: Request, context: PishkhanRequestContext) async throws -> AlertsBody {
        _ = try context.require(.agent)
        let q = Query(request: request)
        let query = SLABreachQuery(
            since: try q.date("since"), policy: q.string("policy"), agentID: try q.int64("agent"), channel: q.string("channel"),
            limit: try q.int("limit", default: 100, range: 1...1000))
        return AlertsBody(breaches: try await store.slaBreaches(query))
    }

    struct AtRiskBody: Codable, ResponseEncodable {
        var within: BusinessDuration
        var tickets: [SLAAtRiskTicket]
    }

    @Sendable func atRisk(_ request: Request, context: PishkhanRequestContext) async throws -> AtRiskBody {
        _ = try context.require(.agent)
        let q = Query(request: request)
        var within = BusinessDuration(seconds: 7200)
        if let s = q.string("within") {
            guard let parsed = try? BusinessDuration(s), parsed.seconds > 0, parsed.seconds <= 366 * 86_400 else {
                throw Problem.invalid("within", "must be a duration like 2h, 30m or 1h30m, at most a year")
            }
            within = parsed
        }
        let tickets = try await store.slaAtRisk(within: within.seconds, limit: try q.int("limit", default: 100, range: 1...500))
        return AtRiskBody(within: within, tickets: tickets)
    }

    @Sendable func summary(_ request: Request, context: PishkhanRequestContext) async throws -> SLASummary {
        _ = try context.require(.agent)
        let q = Query(request: request)
        let to = try q.date("to") ?? Date()
        let from = try q.date("from") ?? to.addingTimeInterval(-30 * 86_400)
        guard from < to else { throw Problem.invalid("from", "must be before to") }
        return try await store.slaSummary(from: from, to: to)
    }

    struct TicketSLABody: Codable, ResponseEncodable {
        var clocks: [SLAClockView]
        /// Every clock change with its cause, oldest first: why each deadline is what it is.
        var history: [SLAClockEvent]
    }

    @Sendable func ticketSLA(_ request: Request, context: PishkhanRequestContext) async throws -> TicketSLABody {
        _ = try context.require(.agent)
        let id = try context.parameters.id()
        return TicketSLABody(clocks: try await store.slaClocks(ticketID: id), history: try await store.slaHistory(ticketID: id))
    }
}

extension SLASummary: ResponseEncodable {}
