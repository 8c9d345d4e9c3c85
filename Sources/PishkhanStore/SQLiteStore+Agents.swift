import Crypto
import Foundation
import GRDB
import PishkhanCore

extension SQLiteStore {
    /// Creates an agent and returns its bearer token. Only the token's SHA-256 is stored; the token itself is
    /// shown this once.
    public func createAgent(name: String, role: Role, email: String?, groups: [String], capacity: Int?) async throws -> (Agent, token: String) {
        let name = try AgentToken.validatedName(name, capacity: capacity)
        let token = AgentToken.generate()
        let now = clock()
        let agent = try await write { db, _ in
            try db.execute(sql: "INSERT INTO agents (name, email, role, groups, capacity, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [name, email, role.rawValue, JSONText.encode(Self.cleanTags(groups)), capacity, now.seconds])
            let id = db.lastInsertedRowID
            try db.execute(sql: "INSERT INTO agent_tokens (agent_id, token_hash, created_at) VALUES (?, ?, ?)",
                           arguments: [id, AgentToken.hash(token), now.seconds])
            try Audit.write(db, at: now, actor: nil, action: "agent.create", targetType: "agent", targetID: id, details: ["role": .string(role.rawValue)])
            return Rows.agent(try Row.fetchOne(db, sql: "SELECT * FROM agents WHERE id = ?", arguments: [id])!)
        }
        return (agent, token)
    }

    public func agent(bearerToken: String) async throws -> Agent? {
        guard AgentToken.isWellFormed(bearerToken) else { return nil }
        let hash = AgentToken.hash(bearerToken)
        return try await read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT a.* FROM agent_tokens k JOIN agents a ON a.id = k.agent_id
                    WHERE k.token_hash = ? AND k.revoked_at IS NULL
                    """), arguments: [hash]
            ).map(Rows.agent)
        }
    }

    public func agents() async throws -> [Agent] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM agents ORDER BY id").map(Rows.agent) }
    }

    public func setAgentAvailability(id: Int64, available: Bool) async throws -> Agent {
        try await write { db, _ in
            try db.execute(sql: "UPDATE agents SET available = ? WHERE id = ?", arguments: [available, id])
            guard db.changesCount == 1, let row = try Row.fetchOne(db, sql: "SELECT * FROM agents WHERE id = ?", arguments: [id]) else {
                throw StoreError.notFound("agent \(id) does not exist")
            }
            return Rows.agent(row)
        }
    }

    public func agentCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM agents WHERE role != 'integration'") ?? 0 }
    }
}

/// Bearer tokens: `pk_` and 43 characters of base64url over 32 random bytes.
public enum AgentToken {
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return "pk_" + Data(bytes).base64URLEncoded
    }

    /// A new agent's name, trimmed; refuses an empty name or a negative capacity. Both backends check here.
    static func validatedName(_ name: String, capacity: Int?) throws -> String {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw StoreError.invalid(ValidationError(field: "name", reason: "must not be empty")) }
        if let capacity, capacity < 0 { throw StoreError.invalid(ValidationError(field: "capacity", reason: "must not be negative")) }
        return name
    }

    static func isWellFormed(_ token: String) -> Bool {
        token.hasPrefix("pk_") && token.utf8.count == 46
    }

    static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }
}

extension SQLiteStore {
    public func events(after seq: Int64, limit: Int) async throws -> [Event] {
        // What this process just committed comes from memory when the hub holds all of it.
        if let recent = events.recent(after: seq, limit: max(1, min(limit, 1000))) { return recent }
        return try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?"), arguments: [seq, max(1, min(limit, 1000))])
                .compactMap(Rows.event)
        }
    }

    public func latestEventSeq() async throws -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0 }
    }

    public func auditLog(limit: Int) async throws -> [AuditEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                AuditEntry(
                    id: row["id"], at: (row["at"] as Double).date, actorAgentID: row["actor_agent_id"], action: row["action"],
                    targetType: row["target_type"], targetID: row["target_id"],
                    details: JSONText.decode([String: JSONValue].self, row["details"], default: [:]))
            }
        }
    }

    /// One process owns a SQLite file, and it asks once at start.
    public func createFirstAdmin() async throws -> (Agent, token: String)? {
        guard try await agentCount() == 0 else { return nil }
        return try await createAgent(name: "Administrator", role: .admin, email: nil, groups: [], capacity: nil)
    }
}
