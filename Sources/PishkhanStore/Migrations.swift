import GRDB

/// Schema migrations. Named and frozen once shipped: change the schema by adding a migration, never by
/// editing one. Plain SQL, no application types.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-23-core") { db in
            try db.execute(sql: """
                CREATE TABLE agents (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    email TEXT,
                    role TEXT NOT NULL CHECK (role IN ('integration','agent','supervisor','admin')),
                    groups TEXT NOT NULL DEFAULT '[]',
                    capacity INTEGER,
                    available INTEGER NOT NULL DEFAULT 1,
                    created_at REAL NOT NULL
                );
                CREATE TABLE agent_tokens (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
                    token_hash BLOB NOT NULL UNIQUE,
                    created_at REAL NOT NULL,
                    revoked_at REAL
                );
                CREATE TABLE customers (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT,
                    search_name TEXT,
                    tier TEXT NOT NULL DEFAULT 'standard',
                    tags TEXT NOT NULL DEFAULT '[]',
                    attributes TEXT NOT NULL DEFAULT '{}',
                    first_seen_at REAL NOT NULL,
                    last_contact_at REAL NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    merged_into INTEGER REFERENCES customers(id),
                    erased_at REAL
                );
                CREATE TABLE identities (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    customer_id INTEGER NOT NULL REFERENCES customers(id),
                    kind TEXT NOT NULL,
                    value TEXT NOT NULL,
                    channel TEXT,
                    created_at REAL NOT NULL,
                    UNIQUE (kind, value)
                );
                CREATE INDEX identities_customer ON identities(customer_id);
                CREATE TABLE tickets (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    subject TEXT NOT NULL,
                    search_text TEXT NOT NULL DEFAULT '',
                    status TEXT NOT NULL,
                    priority TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    channel_kind TEXT NOT NULL,
                    customer_id INTEGER NOT NULL REFERENCES customers(id),
                    assignee_id INTEGER REFERENCES agents(id),
                    tags TEXT NOT NULL DEFAULT '[]',
                    sla_policy TEXT,
                    first_response_due_at REAL,
                    next_response_due_at REAL,
                    resolution_due_at REAL,
                    due_sort REAL NOT NULL DEFAULT 1e15,
                    first_responded_at REAL,
                    last_customer_message_at REAL,
                    last_activity_at REAL NOT NULL,
                    message_count INTEGER NOT NULL DEFAULT 0,
                    merged_into INTEGER REFERENCES tickets(id),
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    resolved_at REAL,
                    closed_at REAL
                );
                CREATE INDEX tickets_status_due ON tickets(status, due_sort, id);
                CREATE INDEX tickets_status_updated ON tickets(status, updated_at, id);
                CREATE INDEX tickets_customer ON tickets(customer_id, channel);
                CREATE INDEX tickets_assignee ON tickets(assignee_id, status);
                CREATE TABLE ticket_tags (
                    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                    tag TEXT NOT NULL,
                    PRIMARY KEY (tag, ticket_id)
                ) WITHOUT ROWID;
                CREATE TABLE messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                    kind TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    external_id TEXT,
                    message_id_header TEXT,
                    conversation_id TEXT,
                    author_agent_id INTEGER REFERENCES agents(id),
                    customer_id INTEGER REFERENCES customers(id),
                    subject TEXT,
                    body_text TEXT,
                    body_html TEXT,
                    delivery_status TEXT,
                    sent_at REAL,
                    created_at REAL NOT NULL
                );
                CREATE UNIQUE INDEX messages_ingest_key ON messages(channel, external_id) WHERE external_id IS NOT NULL;
                CREATE INDEX messages_ticket ON messages(ticket_id, id);
                CREATE INDEX messages_header ON messages(message_id_header) WHERE message_id_header IS NOT NULL;
                CREATE INDEX messages_conversation ON messages(channel, conversation_id) WHERE conversation_id IS NOT NULL;
                CREATE TABLE attachments (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id INTEGER NOT NULL REFERENCES messages(id),
                    name TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    sha256 TEXT NOT NULL
                );
                CREATE INDEX attachments_message ON attachments(message_id);
                CREATE INDEX attachments_hash ON attachments(sha256);
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id INTEGER NOT NULL REFERENCES messages(id),
                    channel TEXT NOT NULL,
                    channel_kind TEXT NOT NULL,
                    recipient TEXT,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    last_error TEXT,
                    created_at REAL NOT NULL
                );
                CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    type TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    ticket_id INTEGER,
                    customer_id INTEGER,
                    data TEXT NOT NULL,
                    occurred_at REAL NOT NULL
                );
                CREATE INDEX events_customer ON events(customer_id, seq);
                CREATE TABLE customer_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    customer_id INTEGER NOT NULL REFERENCES customers(id),
                    type TEXT NOT NULL,
                    title TEXT NOT NULL,
                    data TEXT NOT NULL DEFAULT '{}',
                    external_id TEXT,
                    occurred_at REAL NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX customer_events_customer ON customer_events(customer_id, occurred_at);
                CREATE UNIQUE INDEX customer_events_external ON customer_events(customer_id, type, external_id) WHERE external_id IS NOT NULL;
                CREATE TABLE customer_merges (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    source_id INTEGER NOT NULL REFERENCES customers(id),
                    target_id INTEGER NOT NULL REFERENCES customers(id),
                    moved TEXT NOT NULL,
                    target_before TEXT NOT NULL,
                    actor_agent_id INTEGER,
                    merged_at REAL NOT NULL,
                    undone_at REAL
                );
                CREATE TABLE assignment_cursors (
                    group_name TEXT PRIMARY KEY,
                    last_agent_id INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL,
                    actor_agent_id INTEGER,
                    action TEXT NOT NULL,
                    target_type TEXT NOT NULL,
                    target_id INTEGER,
                    details TEXT NOT NULL DEFAULT '{}'
                );
                """)
        }
        migrator.registerMigration("2026-11-24-sla") { db in
            try db.execute(sql: """
                CREATE TABLE settings (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE sla_calendars (
                    id TEXT PRIMARY KEY,
                    position INTEGER NOT NULL,
                    definition TEXT NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE TABLE sla_policies (
                    id TEXT PRIMARY KEY,
                    position INTEGER NOT NULL,
                    definition TEXT NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE TABLE sla_clocks (
                    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                    metric TEXT NOT NULL,
                    policy_id TEXT NOT NULL,
                    calendar_id TEXT NOT NULL,
                    target REAL NOT NULL,
                    warn_fraction REAL NOT NULL,
                    status TEXT NOT NULL,
                    cycle INTEGER NOT NULL,
                    started_at REAL NOT NULL,
                    elapsed_before REAL NOT NULL,
                    running_since REAL,
                    due_at REAL,
                    warn_at REAL,
                    warned_at REAL,
                    breached_at REAL,
                    ended_at REAL,
                    next_fire_at REAL,
                    next_fire_kind TEXT,
                    PRIMARY KEY (ticket_id, metric)
                ) WITHOUT ROWID;
                CREATE INDEX sla_clocks_schedule ON sla_clocks(next_fire_at, ticket_id, metric, next_fire_kind, cycle, due_at)
                    WHERE next_fire_at IS NOT NULL;
                CREATE TABLE sla_clock_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket_id INTEGER NOT NULL,
                    metric TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    cause TEXT NOT NULL,
                    cycle INTEGER NOT NULL,
                    policy_id TEXT NOT NULL,
                    due_at REAL,
                    elapsed REAL NOT NULL,
                    at REAL NOT NULL
                );
                CREATE INDEX sla_clock_events_ticket ON sla_clock_events(ticket_id, id);
                CREATE TABLE sla_alerts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket_id INTEGER NOT NULL,
                    metric TEXT NOT NULL,
                    cycle INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    policy_id TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    assignee_id INTEGER,
                    due_at REAL NOT NULL,
                    recorded_at REAL NOT NULL,
                    actions TEXT NOT NULL DEFAULT '[]',
                    UNIQUE (ticket_id, metric, cycle, kind)
                );
                CREATE INDEX sla_alerts_recorded ON sla_alerts(kind, recorded_at);
                """)
        }
        migrator.registerMigration("2026-11-24-mailbox") { db in
            try db.execute(sql: """
                CREATE TABLE channel_state (
                    channel TEXT PRIMARY KEY,
                    uid_validity INTEGER,
                    watermark INTEGER NOT NULL DEFAULT 0,
                    last_poll_at REAL,
                    last_success_at REAL,
                    last_error TEXT,
                    last_error_at REAL,
                    fetched INTEGER NOT NULL DEFAULT 0,
                    stored INTEGER NOT NULL DEFAULT 0,
                    duplicates INTEGER NOT NULL DEFAULT 0,
                    quarantined INTEGER NOT NULL DEFAULT 0,
                    sent INTEGER NOT NULL DEFAULT 0,
                    send_failures INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                CREATE TABLE quarantine (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    channel TEXT NOT NULL,
                    source_ref TEXT NOT NULL,
                    raw_sha256 TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 1,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    resolved_at REAL,
                    ticket_id INTEGER,
                    UNIQUE (channel, source_ref)
                );
                CREATE INDEX quarantine_open ON quarantine(channel, resolved_at, id);
                """)
        }
        migrator.registerMigration("2026-11-25-automated-messages") { db in
            // Bounces and auto-replies are stored on the ticket they belong to, marked so agents (and the
            // answer bot) can tell them from a customer's own words.
            try db.execute(sql: "ALTER TABLE messages ADD COLUMN automated INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("2026-11-25-knowledge") { db in
            // Articles and canned responses: seeded from KnowledgeBase/, then the database is the truth.
            // `origin` says whether later file edits still apply ('file') or the API decided ('api');
            // a deletion keeps a tombstone so a reload does not bring the file's version back.
            try db.execute(sql: """
                CREATE TABLE kb_articles (
                    id TEXT PRIMARY KEY,
                    locale TEXT NOT NULL,
                    title TEXT NOT NULL,
                    tags TEXT NOT NULL DEFAULT '[]',
                    keywords TEXT NOT NULL DEFAULT '[]',
                    summary TEXT,
                    status TEXT NOT NULL,
                    body TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    version INTEGER NOT NULL DEFAULT 1,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    deleted_at REAL
                ) WITHOUT ROWID;
                CREATE TABLE canned_responses (
                    shortcut TEXT PRIMARY KEY,
                    locale TEXT NOT NULL,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    version INTEGER NOT NULL DEFAULT 1,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    deleted_at REAL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("2026-11-26-answer-bot") { db in
            // One row per customer turn the answer bot decided on, keyed by the turn's last message so a
            // restart never answers twice; the scores it weighed are kept for supervisors.
            try db.execute(sql: """
                CREATE TABLE bot_decisions (
                    id INTEGER PRIMARY KEY,
                    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                    message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id),
                    action TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    locale TEXT NOT NULL,
                    query TEXT NOT NULL,
                    candidates TEXT NOT NULL DEFAULT '[]',
                    article_id TEXT,
                    reply_message_id INTEGER REFERENCES messages(id),
                    created_at REAL NOT NULL
                );
                CREATE INDEX bot_decisions_ticket ON bot_decisions(ticket_id, id);
                """)
        }
        migrator.registerMigration("2026-11-26-sms") { db in
            // SMS: the provider's id and last status for an outbound message (delivery callbacks find it by
            // that id), the segment count it was sent as, the reason a delivery failed, and links to media
            // the provider keeps for an inbound MMS (JSON array of {url, contentType}).
            try db.execute(sql: """
                ALTER TABLE messages ADD COLUMN provider_id TEXT;
                ALTER TABLE messages ADD COLUMN provider_status TEXT;
                ALTER TABLE messages ADD COLUMN segments INTEGER;
                ALTER TABLE messages ADD COLUMN delivery_error TEXT;
                ALTER TABLE messages ADD COLUMN media TEXT;
                CREATE INDEX messages_provider ON messages(channel, provider_id) WHERE provider_id IS NOT NULL;
                """)
        }
        migrator.registerMigration("2026-11-27-chat-webhooks") { db in
            // Chat webhooks and Telegram: a reply longer than one platform message is sent in parts; the
            // parts already accepted are counted so a retry sends only the rest, never one twice.
            try db.execute(sql: "ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("2026-11-28-leases") { db in
            // Work one process does at a time (a mailbox's poll). One SQLite process holds every lease; the
            // table keeps the two backends alike.
            try db.execute(sql: """
                CREATE TABLE leases (
                    name TEXT PRIMARY KEY,
                    holder TEXT NOT NULL,
                    generation INTEGER NOT NULL,
                    expires_at REAL NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }
}
