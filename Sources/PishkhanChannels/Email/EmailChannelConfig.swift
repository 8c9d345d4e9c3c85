import Foundation
import PishkhanCore
import Yams

/// The mail side of an email channel (`Channels/<name>.yaml`, sections `imap` and `smtp`). Passwords are
/// never in the file: `passwordEnv` names the environment variable, read once at start by the executable.
public struct EmailChannelConfig: Sendable, Equatable {
    public var channel: String
    /// Where customer mail is read; nil for a send-only channel.
    public var imap: Endpoint?
    public var mailbox: String
    public var pollInterval: Duration
    public var afterStore: AfterStore
    /// Where replies are sent; nil keeps replies queued in the outbox.
    public var smtp: Endpoint?
    public var fromAddress: String?
    public var fromName: String?

    public init(
        channel: String, imap: Endpoint?, mailbox: String = "INBOX", pollInterval: Duration = .seconds(60),
        afterStore: AfterStore = .markSeen, smtp: Endpoint?, fromAddress: String? = nil, fromName: String? = nil
    ) {
        self.channel = channel
        self.imap = imap
        self.mailbox = mailbox
        self.pollInterval = pollInterval
        self.afterStore = afterStore
        self.smtp = smtp
        self.fromAddress = fromAddress
        self.fromName = fromName
    }

    /// What happens to a message on the server once it is stored.
    public enum AfterStore: Sendable, Equatable {
        case markSeen
        case move(to: String)
    }

    /// One server account.
    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var security: TransportSecurity
        public var user: String
        public var passwordEnv: String?
        public var verifyPeer: Bool

        public init(host: String, port: Int, security: TransportSecurity, user: String, passwordEnv: String?, verifyPeer: Bool = true) {
            self.host = host
            self.port = port
            self.security = security
            self.user = user
            self.passwordEnv = passwordEnv
            self.verifyPeer = verifyPeer
        }

        public func settings(password: String) -> MailServerSettings {
            MailServerSettings(host: host, port: port, security: security, username: user, password: password, verifyPeer: verifyPeer)
        }
    }

    struct File: Decodable {
        var imap: IMAP?
        var smtp: SMTP?

        struct IMAP: Decodable {
            var url: String?
            var mailbox: String?
            var user: String?
            var passwordEnv: String?
            var pollSeconds: Double?
            var afterStore: String?
            var moveTo: String?
            var starttls: Bool?
            var verifyCertificate: Bool?
        }

        struct SMTP: Decodable {
            var url: String?
            var user: String?
            var passwordEnv: String?
            var starttls: Bool?
            var verifyCertificate: Bool?
            var from: From?
        }

        struct From: Decodable {
            var address: String?
            var name: String?
        }
    }

    /// Reads the `imap` and `smtp` sections of an email channel's file; nil when it has neither.
    public static func parse(_ yaml: String, id: String, file: String) throws -> EmailChannelConfig? {
        func fail(_ field: String, _ reason: String) -> ChannelConfigError { ChannelConfigError(file: file, field: field, reason: reason) }
        let f = try ChannelDirectory.decode(File.self, yaml, file: file)
        guard f.imap != nil || f.smtp != nil else { return nil }
        var config = EmailChannelConfig(channel: id, imap: nil, mailbox: "INBOX", pollInterval: .seconds(60), afterStore: .markSeen, smtp: nil)
        if let imap = f.imap {
            guard let url = imap.url else { throw fail("imap.url", "is required (imap://host:143 or imaps://host:993)") }
            config.imap = try endpoint(url, field: "imap.url", schemes: ["imap": (143, false), "imaps": (993, true)],
                                       user: imap.user, passwordEnv: imap.passwordEnv, starttls: imap.starttls,
                                       verify: imap.verifyCertificate, fail: fail)
            config.mailbox = imap.mailbox ?? "INBOX"
            let seconds = imap.pollSeconds ?? 60
            guard seconds >= 1, seconds <= 86_400 else { throw fail("imap.pollSeconds", "must be between 1 and 86400") }
            config.pollInterval = .milliseconds(Int64(seconds * 1000))
            switch imap.afterStore ?? "seen" {
            case "seen": config.afterStore = .markSeen
            case "move":
                guard let folder = imap.moveTo, !folder.isEmpty else { throw fail("imap.moveTo", "is required with afterStore: move") }
                config.afterStore = .move(to: folder)
            case let other: throw fail("imap.afterStore", "'\(other)' is not one of seen, move")
            }
        }
        if let smtp = f.smtp {
            guard let url = smtp.url else { throw fail("smtp.url", "is required (smtp://host:587 or smtps://host:465)") }
            config.smtp = try endpoint(url, field: "smtp.url", schemes: ["smtp": (25, false), "smtps": (465, true)],
                                       user: smtp.user, passwordEnv: smtp.passwordEnv, starttls: smtp.starttls,
                                       verify: smtp.verifyCertificate, fail: fail)
            guard let address = smtp.from?.address, address.contains("@") else {
                throw fail("smtp.from.address", "is required: the address replies are sent from")
            }
            config.fromAddress = address
            config.fromName = smtp.from?.name
        }
        return config
    }

    private static func endpoint(
        _ text: String, field: String, schemes: [String: (port: Int, tls: Bool)], user: String?, passwordEnv: String?,
        starttls: Bool?, verify: Bool?, fail: (String, String) -> ChannelConfigError
    ) throws -> Endpoint {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let defaults = schemes[scheme],
              let host = url.host, !host.isEmpty else {
            throw fail(field, "'\(text)' is not one of \(schemes.keys.sorted().map { "\($0)://host:port" }.joined(separator: ", "))")
        }
        if let env = passwordEnv, env.range(of: "^[A-Z_][A-Z0-9_]*$", options: .regularExpression) == nil {
            throw fail(field.replacingOccurrences(of: ".url", with: ".passwordEnv"), "must name an environment variable, like PISHKHAN_IMAP_PASSWORD")
        }
        let security: TransportSecurity = defaults.tls ? .implicitTLS : (starttls == true ? .startTLS : .none)
        return Endpoint(host: host, port: url.port ?? defaults.port, security: security, user: user ?? "", passwordEnv: passwordEnv,
                        verifyPeer: verify ?? true)
    }
}
