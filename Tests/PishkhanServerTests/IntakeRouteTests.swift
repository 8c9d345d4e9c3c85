import Foundation
import Hummingbird
import PishkhanCore
import Testing

@Suite struct IntakeRouteTests {
    @Test func inboundStoresOnceAndAnswersTheDuplicateWith200() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            let first = try await c.inbound("m1")
            #expect(first.status == .created)
            #expect(first["ticketCreated"] as? Bool == true)
            let again = try await c.inbound("m1")
            #expect(again.status == .ok && again["duplicate"] as? Bool == true && again.int("ticketID") == first.int("ticketID"))
            let metrics = try await c.call(.get, "/metrics", as: nil)
            #expect(metrics.text.contains("pishkhan_ingest_messages_total 1"))
            #expect(metrics.text.contains("pishkhan_ingest_duplicates_total 1"))
            #expect(metrics.text.contains("pishkhan_open_tickets_count 1"))
            #expect(metrics.text.contains("route=\"/api/v1/inbound\""))
        }
    }

    @Test func concurrentDuplicatesOverHTTPStoreOneMessage() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 { group.addTask { try await c.inbound("same", from: "09121234567", channel: "sms", kind: "sms").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .ok }.count == 19)
        }
        #expect(try await app.store.events(after: 0, limit: 100).filter { $0.type == .messageAdded }.count == 1)
    }

    @Test func malformedInputGetsAProblemNamingTheField() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            try await c.call(.post, "/api/v1/inbound", as: .integration, body: "{\"channel\":").expectProblem(.badRequest)
            try await c.call(.post, "/api/v1/inbound", as: .integration, body: """
                {"channel":"sms","channelKind":"sms","sender":{"address":"09121234567"},"text":"x"}
                """).expectProblem(.unprocessableContent, field: "externalID")
            try await c.call(.post, "/api/v1/inbound", as: .integration, body: """
                {"channel":"sms","channelKind":"fax","externalID":"1","sender":{"address":"09121234567"},"text":"x"}
                """).expectProblem(.unprocessableContent, field: "channelKind")
            try await c.call(.post, "/api/v1/inbound", as: .integration, body: """
                {"channel":"sms","channelKind":"sms","externalID":1,"sender":{"address":"09121234567"},"text":"x"}
                """).expectProblem(.unprocessableContent, field: "externalID")
            try await c.inbound("x", channel: "nowhere").expectProblem(.unprocessableContent, field: "channel")
            try await c.inbound("x", from: "not-a-phone", channel: "sms", kind: "sms").expectProblem(.unprocessableContent, field: "sender.address")
            try await c.inbound("x", channel: "sms", kind: "email").expectProblem(.unprocessableContent, field: "channel")
            try await c.call(.post, "/api/v1/inbound", as: .integration, body: """
                {"channel":"sms","channelKind":"sms","externalID":"1","sender":{"address":"09121234567"},"text":"x","sentAt":"yesterday"}
                """).expectProblem(.unprocessableContent, field: "sentAt")
        }
        #expect(try await app.store.tickets(.init()).items.isEmpty)
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            let huge = "{\"text\":\"" + String(repeating: "a", count: 17 * 1024 * 1024) + "\"}"
            try await c.call(.post, "/api/v1/inbound", as: .integration, body: huge).expectProblem(.contentTooLarge)
        }
    }

    @Test func attachmentsArriveAsBase64() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            let r = try await c.call(.post, "/api/v1/inbound", as: .integration, body: """
                {"channel":"support-email","channelKind":"email","externalID":"a1","sender":{"address":"a@example.com"},"text":"see attached",
                 "attachments":[{"name":"receipt.txt","contentType":"text/plain","content":"\(Data("paid 100".utf8).base64EncodedString())"}]}
                """)
            #expect(r.status == .created)
            let detail = try await c.call(.get, "/api/v1/tickets/\(r.int("ticketID")!)")
            let messages = detail["messages"] as? [[String: Any]]
            let attachment = (messages?.first?["attachments"] as? [[String: Any]])?.first
            #expect(attachment?["name"] as? String == "receipt.txt" && (attachment?["size"] as? Int) == 8)
        }
    }
}

