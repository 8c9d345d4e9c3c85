/// The mail protocol a `CurlEasy` handle speaks, which decides URL schemes and allowed curl protocols.
public enum MailProtocol: Sendable, Hashable {
    case imap
    case smtp

    /// URL scheme for the given security; implicit TLS uses the `s` variant (RFC 8314).
    func scheme(for security: TransportSecurity) -> String {
        switch (self, security) {
        case (.imap, .implicitTLS): "imaps"
        case (.imap, _): "imap"
        case (.smtp, .implicitTLS): "smtps"
        case (.smtp, _): "smtp"
        }
    }

    /// Value for CURLOPT_PROTOCOLS_STR, so a handle can never be redirected to another protocol.
    var allowedCurlProtocols: String {
        switch self {
        case .imap: "imap,imaps"
        case .smtp: "smtp,smtps"
        }
    }
}
