import CCurl
import Dispatch

/// One reusable libcurl easy handle for one mailbox connection.
///
/// libcurl keeps the connection cached on the handle, so consecutive requests to the same server reuse one
/// login. `curl_easy_perform` blocks, so every use of the handle runs on its own serial `DispatchQueue`,
/// never on the cooperative pool; that queue is also what makes sharing the class safe.
public final class CurlEasy: @unchecked Sendable {
    public let settings: MailServerSettings
    public let mailProtocol: MailProtocol
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let queue: DispatchQueue

    public init(settings: MailServerSettings, mailProtocol: MailProtocol) throws(CurlError) {
        try CurlRuntime.ensureInitialized()
        guard let handle = curl_easy_init() else {
            throw CurlError(code: CURLE_FAILED_INIT, message: "curl_easy_init returned NULL")
        }
        self.settings = settings
        self.mailProtocol = mailProtocol
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        self.queue = DispatchQueue(label: "curlmail.easy.\(settings.host):\(settings.port)")
        do {
            try configure()
        } catch {
            curl_easy_cleanup(handle)
            errorBuffer.deallocate()
            throw error
        }
    }

    deinit {
        // curl_easy_cleanup may still say LOGOUT/QUIT and wait for the reply: keep that off the caller's thread.
        let resources = HandleResources(handle: handle, errorBuffer: errorBuffer)
        queue.async {
            curl_easy_cleanup(resources.handle)
            resources.errorBuffer.deallocate()
        }
    }

    /// Carries the raw handle into the cleanup block; nothing else can reach it once `deinit` has started.
    private struct HandleResources: @unchecked Sendable {
        let handle: UnsafeMutableRawPointer
        let errorBuffer: UnsafeMutablePointer<CChar>
    }

    /// Runs one transfer on the handle's queue. Cancelling the task aborts the transfer through the
    /// progress callback and throws `CancellationError`.
    public func perform(_ request: CurlRequest) async throws -> CurlResponse {
        let cancellation = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(with: Result { try self.performOnQueue(request, cancellation: cancellation) })
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Connects (and for IMAP/SMTP greets and logs in) with CURLOPT_CONNECT_ONLY, then lets `body` speak the
    /// protocol itself over the socket, on the handle's queue. The connection stays cached on the handle;
    /// use a dedicated `CurlEasy` for this and drop it afterwards.
    func withRawConnection<T: Sendable>(
        path: String = "/",
        _ body: @escaping @Sendable (CurlRawConnection) throws -> T
    ) async throws -> T {
        let cancellation = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(with: Result {
                        try self.connectOnQueue(path: path, cancellation: cancellation)
                        return try body(CurlRawConnection(handle: self.handle, cancellation: cancellation))
                    })
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    // MARK: - Queue-confined work

    private func performOnQueue(_ request: CurlRequest, cancellation: CancellationFlag) throws -> CurlResponse {
        if cancellation.isCancelled { throw CancellationError() }
        let state = TransferState(upload: request.upload ?? [], cancellation: cancellation)
        let userData = Unmanaged.passRetained(state)
        var recipients: UnsafeMutablePointer<curl_slist>?
        defer {
            _ = cm_setopt_pointer(handle, CURLOPT_MAIL_RCPT, nil)
            clearUserData()
            curl_slist_free_all(recipients)
            userData.release()
        }
        try set(CURLOPT_URL, settings.baseURL(for: mailProtocol) + request.path)
        try set(CURLOPT_CUSTOMREQUEST, request.customCommand)
        try setUserData(userData.toOpaque())
        if let upload = request.upload {
            try set(CURLOPT_UPLOAD, 1)
            try check(cm_setopt_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(upload.count)))
        } else {
            try set(CURLOPT_UPLOAD, 0)
            try check(cm_setopt_offset(handle, CURLOPT_INFILESIZE_LARGE, -1))
        }
        try set(CURLOPT_MAIL_FROM, request.mailFrom.map { "<\($0)>" })
        for recipient in request.mailRecipients {
            guard let appended = curl_slist_append(recipients, "<\(recipient)>") else {
                throw CurlError(code: CURLE_OUT_OF_MEMORY, message: "curl_slist_append failed")
            }
            recipients = appended
        }
        try check(cm_setopt_pointer(handle, CURLOPT_MAIL_RCPT, recipients))

        errorBuffer[0] = 0
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            if code == CURLE_ABORTED_BY_CALLBACK, cancellation.isCancelled { throw CancellationError() }
            throw makeError(code, serverLines: state.serverLines)
        }
        return CurlResponse(body: state.body, serverLines: state.serverLines, responseCode: responseCode())
    }

