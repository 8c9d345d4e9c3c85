import CCurl

/// A failed libcurl transfer: the `CURLcode`, curl's own message, and what the mail server answered.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    public let code: CURLcode
    /// Text from CURLOPT_ERRORBUFFER, or `curl_easy_strerror` when the buffer was empty.
    public let message: String
    /// Numeric SMTP reply code (RFC 5321 §4.2) of the failing step, when the server sent one.
    public let responseCode: Int?
    /// Last line the server sent, e.g. `A002 NO [AUTHENTICATIONFAILED] ...` or `550 5.1.1 ...`.
    public let serverResponse: String?

    public init(code: CURLcode, message: String, responseCode: Int? = nil, serverResponse: String? = nil) {
        self.code = code
        self.message = message
        self.responseCode = responseCode
        self.serverResponse = serverResponse
    }

    /// True when retrying the same request cannot succeed: an SMTP 5xx reply (RFC 5321 §4.2.1),
    /// rejected credentials, or a request curl refuses to make. Connection trouble and 4xx are temporary.
    public var isPermanent: Bool {
        if let responseCode, (500..<600).contains(responseCode) { return true }
        switch code {
        case CURLE_LOGIN_DENIED, CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_FILESIZE_EXCEEDED,
             CURLE_BAD_FUNCTION_ARGUMENT:
            return true
        default:
            return false
        }
    }

    /// The bracketed IMAP response code of `serverResponse` (RFC 5530), e.g. `AUTHENTICATIONFAILED`.
    public var imapResponseCode: String? {
        guard let serverResponse, let open = serverResponse.firstIndex(of: "["),
              let close = serverResponse[open...].firstIndex(where: { $0 == "]" || $0 == " " }) else { return nil }
        let code = serverResponse[serverResponse.index(after: open)..<close]
        return code.isEmpty ? nil : String(code)
    }

    /// The server refused the credentials.
    public var isLoginDenied: Bool { code == CURLE_LOGIN_DENIED }

    /// The server's certificate or host name did not verify against the trusted CAs.
    public var isCertificateFailure: Bool {
        code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE
    }

    /// STARTTLS was required but the server did not offer it (RFC 3207 §4, RFC 3501 §6.2.1).
    public var isTLSUnavailable: Bool { code == CURLE_USE_SSL_FAILED }

    /// The server could not be reached (refused, unresolvable, or the connect timed out).
    public var isConnectionFailure: Bool {
        [CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT].contains(code)
    }

    public var description: String {
        var text = "curl error \(code.rawValue) (\(Self.describe(code))): \(message)"
        if let responseCode { text += "; response code \(responseCode)" }
        if let serverResponse { text += "; server said: \(serverResponse)" }
        return text
    }

    static func describe(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }
}
