import Foundation
import Synchronization

/// A loopback SMTP server (aiosmtpd running `smtp_sink.py`) that stores what it receives; stopped by pid.
///
/// Recipients starting with `reject` get 550, `tempfail` get 451.
public final class SMTPSink: StoppableServer {
    /// One stored message with its SMTP envelope.
    public struct ReceivedMessage: Sendable, Decodable {
        public var mailFrom: String
        public var recipients: [String]
        public var data: [UInt8] = []

        private enum CodingKeys: String, CodingKey {
            case mailFrom, recipients
        }
    }

    public let port: Int
    public let directory: String
    /// The self-signed certificate of a sink started with TLS (also its CA bundle).
    public var certificatePath: String { "\(directory)/cert.pem" }
    public let pid: pid_t
    private let process: Mutex<Process?>

    private init(port: Int, directory: String, process: Process) {
        self.port = port
        self.directory = directory
        self.pid = process.processIdentifier
        self.process = Mutex(process)
    }

    /// Starts a sink, runs `body`, and stops the sink by pid whether `body` succeeded or not.
    public static func with<T>(tls: Bool = false, auth: (user: String, password: String)? = nil,
                               _ body: (SMTPSink) async throws -> T) async throws -> T {
        try await start(tls: tls, auth: auth).stopping(after: body)
    }

    /// Installs aiosmtpd with pip if it is missing, then starts the sink on a free port.
    /// With `tls`, a self-signed certificate for 127.0.0.1 (`certificatePath`) and STARTTLS required before
    /// mail; with `auth`, AUTH PLAIN/LOGIN required with that user and password.
    public static func start(tls: Bool = false, auth: (user: String, password: String)? = nil) async throws -> SMTPSink {
        if (try? ProcessRunner.run(["python3", "-c", "import aiosmtpd"])) == nil {
            if (try? ProcessRunner.run(["python3", "-m", "pip", "install", "aiosmtpd"])) == nil {
                try ProcessRunner.run(["python3", "-m", "pip", "install", "--break-system-packages", "aiosmtpd"])
            }
        }
        let directory = try ProcessRunner.makeTemporaryDirectory(prefix: "curlmail-smtp")
        let port = try LoopbackPort.free()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("smtp_sink.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", script.path, String(port), directory]
        if tls {
            try ProcessRunner.run([
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-keyout", "\(directory)/key.pem", "-out", "\(directory)/cert.pem",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
            arguments += ["--tls", "\(directory)/cert.pem", "\(directory)/key.pem"]
        }
        if let auth { arguments += ["--auth", auth.user, auth.password] }
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: "\(directory)/sink.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(directory)/sink.log"))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try ProcessRunner.launch(process)
        let sink = SMTPSink(port: port, directory: directory, process: process)
        do {
            try await LoopbackPort.waitUntilAccepting(port)
        } catch {
            sink.stop()
            throw error
        }
        return sink
    }

    /// SIGTERM by pid, wait for exit (SIGKILL after 5 s); idempotent.
    public func stop() {
        guard let process = process.withLock({ current in
            defer { current = nil }
            return current
        }) else { return }
        kill(pid, SIGTERM)
        ProcessRunner.waitForExit(pid)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Messages stored so far, in arrival order.
    public func messages() throws -> [ReceivedMessage] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".json") }
            .sorted()
        return try names.map { name in
            let stem = String(name.dropLast(".json".count))
            let envelope = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))
            var message = try JSONDecoder().decode(ReceivedMessage.self, from: envelope)
            message.data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(stem).eml")))
            return message
        }
    }

    /// Waits until at least `count` messages are stored.
    public func waitForMessages(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [ReceivedMessage] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let stored = try messages()
            if stored.count >= count || ContinuousClock.now >= deadline { return stored }
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}
