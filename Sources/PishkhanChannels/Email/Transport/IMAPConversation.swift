import CCurl

/// Tagged command/response exchange over a raw IMAP connection (`CurlEasy.withRawConnection`), for what
/// libcurl's IMAP support cannot do: IDLE, and fetching bodies with `BODY.PEEK[]`.
struct IMAPConversation {
    /// How long the server may stay silent during a command before the connection is given up.
    static let commandTimeout: Duration = .seconds(30)

    let connection: CurlRawConnection
    private var reader = IMAPResponseReader()
    private var tagNumber = 0

    init(connection: CurlRawConnection) {
        self.connection = connection
    }

    /// Sends one command and returns its untagged responses; NO or BAD throws `IMAPError.commandFailed`.
    mutating func command(_ text: String) throws -> [String] {
        let tag = nextTag()
        let deadline = ContinuousClock.now + Self.commandTimeout
        try connection.send(Array("\(tag) \(text)\r\n".utf8), deadline: deadline)
        return try readUntilTagged(tag, command: text, deadline: deadline)
    }

    /// SELECTs `mailbox`, or EXAMINEs it (read-only) when `readOnly`, logging in first if this libcurl
    /// build did not during CONNECT_ONLY.
    mutating func select(_ mailbox: String, readOnly: Bool = false, settings: MailServerSettings) throws -> IMAPMailboxStatus {
        let select = "\(readOnly ? "EXAMINE" : "SELECT") \(try IMAPSyntax.quoted(IMAPMailboxName.encode(mailbox)))"
        do {
            return try IMAPSyntax.mailboxStatus(command(select))
        } catch IMAPError.commandFailed {
            _ = try command("LOGIN \(try IMAPSyntax.quoted(settings.username)) \(try IMAPSyntax.quoted(settings.password))")
            return try IMAPSyntax.mailboxStatus(command(select))
        }
    }

    /// `UID FETCH <set> (UID BODY.PEEK[])` (RFC 3501 §6.4.5): the raw bytes of every message in `uids`
    /// that still exists, in one round trip, without setting `\Seen`. Other sessions' flag changes and
    /// expunges arriving meanwhile are read and ignored.
    mutating func fetchBodies(_ uids: [UInt32]) throws -> [UInt32: [UInt8]] {
        guard !uids.isEmpty else { return [:] }
        let tag = nextTag()
        let text = "UID FETCH \(IMAPSyntax.uidSet(uids)) (UID BODY.PEEK[])"
        try connection.send(Array("\(tag) \(text)\r\n".utf8), deadline: ContinuousClock.now + Self.commandTimeout)
        let tagPrefix = Array("\(tag) ".utf8)
        var bodies: [UInt32: [UInt8]] = [:]
        while true {
            // The deadline moves with every response: a large batch may take longer than one timeout.
            guard let response = try nextResponse(until: ContinuousClock.now + Self.commandTimeout) else {
                throw CurlError(code: CURLE_OPERATION_TIMEDOUT, message: "timed out waiting for the reply to UID FETCH")
            }
            if response.starts(with: tagPrefix) {
                let line = String(decoding: response, as: UTF8.self)
                guard IMAPSyntax.taggedStatus(line, tag: tag)?.status == "OK" else {
                    throw IMAPError.commandFailed(command: text, response: line)
                }
                return bodies
            }
            if let fetched = IMAPFetchResponse(response), let uid = fetched.uid, let body = fetched.body {
                bodies[uid] = body
            } else if response.count < 1024 {
                try Self.checkBye(String(decoding: response, as: UTF8.self), command: text)
            }
        }
    }

    /// RFC 2177: IDLE, wait for an untagged EXISTS above `exists` or the timeout, then DONE.
    mutating func idle(timeout: Duration, exists: Int) throws -> IdleEvent {
        let tag = nextTag()
        let commandDeadline = ContinuousClock.now + Self.commandTimeout
        try connection.send(Array("\(tag) IDLE\r\n".utf8), deadline: commandDeadline)
        // The server answers with a continuation request ("+ idling"), or NO/BAD if it refuses.
        while true {
            guard let line = try nextLine(until: commandDeadline) else {
                throw IMAPError.malformedResponse("no continuation after IDLE")
            }
            if line.hasPrefix("+") { break }
            if let reply = IMAPSyntax.taggedStatus(line, tag: tag), reply.status != "OK" {
                return .unsupported
            }
        }
        var event = IdleEvent.timedOut
        let deadline = ContinuousClock.now + timeout
        while let line = try nextLine(until: deadline) {
            try Self.checkBye(line, command: "IDLE")
            if let count = IMAPSyntax.existsCount(line), count > exists {
                event = .newMessages(exists: count)
                break
            }
        }
        try connection.send(Array("DONE\r\n".utf8), deadline: ContinuousClock.now + Self.commandTimeout)
        let trailing = try readUntilTagged(tag, command: "IDLE", deadline: ContinuousClock.now + Self.commandTimeout)
        if event == .timedOut, let count = trailing.compactMap(IMAPSyntax.existsCount).last, count > exists {
            event = .newMessages(exists: count)
        }
        return event
    }

    /// LOGOUT without waiting long for the reply; the connection is dropped afterwards anyway.
    mutating func logout() throws {
        let tag = nextTag()
        let deadline = ContinuousClock.now + .seconds(2)
        try connection.send(Array("\(tag) LOGOUT\r\n".utf8), deadline: deadline)
        _ = try? readUntilTagged(tag, command: "LOGOUT", deadline: deadline)
    }

    private mutating func readUntilTagged(_ tag: String, command: String, deadline: ContinuousClock.Instant) throws -> [String] {
        var untagged: [String] = []
        while true {
            guard let line = try nextLine(until: deadline) else {
                throw CurlError(code: CURLE_OPERATION_TIMEDOUT, message: "timed out waiting for the reply to \(command)")
            }
            if let reply = IMAPSyntax.taggedStatus(line, tag: tag) {
                guard reply.status == "OK" else { throw IMAPError.commandFailed(command: command, response: line) }
                return untagged
            }
            try Self.checkBye(line, command: command)
            untagged.append(line)
        }
    }

    /// The next complete response as text, or nil when the deadline passes first.
    private mutating func nextLine(until deadline: ContinuousClock.Instant) throws -> String? {
        try nextResponse(until: deadline).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The next complete response (literals inline), or nil when the deadline passes first.
    private mutating func nextResponse(until deadline: ContinuousClock.Instant) throws -> [UInt8]? {
        while true {
            if let response = reader.nextResponse() { return response }
            guard let bytes = try connection.receive(until: deadline) else { return nil }
            reader.append(bytes)
        }
    }

    private mutating func nextTag() -> String {
        tagNumber += 1
        return "P\(tagNumber)"
    }

    /// RFC 3501 §7.1.5: BYE means the server is closing the connection.
    private static func checkBye(_ line: String, command: String) throws {
        if line.uppercased().hasPrefix("* BYE") {
            throw IMAPError.commandFailed(command: command, response: line)
        }
    }
}
