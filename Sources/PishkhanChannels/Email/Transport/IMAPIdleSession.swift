import CCurl

/// One IMAP IDLE wait (RFC 2177) on its own CURLOPT_CONNECT_ONLY connection.
///
/// libcurl's IMAP support has no IDLE, so after curl has connected and logged in this speaks the protocol
/// over the raw socket: CAPABILITY, SELECT, IDLE, wait for `* n EXISTS` or the timeout, DONE, LOGOUT.
struct IMAPIdleSession: Sendable {
    let settings: MailServerSettings

    /// Waits for new mail in `mailbox`. When `knownUIDNext` is given and SELECT already shows a larger UIDNEXT,
    /// mail arrived since the caller last looked and the wait ends at once.
    func wait(mailbox: String, timeout: Duration, knownUIDNext: UInt32?) async throws -> IdleEvent {
        let easy = try CurlEasy(settings: settings, mailProtocol: .imap)
        let settings = settings
        return try await easy.withRawConnection { connection in
            var conversation = IMAPConversation(connection: connection)
            let capabilities = IMAPSyntax.capabilities(try conversation.command("CAPABILITY"))
            guard capabilities.contains("IDLE") else {
                try? conversation.logout()
                return .unsupported
            }
            let status = try conversation.select(mailbox, settings: settings)
            if let knownUIDNext, let uidNext = status.uidNext, uidNext > knownUIDNext {
                try? conversation.logout()
                return .newMessages(exists: status.exists)
            }
            let event = try conversation.idle(timeout: timeout, exists: status.exists)
            try? conversation.logout()
            return event
        }
    }
}
