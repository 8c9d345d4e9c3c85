import Foundation
import Hummingbird
import PishkhanCore
import Testing

@Suite struct TicketRouteTests {
    @Test func queueFiltersSortsAndPages() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            for i in 0..<5 { _ = try await c.inbound("m\(i)", from: "c\(i)@example.com", subject: i == 2 ? "URGENT refund" : "Hello \(i)") }
            let all = try await c.call(.get, "/api/v1/tickets?status=new&limit=2", as: .agent)
            #expect(all.status == .ok && (all["items"] as? [Any])?.count == 2 && all["nextCursor"] is String)
            let next = try await c.call(.get, "/api/v1/tickets?status=new&limit=2&cursor=\(all["nextCursor"] as! String)", as: .agent)
            #expect((next["items"] as? [Any])?.count == 2)
            let urgent = try await c.call(.get, "/api/v1/tickets?priority=urgent", as: .agent)
            #expect(((urgent["items"] as? [[String: Any]])?.first?["subject"] as? String) == "URGENT refund")
            let search = try await c.call(.get, "/api/v1/tickets?q=refund&sort=updated", as: .agent)
            #expect((search["items"] as? [Any])?.count == 1)
            try await c.call(.get, "/api/v1/tickets?status=bogus", as: .agent).expectProblem(.unprocessableContent, field: "status")
            try await c.call(.get, "/api/v1/tickets?limit=0", as: .agent).expectProblem(.unprocessableContent, field: "limit")
            try await c.call(.get, "/api/v1/tickets?cursor=%%%", as: .agent).expectProblem(.unprocessableContent, field: "cursor")
            try await c.call(.get, "/api/v1/tickets?assignee=someone", as: .agent).expectProblem(.unprocessableContent, field: "assignee")
        }
    }

    @Test func aTokenKnowsItsAgentAndSupervisorsSeeEachAgentsLoad() async throws {
        let app = try await TestApp.make()
        let agentID = app.agents[.agent]!.id
        try await app.run { c in
            let me = try await c.call(.get, "/api/v1/agents/me", as: .agent)
            #expect(me.status == .ok && me.int("id") == agentID && me["role"] as? String == "agent")
            #expect(try await c.call(.get, "/api/v1/agents/me", as: .integration).int("id") == app.agents[.integration]!.id)
            try await c.call(.get, "/api/v1/agents/me", as: nil).expectProblem(.unauthorized)

            let t1 = try await c.inbound("w1", from: "a@example.com").int("ticketID")!
            let t2 = try await c.inbound("w2", from: "b@example.com").int("ticketID")!
            _ = try await c.inbound("w3", from: "c@example.com")
            _ = try await c.call(.patch, "/api/v1/tickets/\(t1)", as: .agent, body: #"{"assigneeID":\#(agentID)}"#)
            _ = try await c.call(.patch, "/api/v1/tickets/\(t2)", as: .agent, body: #"{"assigneeID":\#(agentID),"status":"pending"}"#)
            try await c.call(.get, "/api/v1/agents/workload", as: .agent).expectProblem(.forbidden)
            let load = try await c.call(.get, "/api/v1/agents/workload", as: .supervisor)
            let rows = load["workload"] as? [[String: Any]] ?? []
            let agentRow = rows.first { ($0["agentID"] as? NSNumber)?.int64Value == agentID }
            #expect((agentRow?["open"] as? NSNumber)?.intValue == 1 && (agentRow?["pending"] as? NSNumber)?.intValue == 1)
            let unassigned = rows.first { $0["agentID"] == nil }
            #expect((unassigned?["open"] as? NSNumber)?.intValue == 1 && (unassigned?["breached"] as? NSNumber)?.intValue == 0)
        }
    }

    @Test func agentWorksATicketThroughTheAPI() async throws {
        let app = try await TestApp.make()
        let agentID = app.agents[.agent]!.id
        try await app.run { c in
            let t = try await c.inbound("m1").int("ticketID")!
            let detail = try await c.call(.get, "/api/v1/tickets/\(t)", as: .agent)
            #expect(detail.status == .ok)
            #expect((detail["customer"] as? [String: Any])?["name"] as? String == "Ali")
            #expect((detail["messages"] as? [Any])?.count == 1)
            #expect(detail["sla"] is [String: Any])

            let patched = try await c.call(.patch, "/api/v1/tickets/\(t)", as: .agent, body: """
                {"status":"open","priority":"high","assigneeID":\(agentID),"tags":["Billing"]}
                """)
            #expect(patched.status == .ok && patched["priority"] as? String == "high" && patched.int("assigneeID") == agentID)
            #expect(patched["tags"] as? [String] == ["billing"])
            let mine = try await c.call(.get, "/api/v1/tickets?assignee=me", as: .agent)
            #expect((mine["items"] as? [Any])?.count == 1)
            let unassigned = try await c.call(.patch, "/api/v1/tickets/\(t)", as: .agent, body: #"{"assigneeID":null}"#)
            #expect(unassigned["assigneeID"] == nil)

            let reply = try await c.call(.post, "/api/v1/tickets/\(t)/replies", as: .agent, body: #"{"text":"Your parcel ships today.","status":"pending"}"#)
            #expect(reply.status == .created && reply["deliveryStatus"] as? String == "queued")
            let outbox = try await c.call(.get, "/api/v1/outbox?status=queued", as: .supervisor)
            #expect((outbox["items"] as? [[String: Any]])?.first?["recipient"] as? String == "ali@example.com")
            let note = try await c.call(.post, "/api/v1/tickets/\(t)/notes", as: .agent, body: #"{"text":"VIP, be quick"}"#)
            #expect(note.status == .created && note["kind"] as? String == "note")
            let after = try await c.call(.get, "/api/v1/tickets/\(t)", as: .agent)
            #expect((after["ticket"] as? [String: Any])?["status"] as? String == "pending")
            #expect((after["messages"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["inbound", "outbound", "note"])

            try await c.call(.post, "/api/v1/tickets/\(t)/replies", as: .agent, body: #"{"text":"   "}"#).expectProblem(.unprocessableContent, field: "text")
            try await c.call(.post, "/api/v1/tickets/\(t)/replies", as: .agent, body: #"{}"#).expectProblem(.unprocessableContent, field: "text")
            try await c.call(.patch, "/api/v1/tickets/\(t)", as: .agent, body: #"{"status":"closed"}"#)
            try await c.call(.patch, "/api/v1/tickets/\(t)", as: .agent, body: #"{"status":"open"}"#).expectProblem(.conflict)
            try await c.call(.patch, "/api/v1/tickets/\(t)", as: .agent, body: #"{"assigneeID":9999}"#).expectProblem(.unprocessableContent, field: "assigneeID")
            try await c.call(.get, "/api/v1/tickets/999", as: .agent).expectProblem(.notFound)
            try await c.call(.get, "/api/v1/tickets/abc", as: .agent).expectProblem(.notFound)
            try await c.call(.get, "/api/v1/nothing", as: .agent).expectProblem(.notFound)
        }
    }

    @Test func ticketsOfOneCustomerMerge() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            let a = try await c.inbound("m1").int("ticketID")!
            let b = try await c.inbound("m2").int("ticketID")!
            let other = try await c.inbound("m3", from: "eve@example.com").int("ticketID")!
            let merged = try await c.call(.post, "/api/v1/tickets/\(a)/merge", as: .agent, body: #"{"into":\#(b)}"#)
            #expect(merged.status == .ok && merged.int("messageCount") == 2)
            try await c.call(.post, "/api/v1/tickets/\(a)/merge", as: .agent, body: #"{"into":\#(b)}"#).expectProblem(.conflict)
            try await c.call(.post, "/api/v1/tickets/\(b)/merge", as: .agent, body: #"{"into":\#(other)}"#).expectProblem(.conflict)
            try await c.call(.post, "/api/v1/tickets/\(b)/merge", as: .agent, body: #"{"into":\#(b)}"#).expectProblem(.unprocessableContent, field: "into")
            try await c.call(.post, "/api/v1/tickets/\(a)/replies", as: .agent, body: #"{"text":"hi"}"#).expectProblem(.conflict)
        }
    }

    @Test func eventsResumeFromASequenceNumber() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            _ = try await c.inbound("m1")
            let first = try await c.call(.get, "/api/v1/events?after=0&limit=2", as: .agent)
            #expect((first["events"] as? [[String: Any]])?.map { $0["type"] as? String } == ["customer.created", "ticket.created"])
            let rest = try await c.call(.get, "/api/v1/events?after=\(first.int("lastSeq")!)", as: .agent)
            #expect((rest["events"] as? [[String: Any]])?.map { $0["type"] as? String } == ["message.added"])
            try await c.call(.get, "/api/v1/events?after=x", as: .agent).expectProblem(.unprocessableContent, field: "after")
        }
    }
}

@Suite struct CustomerRouteTests {
    @Test func the360ViewTiesChannelsTogetherAfterAMerge() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            let email = try await c.inbound("m1").int("customerID")!
            let sms = try await c.inbound("s1", from: "۰۹۱۲۳۴۵۶۷۸۹", channel: "sms", kind: "sms", text: "سلام").int("customerID")!
            let found = try await c.call(.get, "/api/v1/customers?q=09123456789", as: .agent)
            #expect((found["items"] as? [[String: Any]])?.map { ($0["id"] as? NSNumber)?.int64Value } == [sms])

            let merge = try await c.call(.post, "/api/v1/customers/\(sms)/merge", as: .agent, body: #"{"into":\#(email)}"#)
            #expect(merge.status == .ok)
            let event = try await c.call(.post, "/api/v1/customers/\(email)/events", as: .integration, body: """
                {"type":"order.placed","title":"Order BZ-1001","data":{"total":1200000},"externalID":"BZ-1001"}
                """)
            #expect(event.status == .created)
            try await c.call(.post, "/api/v1/customers/\(email)/events", as: .integration, body: #"{"type":"x"}"#).expectProblem(.unprocessableContent, field: "title")

            let profile = try await c.call(.get, "/api/v1/customers/\(email)?timelineLimit=10", as: .agent)
            #expect((profile["identities"] as? [Any])?.count == 2)
            #expect(profile["channelsUsed"] as? [String] == ["sms", "support-email"])
            let timeline = (profile["timeline"] as? [String: Any])?["items"] as? [[String: Any]]
            #expect(timeline?.first?["title"] as? String == "Order BZ-1001")
            #expect(timeline?.contains { $0["text"] as? String == "سلام" } == true)

            let patched = try await c.call(.patch, "/api/v1/customers/\(email)", as: .agent, body: #"{"tier":"vip","attributes":{"plan":"gold"},"name":"Ali Rezaei"}"#)
            #expect(patched["tier"] as? String == "vip" && patched["name"] as? String == "Ali Rezaei")
            try await c.call(.patch, "/api/v1/customers/\(email)", as: .agent, body: #"{"tier":"platinum"}"#).expectProblem(.unprocessableContent, field: "tier")

            let undo = try await c.call(.post, "/api/v1/customers/\(email)/merges/\(merge.int("id")!)/undo", as: .supervisor)
            #expect(undo.status == .ok && undo["undoneAt"] is String)
            let split = try await c.call(.get, "/api/v1/customers/\(sms)", as: .agent)
            #expect((split["identities"] as? [Any])?.count == 1)
            try await c.call(.get, "/api/v1/customers/4242", as: .agent).expectProblem(.notFound)
        }
    }

    @Test func exportAndErasure() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            let customer = try await c.inbound("m1").int("customerID")!
            let export = try await c.call(.get, "/api/v1/customers/\(customer)/export", as: .supervisor)
            #expect(export.status == .ok && export.headers[.contentDisposition]?.contains("customer-\(customer).json") == true)
            #expect((export["messages"] as? [[String: Any]])?.first?["text"] as? String == "Where is my order?")
            let erased = try await c.call(.delete, "/api/v1/customers/\(customer)", as: .admin)
            #expect(erased.status == .noContent)
            try await c.call(.delete, "/api/v1/customers/\(customer)", as: .admin).expectProblem(.conflict)
            let after = try await c.call(.get, "/api/v1/customers/\(customer)", as: .agent)
            #expect((after["identities"] as? [Any])?.isEmpty == true)
            #expect(!after.text.contains("Where is my order?") && !after.text.contains("ali@example.com"))
            let audit = try await c.call(.get, "/api/v1/audit", as: .admin)
            #expect((audit["entries"] as? [[String: Any]])?.first?["action"] as? String == "customer.erase")
        }
    }
}