    private func connectOnQueue(path: String, cancellation: CancellationFlag) throws {
        if cancellation.isCancelled { throw CancellationError() }
        let state = TransferState(upload: [], cancellation: cancellation)
        let userData = Unmanaged.passRetained(state)
        defer {
            clearUserData()
            userData.release()
        }
        try set(CURLOPT_URL, settings.baseURL(for: mailProtocol) + path)
        try set(CURLOPT_CONNECT_ONLY, 1)
        try setUserData(userData.toOpaque())
        errorBuffer[0] = 0
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            if code == CURLE_ABORTED_BY_CALLBACK, cancellation.isCancelled { throw CancellationError() }
            throw makeError(code, serverLines: state.serverLines)
        }
    }

    /// Options that hold for every request on this handle.
    private func configure() throws(CurlError) {
        try set(CURLOPT_NOSIGNAL, 1)  // timeouts must not use SIGALRM in a threaded process
        try set(CURLOPT_VERBOSE, 0)
        try check(cm_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        try set(CURLOPT_PROTOCOLS_STR, mailProtocol.allowedCurlProtocols)
        try set(CURLOPT_CONNECTTIMEOUT_MS, MailServerSettings.milliseconds(settings.connectTimeout))
        try set(CURLOPT_LOW_SPEED_LIMIT, settings.lowSpeedLimitBytesPerSecond)
        try set(CURLOPT_LOW_SPEED_TIME, max(1, MailServerSettings.milliseconds(settings.lowSpeedTime) / 1000))
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        if !settings.username.isEmpty {
            try set(CURLOPT_USERNAME, settings.username)
            try set(CURLOPT_PASSWORD, settings.password)
        }
        let useSSL = settings.security == .startTLS ? CURLUSESSL_ALL : CURLUSESSL_NONE
        try set(CURLOPT_USE_SSL, Int(useSSL.rawValue))
        try set(CURLOPT_SSL_VERIFYPEER, settings.verifyPeer ? 1 : 0)
        try set(CURLOPT_SSL_VERIFYHOST, settings.verifyPeer ? 2 : 0)
        if let caBundlePath = settings.caBundlePath {
            try set(CURLOPT_CAINFO, caBundlePath)
        }
        // Without user data (a LOGOUT/QUIT during cleanup) incoming bytes are accepted and dropped.
        try check(cm_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, userData in
            guard let buffer, let userData else { return size * count }
            let state = Unmanaged<TransferState>.fromOpaque(userData).takeUnretainedValue()
            state.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: size * count))
            return size * count
        })
        try check(cm_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, userData in
            guard let buffer, let userData else { return size * count }
            let state = Unmanaged<TransferState>.fromOpaque(userData).takeUnretainedValue()
            state.appendServerLine(UnsafeRawBufferPointer(start: buffer, count: size * count))
            return size * count
        })
        try check(cm_setopt_data_callback(handle, CURLOPT_READFUNCTION) { buffer, size, count, userData in
            guard let buffer, let userData else { return Int(CURL_READFUNC_ABORT) }
            let state = Unmanaged<TransferState>.fromOpaque(userData).takeUnretainedValue()
            if state.cancellation.isCancelled { return Int(CURL_READFUNC_ABORT) }
            return state.readUpload(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
        })
        try set(CURLOPT_NOPROGRESS, 0)
        try check(cm_setopt_xferinfo_callback(handle, CURLOPT_XFERINFOFUNCTION) { userData, _, _, _, _ in
            guard let userData else { return 0 }
            let state = Unmanaged<TransferState>.fromOpaque(userData).takeUnretainedValue()
            return state.cancellation.isCancelled ? 1 : 0
        })
    }

    private func setUserData(_ pointer: UnsafeMutableRawPointer?) throws(CurlError) {
        for option in [CURLOPT_WRITEDATA, CURLOPT_HEADERDATA, CURLOPT_READDATA, CURLOPT_XFERINFODATA] {
            try check(cm_setopt_pointer(handle, option, pointer))
        }
    }

    /// Callbacks must never see a pointer to a released `TransferState`.
    private func clearUserData() {
        try? setUserData(nil)
    }

    private func set(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(cm_setopt_long(handle, option, value))
    }

    /// String options are copied by libcurl (since 7.17); `nil` restores the default.
    private func set(_ option: CURLoption, _ value: String?) throws(CurlError) {
        try check(cm_setopt_string(handle, option, value))
    }

    private func check(_ code: CURLcode) throws(CurlError) {
        guard code == CURLE_OK else {
            throw CurlError(code: code, message: "curl_easy_setopt failed: \(CurlError.describe(code))")
        }
    }

    private func responseCode() -> Int {
        var code = 0
        _ = cm_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    private func makeError(_ code: CURLcode, serverLines: [String]) -> CurlError {
        let buffered = String(cString: errorBuffer)
        let response = responseCode()
        return CurlError(
            code: code,
            message: buffered.isEmpty ? CurlError.describe(code) : buffered,
            responseCode: response > 0 ? response : nil,
            serverResponse: Self.failingLine(serverLines, responseCode: response)
        )
    }

    /// The server line that explains a failure: the SMTP reply carrying `responseCode`, else the last tagged
    /// IMAP NO/BAD, else the last line. curl sends QUIT/LOGOUT after a failure, so the last line is often a goodbye.
    static func failingLine(_ lines: [String], responseCode: Int) -> String? {
        if responseCode > 0, let line = lines.last(where: { $0.hasPrefix(String(responseCode)) }) {
            return line
        }
        let taggedFailure = lines.last { line in
            let words = line.split(separator: " ", maxSplits: 2)
            return words.count >= 2 && words[0] != "*" && ["NO", "BAD"].contains(words[1].uppercased())
        }
        return taggedFailure ?? lines.last
    }
}
