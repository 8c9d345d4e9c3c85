import CCurl

/// One IMAP IDLE wait (RFC 2177) on its own CURLOPT_CONNECT_ONLY connection.
///
/// libcurl's IMAP support has no IDLE, so after curl has connected and logged in this speaks the protocol
/// over the raw socket: CAPABILITY, SELECT, IDLE, wait for `* n EXISTS` or the timeout, DONE, LOGOUT.
struct IMAPIdleSession: Sendable {
    /// How long each command may take before the session gives up.
    static let commandTimeout: Duration = .seconds(30)

    let settings: MailServerSettings

    /// Waits for new mail in `mailbox`. When `knownUIDNext` is given and SELECT already shows a larger UIDNEXT,
    /// mail arrived since the caller last looked and the wait ends at once.
    func wait(mailbox: String, timeout: Duration, knownUIDNext: UInt32?) async throws -> IdleEvent {
        let easy = try CurlEasy(settings: settings, mailProtocol: .imap)
        let settings = settings
        return try await easy.withRawConnection { connection in
            var conversation = Conversation(connection: connection)
            let capabilities = IMAPSyntax.capabilities(try conversation.command("CAPABILITY"))
            guard capabilities.contains("IDLE") else {
                try? conversation.logout()
                return .unsupported
            }
            let select = "SELECT \(try IMAPSyntax.quoted(IMAPMailboxName.encode(mailbox)))"
            let selected: [String]
            do {
                selected = try conversation.command(select)
            } catch IMAPError.commandFailed {
                // libcurl normally logs in during CONNECT_ONLY; log in here if this build did not.
                _ = try conversation.command(
                    "LOGIN \(try IMAPSyntax.quoted(settings.username)) \(try IMAPSyntax.quoted(settings.password))"
                )
                selected = try conversation.command(select)
            }
            let status = try IMAPSyntax.mailboxStatus(selected)
            if let knownUIDNext, let uidNext = status.uidNext, uidNext > knownUIDNext {
                try? conversation.logout()
                return .newMessages(exists: status.exists)
            }
            let event = try conversation.idle(timeout: timeout, exists: status.exists)
            try? conversation.logout()
            return event
        }
    }

    /// Tagged command/response exchange over the raw connection.
    private struct Conversation {
        let connection: CurlRawConnection
        var reader = IMAPResponseReader()
        var tagNumber = 0

        init(connection: CurlRawConnection) {
            self.connection = connection
        }

        /// Sends one command and returns its untagged responses; NO or BAD throws `IMAPError.commandFailed`.
        mutating func command(_ text: String) throws -> [String] {
            let tag = nextTag()
            let deadline = ContinuousClock.now + IMAPIdleSession.commandTimeout
            try connection.send(Array("\(tag) \(text)\r\n".utf8), deadline: deadline)
            return try readUntilTagged(tag, command: text, deadline: deadline)
        }

        /// RFC 2177: IDLE, wait for an untagged EXISTS above `exists` or the timeout, then DONE.
        mutating func idle(timeout: Duration, exists: Int) throws -> IdleEvent {
            let tag = nextTag()
            let commandDeadline = ContinuousClock.now + IMAPIdleSession.commandTimeout
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
                try Self.checkBye(line)
                if let count = IMAPSyntax.existsCount(line), count > exists {
                    event = .newMessages(exists: count)
                    break
                }
            }
            try connection.send(Array("DONE\r\n".utf8), deadline: ContinuousClock.now + IMAPIdleSession.commandTimeout)
            let trailing = try readUntilTagged(tag, command: "IDLE", deadline: ContinuousClock.now + IMAPIdleSession.commandTimeout)
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
                try Self.checkBye(line)
                untagged.append(line)
            }
        }

        /// The next complete response as text, or nil when the deadline passes first.
        private mutating func nextLine(until deadline: ContinuousClock.Instant) throws -> String? {
            while true {
                if let response = reader.nextResponse() {
                    return String(decoding: response, as: UTF8.self)
                }
                guard let bytes = try connection.receive(until: deadline) else { return nil }
                reader.append(bytes)
            }
        }

        private mutating func nextTag() -> String {
            tagNumber += 1
            return "P\(tagNumber)"
        }

        /// RFC 3501 §7.1.5: BYE means the server is closing the connection.
        private static func checkBye(_ line: String) throws {
            if line.uppercased().hasPrefix("* BYE") {
                throw IMAPError.commandFailed(command: "IDLE", response: line)
            }
        }
    }
}
