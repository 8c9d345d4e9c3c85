import PishkhanChannels
import Foundation
import Synchronization

/// A real Dovecot IMAP server on a free loopback port with one user, for tests; stopped by pid.
///
/// Everything (config, runtime dir, logs, the user's Maildir) lives in one temporary directory.
public final class DovecotServer: StoppableServer {
    public static let user = "agent"
    public static let password = "secret"
    /// Dovecot refuses uid 0 for mail users (`first_valid_uid`), so the Maildir belongs to 5000:5000.
    static let mailUID: uid_t = 5000

    public let root: String
    public let port: Int
    /// Implicit-TLS (imaps) port, or nil when started without TLS.
    public let tlsPort: Int?
    public let pid: pid_t
    private let process: Mutex<Process?>

    public var configPath: String { "\(root)/dovecot.conf" }
    public var logPath: String { "\(root)/dovecot.log" }
    public var homePath: String { "\(root)/mail/\(Self.user)" }
    /// `mail_location = maildir:~/Maildir`: INBOX is this directory, other folders are `.Name` in it.
    public var maildirPath: String { "\(homePath)/Maildir" }
    public var url: String { "imap://127.0.0.1:\(port)" }
    /// Self-signed certificate for 127.0.0.1 (also usable as the CA bundle), when started with TLS.
    public var certificatePath: String { "\(root)/tls/cert.pem" }

    public var settings: MailServerSettings {
        MailServerSettings(host: "127.0.0.1", port: port, security: .none, username: Self.user, password: Self.password)
    }

    /// Settings for the TLS listeners: `.startTLS` on the plain port, `.implicitTLS` on the imaps port.
    public func tlsSettings(_ security: TransportSecurity, verifyPeer: Bool, trustOwnCertificate: Bool = false) -> MailServerSettings {
        MailServerSettings(
            host: "127.0.0.1",
            port: security == .implicitTLS ? (tlsPort ?? port) : port,
            security: security,
            username: Self.user,
            password: Self.password,
            verifyPeer: verifyPeer,
            caBundlePath: trustOwnCertificate ? certificatePath : nil
        )
    }

    private init(root: String, port: Int, tlsPort: Int?, process: Process) {
        self.root = root
        self.port = port
        self.tlsPort = tlsPort
        self.pid = process.processIdentifier
        self.process = Mutex(process)
    }

    /// Starts a server, runs `body`, and stops the server by pid whether `body` succeeded or not.
    public static func with<T>(
        extraConfig: String = "",
        tls: Bool = false,
        _ body: (DovecotServer) async throws -> T
    ) async throws -> T {
        try await start(extraConfig: extraConfig, tls: tls).stopping(after: body)
    }

