import Foundation
import PishkhanCore
import PostgresNIO

extension PostgresStore: AgentStore {
    /// Creates an agent and returns its bearer token. Only the token's SHA-256 is stored; the token itself is
    /// shown this once.
    public func createAgent(name: String, role: Role, email: String?, groups: [String], capacity: Int?) async throws -> (Agent, token: String) {
        try await write { connection, _ in
            try await insertAgent(connection, name: name, role: role, email: email, groups: groups, capacity: capacity)
        }
    }

    /// Under an advisory lock, so of several processes starting at once on a fresh database one creates it.
    public func createFirstAdmin() async throws -> (Agent, token: String)? {
        try await write { connection, _ in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended('first-admin', 0))", logger: logger)
            guard try await connection.value(Int64.self, "SELECT COUNT(*) FROM agents WHERE role <> 'integration'", logger: logger) == 0
            else { return nil }
            return try await insertAgent(connection, name: "Administrator", role: .admin, email: nil, groups: [], capacity: nil)
        }
    }

    private func insertAgent(_ connection: PostgresConnection, name: String, role: Role, email: String?, groups: [String],
                             capacity: Int?) async throws -> (Agent, token: String) {
        let name = try AgentToken.validatedName(name, capacity: capacity)
        let token = AgentToken.generate()
        let now = clock()
        let groupsText = JSONText.encode(SQLiteStore.cleanTags(groups))
        let row = try await connection.rows("""
            INSERT INTO agents (name, email, role, groups, capacity, created_at)
            VALUES (\(name), \(email), \(role.rawValue), \(groupsText), \(capacity.map(Int64.init)), \(now.seconds))
            RETURNING *
            """, logger: logger)[0]
        let agent = try PGRows.agent(row)
        try await connection.query("""
            INSERT INTO agent_tokens (agent_id, token_hash, created_at) VALUES (\(agent.id), \(ByteBuffer(data: AgentToken.hash(token))), \(now.seconds))
            """, logger: logger)
        try await PGAudit.write(connection, logger: logger, at: now, actor: nil, action: "agent.create", targetType: "agent",
                                targetID: agent.id, details: ["role": .string(role.rawValue)])
        return (agent, token)
    }

    public func agent(bearerToken: String) async throws -> Agent? {
        guard AgentToken.isWellFormed(bearerToken) else { return nil }
        let hash = ByteBuffer(data: AgentToken.hash(bearerToken))
        return try await client.rows("""
            SELECT a.* FROM agent_tokens k JOIN agents a ON a.id = k.agent_id
            WHERE k.token_hash = \(hash) AND k.revoked_at IS NULL
            """, logger: logger).first.map(PGRows.agent)
    }

    public func agents() async throws -> [Agent] {
        try await client.rows("SELECT * FROM agents ORDER BY id", logger: logger).map(PGRows.agent)
    }

    public func setAgentAvailability(id: Int64, available: Bool) async throws -> Agent {
        try await write { connection, _ in
            guard let row = try await connection.rows(
                "UPDATE agents SET available = \(available ? Int32(1) : Int32(0)) WHERE id = \(id) RETURNING *", logger: logger).first
            else { throw StoreError.notFound("agent \(id) does not exist") }
            return try PGRows.agent(row)
        }
    }

    public func agentCount() async throws -> Int {
        try await client.query("SELECT COUNT(*) FROM agents WHERE role <> 'integration'", logger: logger)
            .decode(Int64.self).reduce(0) { $0 + Int($1) }
    }

    public func agentWorkload() async throws -> [AgentWorkload] {
        let now = clock().seconds
        return try await client.rows("""
            SELECT assignee_id,
                COUNT(*) FILTER (WHERE status IN ('new', 'open')) AS open,
                COUNT(*) FILTER (WHERE status = 'pending') AS pending,
                COUNT(*) FILTER (WHERE status IN ('new', 'open') AND due_sort < \(now)) AS breached
            FROM tickets WHERE status IN ('new', 'open', 'pending') AND merged_into IS NULL
            GROUP BY assignee_id ORDER BY open DESC, assignee_id NULLS FIRST
            """, logger: logger).map {
            AgentWorkload(agentID: try $0["assignee_id"], open: try $0.int("open"), pending: try $0.int("pending"), breached: try $0.int("breached"))
        }
    }
}
