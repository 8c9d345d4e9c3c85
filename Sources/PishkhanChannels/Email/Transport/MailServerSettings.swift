/// Where and how to reach one mail server account: address, transport security, credentials and timeouts.
public struct MailServerSettings: Sendable {
    public var host: String
    public var port: Int
    public var security: TransportSecurity
    /// Login name; an empty name means no authentication (useful for SMTP relays on loopback).
    public var username: String
    public var password: String
    /// Verify the server certificate and host name; only tests against self-signed servers turn this off.
    public var verifyPeer: Bool
    /// PEM bundle to verify against instead of the system default.
    public var caBundlePath: String?
    public var connectTimeout: Duration
    /// A transfer slower than `lowSpeedLimitBytesPerSecond` for this long is aborted (CURLOPT_LOW_SPEED_TIME).
    public var lowSpeedTime: Duration
    public var lowSpeedLimitBytesPerSecond: Int

    public init(
        host: String,
        port: Int,
        security: TransportSecurity,
        username: String,
        password: String,
        verifyPeer: Bool = true,
        caBundlePath: String? = nil,
        connectTimeout: Duration = .seconds(15),
        lowSpeedTime: Duration = .seconds(60),
        lowSpeedLimitBytesPerSecond: Int = 1
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.verifyPeer = verifyPeer
        self.caBundlePath = caBundlePath
        self.connectTimeout = connectTimeout
        self.lowSpeedTime = lowSpeedTime
        self.lowSpeedLimitBytesPerSecond = lowSpeedLimitBytesPerSecond
    }

    /// `scheme://host:port` with IPv6 literals bracketed (RFC 3986 §3.2.2).
    func baseURL(for mailProtocol: MailProtocol) -> String {
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(mailProtocol.scheme(for: security))://\(hostPart):\(port)"
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