    /// Installs dovecot-imapd if missing, writes a private config, starts the daemon and waits for its port.
    /// With `tls`, a self-signed certificate for 127.0.0.1 enables STARTTLS and an imaps listener.
    public static func start(extraConfig: String = "", tls: Bool = false) async throws -> DovecotServer {
        if !ProcessRunner.isInstalled("dovecot") {
            try ProcessRunner.run(["apt-get", "install", "-y", "dovecot-imapd"])
        }
        let root = try ProcessRunner.makeTemporaryDirectory(prefix: "curlmail-dovecot")
        let port = try LoopbackPort.free()
        let home = "\(root)/mail/\(user)"
        for directory in ["\(root)/run", "\(root)/state", home] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        chmod("\(root)/mail", 0o755)
        chown(home, mailUID, mailUID)
        try "\(user):{PLAIN}\(password):\(mailUID):\(mailUID)::\(home)\n"
            .write(toFile: "\(root)/users", atomically: true, encoding: .utf8)
        var tlsPort: Int?
        if tls {
            let imapsPort = try LoopbackPort.free()
            tlsPort = imapsPort
            try FileManager.default.createDirectory(atPath: "\(root)/tls", withIntermediateDirectories: true)
            try ProcessRunner.run([
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-keyout", "\(root)/tls/key.pem", "-out", "\(root)/tls/cert.pem",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        }
        try configuration(root: root, port: port, tlsPort: tlsPort, extra: extraConfig)
            .write(toFile: "\(root)/dovecot.conf", atomically: true, encoding: .utf8)

        // -F keeps the master in the foreground as our child, so its pid is the Process's and Foundation reaps
        // it; a daemonising start would leave Foundation waiting on a descriptor the daemon inherited.
        let process = try ProcessRunner.startDaemon(["dovecot", "-F", "-c", "\(root)/dovecot.conf"], logPath: "\(root)/master.out")
        let server = DovecotServer(root: root, port: port, tlsPort: tlsPort, process: process)
        do {
            try await LoopbackPort.waitUntilAccepting(port)
            if let tlsPort { try await LoopbackPort.waitUntilAccepting(tlsPort) }
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// Stops the master by pid (SIGTERM, SIGKILL after 5 s) and reaps it; idempotent.
    public func stop() {
        guard let process = process.withLock({ current in
            defer { current = nil }
            return current
        }) else { return }
        // SIGTERM to the master is what `doveadm stop` sends; doveadm would then poll the pid for 3 s because
        // our unreaped child lingers as a zombie, so signal it directly and treat a zombie as stopped.
        kill(pid, SIGTERM)
        ProcessRunner.waitForExit(pid)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Drops a message straight into `new/` the way an MDA does (Maildir: write in tmp/, rename into new/),
    /// owned by the mail user. `folder` nil means INBOX.
    public func deliver(_ message: [UInt8], to folder: String? = nil) throws {
        let base = folder.map { "\(maildirPath)/.\($0)" } ?? maildirPath
        for directory in [maildirPath, base, "\(base)/tmp", "\(base)/new", "\(base)/cur"] {
            if !FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                chown(directory, Self.mailUID, Self.mailUID)
            }
        }
        // Maildir unique name: seconds.M<microseconds>P<pid>R<random>.host
        var now = timeval()
        gettimeofday(&now, nil)
        let random = UInt64.random(in: 0...UInt64.max)
        let name = "\(now.tv_sec).M\(now.tv_usec)P\(getpid())R\(String(random, radix: 16)).curlmail-test"
        let temporary = "\(base)/tmp/\(name)"
        try Data(message).write(to: URL(fileURLWithPath: temporary))
        chown(temporary, Self.mailUID, Self.mailUID)
        guard rename(temporary, "\(base)/new/\(name)") == 0 else { throw POSIXError(.EIO) }
    }

    /// Appends through IMAP, as a second way to put mail in.
    public func append(_ message: [UInt8], to mailbox: String = "INBOX") async throws {
        try await IMAPClient(settings: settings).append(message, to: mailbox)
    }

    /// The server log, for failure messages.
    public func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Test-only settings: loopback only, TLS only when asked for, no fsync (throwaway mail), all under `root`.
    private static func configuration(root: String, port: Int, tlsPort: Int?, extra: String) -> String {
        let ssl = tlsPort == nil ? "ssl = no" : """
            ssl = yes
            ssl_cert = <\(root)/tls/cert.pem
            ssl_key = <\(root)/tls/key.pem
            """
        let imapsListener = tlsPort.map { "address = 127.0.0.1\n    port = \($0)" } ?? "port = 0"
        return """
        protocols = imap
        listen = 127.0.0.1
        \(ssl)
        disable_plaintext_auth = no
        auth_mechanisms = plain login
        mail_location = maildir:~/Maildir
        first_valid_uid = 1000
        mail_fsync = never
        base_dir = \(root)/run
        state_dir = \(root)/state
        log_path = \(root)/dovecot.log
        info_log_path = \(root)/dovecot.log
        default_internal_user = dovecot
        default_login_user = dovenull
        passdb {
          driver = passwd-file
          args = scheme=PLAIN \(root)/users
        }
        userdb {
          driver = passwd-file
          args = \(root)/users
        }
        service imap-login {
          inet_listener imap {
            address = 127.0.0.1
            port = \(port)
          }
          inet_listener imaps {
            \(imapsListener)
          }
        }
        \(extra)
        """
    }
}