@Suite struct AuthTests {
    /// Every `/api/v1` route answers 401 without a token and with a wrong one, whatever the route.
    @Test func everyAPIRouteRequiresAToken() async throws {
        let app = try await TestApp.make()
        let routes = buildRouterRoutes(app)
        #expect(routes.count >= 20)
        try await app.run { c in
            for (method, path) in routes {
                try await c.call(method, path, as: nil, body: "{}").expectProblem(.unauthorized)
                let wrong = try await c.call(method, path, token: "pk_" + String(repeating: "x", count: 43), body: "{}")
                wrong.expectProblem(.unauthorized)
                #expect(wrong.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
        }
    }

    /// An integration token may only feed messages and outside events (and ask who it is): every other route is 403.
    @Test func integrationTokensAreLimitedToIntake() async throws {
        let app = try await TestApp.make()
        let open: Set<String> = ["POST /api/v1/inbound", "POST /api/v1/customers/1/events", "GET /api/v1/agents/me"]
        try await app.run { c in
            _ = try await c.inbound("m1")
            for (method, path) in buildRouterRoutes(app) where !open.contains("\(method) \(path)") {
                try await c.call(method, path, as: .integration, body: "{}").expectProblem(.forbidden)
            }
        }
    }

    @Test func rolesAreEnforcedOnPrivilegedRoutes() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            _ = try await c.inbound("m1")
            try await c.call(.delete, "/api/v1/customers/1", as: .supervisor).expectProblem(.forbidden)
            try await c.call(.get, "/api/v1/customers/1/export", as: .agent).expectProblem(.forbidden)
            try await c.call(.post, "/api/v1/customers/1/merges/1/undo", as: .agent).expectProblem(.forbidden)
            try await c.call(.get, "/api/v1/outbox", as: .agent).expectProblem(.forbidden)
            try await c.call(.get, "/api/v1/audit", as: .supervisor).expectProblem(.forbidden)
            try await c.call(.post, "/api/v1/agents", as: .supervisor, body: #"{"name":"x","role":"admin"}"#).expectProblem(.forbidden)
            let supervisorID = app.agents[.supervisor]!.id
            try await c.call(.patch, "/api/v1/agents/\(supervisorID)", as: .agent, body: #"{"available":false}"#).expectProblem(.forbidden)
            let own = try await c.call(.patch, "/api/v1/agents/\(app.agents[.agent]!.id)", as: .agent, body: #"{"available":false}"#)
            #expect(own.status == .ok && own["available"] as? Bool == false)
        }
    }

    @Test func adminCreatesAgentsWhoseTokenWorksAtOnce() async throws {
        let app = try await TestApp.make()
        try await app.run { c in
            let created = try await c.call(.post, "/api/v1/agents", body: #"{"name":"Neda","role":"agent","groups":["Support"]}"#)
            #expect(created.status == .created)
            let token = try #require(created["token"] as? String)
            let me = try await c.call(.get, "/api/v1/agents", token: token)
            #expect(me.status == .ok)
            try await c.call(.post, "/api/v1/agents", body: #"{"name":"X","role":"owner"}"#).expectProblem(.unprocessableContent, field: "role")
        }
    }
}

/// The `/api/v1` routes of the real router, with sample ids filled in.
func buildRouterRoutes(_ app: TestApp) -> [(HTTPRequest.Method, String)] {
    PishkhanServer.buildRouter(app.deps).routes
        .filter { $0.path.description.hasPrefix("/api/v1") }
        .map { route -> (HTTPRequest.Method, String) in
            #expect(!route.path.description.contains(":"), "route descriptions changed format: \(route.path)")
            return (route.method, route.path.description.replacingOccurrences(of: "{mergeId}", with: "1").replacingOccurrences(of: "{id}", with: "1"))
        }
}

import PishkhanServer
