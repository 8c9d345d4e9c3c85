import Foundation
import Synchronization

/// A real PostgreSQL server for tests: `initdb` into a temporary directory, `postgres` on a free loopback
/// port as our child process, stopped by pid. Installs Debian's `postgresql` package when it is missing.
///
/// The cluster has one password-authenticated superuser (`pishkhan`), so the client's real authentication
/// path runs. PostgreSQL refuses to run as root; under root the server runs as the `postgres` system user
/// the package creates, through `setpriv`, which execs, so the pid we hold is the postmaster's.
public final class PostgresServer: StoppableServer {
    public static let user = "pishkhan"
    public static let password = "pishkhan-test-secret"

    public let root: String
    public let port: Int
    public let pid: pid_t
    private let binDirectory: String
    private let process: Mutex<Process?>
    private let databaseCounter = Atomic<Int>(0)

    public var dataDirectory: String { "\(root)/data" }
    public var logPath: String { "\(root)/postgres.log" }

    private init(root: String, port: Int, binDirectory: String, process: Process) {
        self.root = root
        self.port = port
        self.binDirectory = binDirectory
        self.pid = process.processIdentifier
        self.process = Mutex(process)
    }

    /// The URL of `database` on this server, as `PISHKHAN_DATABASE_URL` takes it.
    public func url(database: String, parameters: String = "") -> String {
        "postgres://\(Self.user):\(Self.password)@127.0.0.1:\(port)/\(database)" + (parameters.isEmpty ? "" : "?\(parameters)")
    }

    /// Starts a server, runs `body`, and stops the server by pid whether `body` succeeded or not.
    public static func with<T>(durable: Bool = false, _ body: (PostgresServer) async throws -> T) async throws -> T {
        try await start(durable: durable).stopping(after: body)
    }

    /// One server for the whole test process, started on first use and stopped by pid when the process exits;
    /// each test takes a database of its own (`createDatabase()`).
    public static func shared() async throws -> PostgresServer {
        try await SharedServer.instance.get()
    }

    /// `durable: false` (tests) turns fsync off: the cluster is thrown away afterwards. Benchmarks pass true.
    public static func start(durable: Bool = false, maxConnections: Int = 300) async throws -> PostgresServer {
        let bin = try installedBinDirectory()
        let root = try ProcessRunner.makeTemporaryDirectory(prefix: "pishkhan-postgres")
        let asRoot = geteuid() == 0
        let owner = asRoot ? try systemUser("postgres") : nil
        let passwordFile = "\(root)/password"
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        if let owner {
            chown(root, owner.uid, owner.gid)
            chown(passwordFile, owner.uid, owner.gid)
        }
        chmod(passwordFile, 0o600)
        func command(_ arguments: [String]) -> [String] {
            asRoot ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + arguments : arguments
        }
        try ProcessRunner.run(command([
            "\(bin)/initdb", "-D", "\(root)/data", "-U", user, "--pwfile=\(passwordFile)", "--auth=scram-sha-256",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        ]))
        let port = try LoopbackPort.free()
        var settings = [
            "listen_addresses=127.0.0.1", "port=\(port)", "unix_socket_directories=\(root)",
            "max_connections=\(maxConnections)", "shared_buffers=128MB", "log_min_messages=warning",
        ]
        if !durable { settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"] }

        // The postmaster stays in the foreground as our child: its pid is the Process's, and Foundation reaps it.
        let process = try ProcessRunner.startDaemon(
            command(["\(bin)/postgres", "-D", "\(root)/data"] + settings.flatMap { ["-c", $0] }), logPath: "\(root)/postgres.log")
        let server = PostgresServer(root: root, port: port, binDirectory: bin, process: process)
        do {
            try await server.waitUntilReady()
        } catch {
            let log = server.log()
            server.stop()
            throw ProcessRunner.Failure(command: process.arguments ?? [], status: -1, output: "PostgreSQL did not start: \(log)")
        }
        return server
    }

    /// Creates an empty database and returns its URL; each test takes its own.
    public func createDatabase(_ name: String? = nil) throws -> String {
        let name = name ?? "test_\(databaseCounter.wrappingAdd(1, ordering: .relaxed).newValue)_\(UInt32.random(in: 0...UInt32.max))"
        try psql("CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// Runs SQL through `psql` as the superuser, for setup a test cannot do through the store.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try ProcessRunner.run([
            "env", "PGPASSWORD=\(Self.password)", "\(binDirectory)/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, "-d", database, "-c", sql,
        ])
    }

    /// Stops the postmaster by pid (SIGINT: fast shutdown; SIGKILL after 10 s) and removes its files; idempotent.
    public func stop() {
        guard let process = process.withLock({ current in
            defer { current = nil }
            return current
        }) else { return }
        kill(pid, SIGINT)
        ProcessRunner.waitForExit(pid, timeout: .seconds(10))
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The server log, for failure messages.
    public func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    private func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard ProcessRunner.isAlive(pid) else { break }
            let answer = try? ProcessRunner.run(
                ["\(binDirectory)/pg_isready", "-q", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user], allowFailure: false)
            if answer != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LoopbackPort.Timeout(port: port)
    }

    /// Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin; the newest one is used.
    private static func installedBinDirectory() throws -> String {
        func newest() -> String? {
            let base = "/usr/lib/postgresql"
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
                .compactMap(Int.init).sorted()
            return versions.reversed().map { "\(base)/\($0)/bin" }
                .first { FileManager.default.isExecutableFile(atPath: "\($0)/postgres") }
        }
        if let found = newest() { return found }
        try ProcessRunner.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"])
        guard let found = newest() else {
            throw ProcessRunner.Failure(command: ["apt-get", "install", "postgresql"], status: -1, output: "no postgres binary after install")
        }
        return found
    }

    private static func systemUser(_ name: String) throws -> (uid: uid_t, gid: gid_t) {
        guard let entry = getpwnam(name) else {
            throw ProcessRunner.Failure(command: ["getpwnam", name], status: -1, output: "no \(name) user; is the postgresql package installed?")
        }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }
}

/// Starts the shared server once, even when tests running in parallel ask at the same time.
private actor SharedServer {
    static let instance = SharedServer()
    private var server: PostgresServer?
    private var starting: Task<PostgresServer, any Error>?

    func get() async throws -> PostgresServer {
        if let server { return server }
        if let starting { return try await starting.value }
        let task = Task { try await PostgresServer.start() }
        starting = task
        do {
            let started = try await task.value
            server = started
            sharedPostgresPID.store(started.pid, ordering: .relaxed)
            sharedPostgresRoot.withLock { $0 = started.root }
            atexit {
                let pid = sharedPostgresPID.load(ordering: .relaxed)
                guard pid > 0 else { return }
                kill(pid, SIGINT)
                ProcessRunner.waitForExit(pid, timeout: .seconds(10))
                if let root = sharedPostgresRoot.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: root) }
            }
            return started
        } catch {
            starting = nil
            throw error
        }
    }
}

private let sharedPostgresPID = Atomic<pid_t>(0)
private let sharedPostgresRoot = Mutex<String?>(nil)
