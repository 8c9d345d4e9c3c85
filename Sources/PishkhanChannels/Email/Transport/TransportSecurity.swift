/// How a mail connection is protected.
public enum TransportSecurity: Sendable, Hashable {
    /// Plain TCP with no TLS at all; meant for loopback test servers only.
    case none
    /// Plain port upgraded with STARTTLS (RFC 3501 §6.2.1, RFC 3207); the upgrade is required, never optional.
    case startTLS
    /// TLS from the first byte, `imaps://` or `smtps://` (RFC 8314 §3.3).
    case implicitTLS
}
