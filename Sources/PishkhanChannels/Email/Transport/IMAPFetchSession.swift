import Dispatch
import Synchronization

/// One read-only IMAP connection that fetches batch after batch with `UID FETCH <set> (UID BODY.PEEK[])`,
/// logging in once for all of them (`IMAPClient.withFetchSession`). The connection is spoken on its
/// libcurl handle's queue, which waits for the next request between batches; requests are answered in
/// order. Once the connection fails, that request and every later one fail with the same error.
public final class IMAPFetchSession: Sendable {
    private struct Request: Sendable {
        var uids: [UInt32]
        var continuation: CheckedContinuation<[UInt32: [UInt8]], any Error>
    }
    private struct State {
        var queue: [Request] = []
        var closed = false
        var failure: (any Error)?
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    init() {}

    /// The raw bytes of each message in `uids` that still exists; a UID no longer in the mailbox is absent.
    public func fetch(_ uids: [UInt32]) async throws -> [UInt32: [UInt8]] {
        guard !uids.isEmpty else { return [:] }
        return try await withCheckedThrowingContinuation { continuation in
            let refusal = state.withLock { s -> (any Error)? in
                if let failure = s.failure { return failure }
                if s.closed { return IMAPError.malformedResponse("the fetch session is closed") }
                s.queue.append(Request(uids: uids, continuation: continuation))
                return nil
            }
            if let refusal { continuation.resume(throwing: refusal) } else { wake.signal() }
        }
    }

    /// No more requests: the connection logs out once the queued ones are answered.
    func close() {
        state.withLock { $0.closed = true }
        wake.signal()
    }

    /// Fails what is queued and everything asked later with `error` (the connection could not be opened or broke).
    func fail(_ error: any Error) {
        let failed = state.withLock { s -> [Request] in
            if s.failure == nil { s.failure = error }
            defer { s.queue.removeAll() }
            return s.queue
        }
        for request in failed { request.continuation.resume(throwing: error) }
    }

    /// Runs on the handle's queue for the life of the connection.
    func serve(_ connection: CurlRawConnection, mailbox: String, settings: MailServerSettings) throws {
        var conversation = IMAPConversation(connection: connection)
        _ = try conversation.select(mailbox, readOnly: true, settings: settings)
        while true {
            wake.wait()
            let (next, closed) = state.withLock { s -> (Request?, Bool) in
                s.queue.isEmpty ? (nil, s.closed) : (s.queue.removeFirst(), s.closed)
            }
            if let next {
                do {
                    next.continuation.resume(returning: try conversation.fetchBodies(next.uids))
                } catch {
                    next.continuation.resume(throwing: error)
                    throw error
                }
                // Each signal stands for one request or the close; a close that came with requests
                // still queued is seen again once they are answered.
                if closed, state.withLock({ $0.queue.isEmpty }) { break }
            } else if closed {
                break
            }
        }
        try? conversation.logout()
    }
}

extension IMAPClient {
    /// Runs `body` with a fetch session on a read-only connection of its own (EXAMINE), opened when `body`
    /// starts and logged out when it returns. `BODY.PEEK[]` leaves `\Seen` alone, so the caller flags only
    /// what it has stored, and this connection sends no flag changes other sessions would read back.
    public func withFetchSession<T: Sendable>(in mailbox: String = "INBOX", _ body: (IMAPFetchSession) async throws -> T) async throws -> T {
        let session = IMAPFetchSession()
        let settings = settings
        let serving = Task {
            do {
                try await CurlEasy(settings: settings, mailProtocol: .imap).withRawConnection { connection in
                    try session.serve(connection, mailbox: mailbox, settings: settings)
                }
                session.fail(IMAPError.malformedResponse("the fetch session is closed"))
            } catch {
                session.fail(error)
            }
        }
        do {
            let result = try await body(session)
            session.close()
            await serving.value
            return result
        } catch {
            session.close()
            await serving.value
            throw error
        }
    }
}
