import CCurl
import Synchronization

/// IMAP access to one mailbox account over one reused libcurl handle (one connection, one login).
///
/// Commands that act on UIDs carry the mailbox in the URL, so libcurl SELECTs it first when it is not
/// already selected on the connection. New mail is found by UID watermark, never by `\Seen`.
public final class IMAPClient: Sendable {
    public let settings: MailServerSettings
    private let easy: CurlEasy
    private let cachedCapabilities = Mutex<Set<String>?>(nil)

    public init(settings: MailServerSettings) throws {
        self.settings = settings
        self.easy = try CurlEasy(settings: settings, mailProtocol: .imap)
    }

    /// Post-login CAPABILITY atoms, upper-cased (RFC 3501 §6.1.1); fetched once, then cached.
    public func capabilities() async throws -> Set<String> {
        if let cached = cachedCapabilities.withLock({ $0 }) { return cached }
        let lines = try await command("CAPABILITY", path: "/")
        let capabilities = IMAPSyntax.capabilities(lines)
        cachedCapabilities.withLock { $0 = capabilities }
        return capabilities
    }

    /// SELECTs `mailbox` and reports UIDVALIDITY, UIDNEXT and EXISTS (RFC 3501 §6.3.1).
    ///
    /// SELECT rather than EXAMINE: libcurl remembers which mailbox it selected and would otherwise run later
    /// STORE commands against a read-only selection.
    public func select(_ mailbox: String = "INBOX") async throws -> IMAPMailboxStatus {
        let lines = try await command("SELECT \(try IMAPSyntax.quoted(IMAPMailboxName.encode(mailbox)))", mailbox: mailbox)
        return try IMAPSyntax.mailboxStatus(lines)
    }

    /// UIDs above `watermark`, ascending. `UID SEARCH UID n:*` always matches the highest UID even when it is
    /// below n (RFC 3501 §6.4.8: `*` is the largest UID in use), so the answer is filtered.
    ///
    /// A NOOP goes first: servers (Dovecot among them) pick up newly delivered mail only when they sync the
    /// mailbox, which RFC 3501 §6.1.2 ties to NOOP, not to SEARCH on an already selected mailbox.
    public func searchUIDs(in mailbox: String = "INBOX", above watermark: UInt32) async throws -> [UInt32] {
        guard watermark < UInt32.max else { return [] }
        _ = try await command("NOOP", mailbox: mailbox)
        let lines = try await command("UID SEARCH UID \(watermark + 1):*", mailbox: mailbox)
        return IMAPSyntax.searchResults(lines).filter { $0 > watermark }.sorted()
    }

    /// UIDs in `(watermark, upper]`, ascending. Bounded windows keep each `* SEARCH` line short: libcurl
    /// cuts very long response lines (about 16 KB, some 3,000 UIDs), so a mailbox is searched window by
    /// window.
    public func searchUIDs(in mailbox: String = "INBOX", above watermark: UInt32, through upper: UInt32) async throws -> [UInt32] {
        guard watermark < upper else { return [] }
        _ = try await command("NOOP", mailbox: mailbox)
        let lines = try await command("UID SEARCH UID \(watermark + 1):\(upper)", mailbox: mailbox)
        return Array(Set(IMAPSyntax.searchResults(lines).filter { $0 > watermark && $0 <= upper })).sorted()
    }

    /// The raw RFC 5322 bytes of one message, exactly as stored. Uses `UID FETCH n BODY[]`, which also sets
    /// `\Seen` (RFC 3501 §6.4.5); libcurl does not return the literal of a custom `BODY.PEEK[]`.
    public func fetch(uid: UInt32, in mailbox: String = "INBOX") async throws -> [UInt8] {
        do {
            return try await easy.perform(CurlRequest(path: "\(path(mailbox))/;UID=\(uid)")).body
        } catch let error as CurlError where error.code == CURLE_REMOTE_FILE_NOT_FOUND {
            throw IMAPError.messageNotFound(uid: uid)
        }
    }

    /// The raw bytes of several messages with one `UID FETCH <set> (UID BODY.PEEK[])`, over a read-only
    /// connection of its own (libcurl does not return the literal of `BODY.PEEK[]`). Unlike
    /// `fetch(uid:in:)` this leaves `\Seen` alone, so the caller flags only what it has stored. A UID no
    /// longer in the mailbox is absent from the answer.
    public func fetch(uids: [UInt32], in mailbox: String = "INBOX") async throws -> [UInt32: [UInt8]] {
        guard !uids.isEmpty else { return [:] }
        return try await withFetchSession(in: mailbox) { session in try await session.fetch(uids) }
    }

