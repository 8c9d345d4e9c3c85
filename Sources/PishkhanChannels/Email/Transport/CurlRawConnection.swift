import CCurl
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connected CURLOPT_CONNECT_ONLY socket: raw `curl_easy_send`/`curl_easy_recv` (through TLS when the
/// handle uses it), waiting with poll(2) on CURLINFO_ACTIVESOCKET instead of spinning.
///
/// Valid only inside `CurlEasy.withRawConnection`, on the handle's queue.
struct CurlRawConnection {
    /// Longest single poll(2) wait, so cancellation is noticed promptly.
    static let pollSlice: Duration = .milliseconds(100)

    private let handle: UnsafeMutableRawPointer
    private let cancellation: CancellationFlag

    init(handle: UnsafeMutableRawPointer, cancellation: CancellationFlag) {
        self.handle = handle
        self.cancellation = cancellation
    }

    /// Sends all bytes, waiting for the socket to drain when libcurl answers CURLE_AGAIN.
    func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let code = bytes.withUnsafeBytes { buffer in
                curl_easy_send(handle, buffer.baseAddress! + offset, buffer.count - offset, &sent)
            }
            switch code {
            case CURLE_OK:
                offset += sent
            case CURLE_AGAIN:
                guard try wait(for: Int16(POLLOUT), until: deadline) else {
                    throw CurlError(code: CURLE_OPERATION_TIMEDOUT, message: "timed out sending to the server")
                }
            default:
                throw CurlError(code: code, message: "curl_easy_send failed: \(CurlError.describe(code))")
            }
        }
    }

    /// Receives whatever is available, waiting up to `deadline`; `nil` means the deadline passed first.
    /// A closed connection throws.
    func receive(until deadline: ContinuousClock.Instant) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            var received = 0
            let code = buffer.withUnsafeMutableBytes { raw in
                curl_easy_recv(handle, raw.baseAddress!, raw.count, &received)
            }
            switch code {
            case CURLE_OK:
                guard received > 0 else {
                    throw CurlError(code: CURLE_RECV_ERROR, message: "the server closed the connection")
                }
                return Array(buffer[..<received])
            case CURLE_AGAIN:
                guard try wait(for: Int16(POLLIN), until: deadline) else { return nil }
            default:
                throw CurlError(code: code, message: "curl_easy_recv failed: \(CurlError.describe(code))")
            }
        }
    }

    /// Polls the active socket in short slices; false when the deadline passes, throws on cancellation.
    private func wait(for events: Int16, until deadline: ContinuousClock.Instant) throws -> Bool {
        var socket: curl_socket_t = -1
        let code = cm_getinfo_socket(handle, CURLINFO_ACTIVESOCKET, &socket)
        guard code == CURLE_OK, socket != -1 else {
            throw CurlError(code: code == CURLE_OK ? CURLE_RECV_ERROR : code, message: "no active socket")
        }
        while true {
            if cancellation.isCancelled { throw CancellationError() }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return false }
            let slice = min(remaining, Self.pollSlice)
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, MailServerSettings.milliseconds(slice))))
            if ready > 0 { return true }
            if ready < 0, errno != EINTR {
                throw CurlError(code: CURLE_RECV_ERROR, message: "poll failed with errno \(errno)")
            }
        }
    }
}