    /// The flags of one message (`UID FETCH n (FLAGS)`), e.g. `["\\Seen"]`.
    public func flags(uid: UInt32, in mailbox: String = "INBOX") async throws -> [String] {
        let lines = try await command("UID FETCH \(uid) (FLAGS)", mailbox: mailbox)
        guard let flags = IMAPSyntax.flags(lines, uid: uid) else { throw IMAPError.messageNotFound(uid: uid) }
        return flags
    }

    /// Adds `\Seen` (RFC 3501 §6.4.6).
    public func markSeen(uid: UInt32, in mailbox: String = "INBOX") async throws {
        try await markSeen(uids: [uid], in: mailbox)
    }

    /// Adds `\Seen` to several messages with one command.
    public func markSeen(uids: [UInt32], in mailbox: String = "INBOX") async throws {
        guard !uids.isEmpty else { return }
        _ = try await command("UID STORE \(IMAPSyntax.uidSet(uids)) +FLAGS.SILENT (\\Seen)", mailbox: mailbox)
    }

    /// Moves one message to `destination`: UID MOVE when the server has MOVE (RFC 6851), otherwise
    /// UID COPY, `\Deleted` and UID EXPUNGE (RFC 4315), or plain EXPUNGE on servers without UIDPLUS.
    public func move(uid: UInt32, from mailbox: String = "INBOX", to destination: String) async throws {
        try await move(uids: [uid], from: mailbox, to: destination, useMoveExtension: nil)
    }

    /// Moves several messages with one command (or one COPY, STORE and EXPUNGE).
    public func move(uids: [UInt32], from mailbox: String = "INBOX", to destination: String) async throws {
        try await move(uids: uids, from: mailbox, to: destination, useMoveExtension: nil)
    }

    /// `useMoveExtension` overrides capability detection, so tests can exercise the fallback.
    func move(uids: [UInt32], from mailbox: String, to destination: String, useMoveExtension: Bool?) async throws {
        guard !uids.isEmpty else { return }
        let capabilities = try await capabilities()
        let target = try IMAPSyntax.quoted(IMAPMailboxName.encode(destination))
        let set = IMAPSyntax.uidSet(uids)
        if useMoveExtension ?? capabilities.contains("MOVE") {
            _ = try await command("UID MOVE \(set) \(target)", mailbox: mailbox)
            return
        }
        _ = try await command("UID COPY \(set) \(target)", mailbox: mailbox)
        _ = try await command("UID STORE \(set) +FLAGS.SILENT (\\Deleted)", mailbox: mailbox)
        if capabilities.contains("UIDPLUS") {
            _ = try await command("UID EXPUNGE \(set)", mailbox: mailbox)
        } else {
            // Without UIDPLUS this also expunges other messages already marked \Deleted.
            _ = try await command("EXPUNGE", mailbox: mailbox)
        }
    }

    /// Creates a mailbox (RFC 3501 §6.3.3).
    public func create(mailbox: String) async throws {
        _ = try await command("CREATE \(try IMAPSyntax.quoted(IMAPMailboxName.encode(mailbox)))", path: "/")
    }

    /// Appends a raw message (RFC 3501 §6.3.11) via libcurl's upload to `imap://host/MAILBOX`.
    public func append(_ message: [UInt8], to mailbox: String = "INBOX") async throws {
        _ = try await easy.perform(CurlRequest(path: path(mailbox), upload: message))
    }

    /// Waits with IDLE (RFC 2177) on a separate connection until new mail arrives or `timeout` passes.
    /// Returns `.unsupported` when the server lacks IDLE, so the caller can poll instead. Passing the
    /// `uidNext` the caller last saw ends the wait at once if mail arrived in between.
    public func idle(in mailbox: String = "INBOX", timeout: Duration, knownUIDNext: UInt32? = nil) async throws -> IdleEvent {
        try await IMAPIdleSession(settings: settings).wait(mailbox: mailbox, timeout: timeout, knownUIDNext: knownUIDNext)
    }

    /// Runs a custom command with `mailbox` selected and returns its untagged responses.
    private func command(_ text: String, mailbox: String) async throws -> [String] {
        try await command(text, path: path(mailbox))
    }

    private func command(_ text: String, path: String) async throws -> [String] {
        let response = try await easy.perform(CurlRequest(path: path, customCommand: text))
        return IMAPSyntax.lines(response.body)
    }

    private func path(_ mailbox: String) -> String {
        // RFC 5092 §3: the mailbox is one percent-encoded path segment; libcurl decodes and quotes it.
        // Non-ASCII names go in modified UTF-7, as the server knows them.
        "/" + URLPath.segment(IMAPMailboxName.encode(mailbox))
    }
}
