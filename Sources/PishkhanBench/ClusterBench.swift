import Foundation
import PishkhanCore
import PishkhanStore
import PishkhanTestSupport

/// `pishkhan-bench ingest --database postgres://…` (or `--local-postgres`): real `pishkhan serve`
/// processes sharing one PostgreSQL database, under one wrk load split evenly between them, then the open
/// queue over a million tickets.
struct ClusterBench {
    let url: PostgresURL
    /// The text of `url`, handed to the servers.
    let urlText: String
    let processes: [Int]
    let connections: Int
    let seconds: Int
    let customers: Int
    let tickets: Int
    let scratch: URL
    /// Cores each server process may use (a CPU cgroup of its own), or nil for no limit.
    var serverCPUs: Double? = nil

    /// The `pishkhan` executable next to this one (`swift build -c release` builds both).
    static var serverBinary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pishkhan")
    }

    func run() async throws -> [String: JSONValue] {
        guard FileManager.default.isExecutableFile(atPath: Self.serverBinary.path) else {
            throw BenchError("\(Self.serverBinary.path) is missing: swift build -c release --product pishkhan")
        }
        var rounds: [JSONValue] = []
        var single: Double?
        for count in processes {
            try resetDatabase()
            let round = try await ingestRound(processes: count)
            let rate = round.rate
            single = single ?? (count == 1 ? rate : nil)
            var fields = round.report
            if let single, count > 1 { fields["speedupOverOne"] = .number((rate / single).rounded(to: 2)) }
            rounds.append(.object(fields))
        }
        try resetDatabase()
        var report: [String: JSONValue] = [
            "database": .string(url.redacted),
            "clusterIngest": .object([
                "rounds": .array(rounds),
                "target": .string("3 processes ≥ 2 × 1 process"),
                "client": .string("wrk, \(connections) connections split evenly between the processes, \(seconds) s per round"),
                "serverCPUsEach": serverCPUs.map { .number($0) } ?? .string("unlimited"),
            ]),
        ]
        if tickets > 0 { report["ticketQueue"] = try await queueRound() }
        return report
    }

    // MARK: Ingest

    func ingestRound(processes count: Int) async throws -> (rate: Double, report: [String: JSONValue]) {
        let servers = try await startServers(count)
        defer { for server in servers { server.stop() } }
        let token = try servers.lazy.compactMap { $0.adminToken() }.first ?? { throw BenchError("no server printed the admin token") }()
        let perProcess = max(1, connections / count)
        // One wrk per process, all at once; each posts distinct messages (its instance number is part of
        // every external id) from its own share of the customers.
        let serversCPU = ProcessCPU.seconds(servers.map(\.process.processIdentifier))
        let postgresCPU = ProcessCPU.seconds(ProcessCPU.pids(named: "postgres"))
        let start = ContinuousClock.now
        // Every wrk is started before any is waited for. (Each in a task of its own, blocking on its
        // process, they ran at most two at a time on a 2-core machine's cooperative pool: the third
        // started when the others ended, ran alone and was added to their rate.)
        let running = try servers.enumerated().map { instance, server in
            let script = scratch.appendingPathComponent("inbound-\(count)-\(instance).lua")
            try WrkScript.inbound(token: token, customers: customers, instance: instance, instances: count)
                .write(to: script, atomically: true, encoding: .utf8)
            return try Wrk.start(["-t1", "-c\(perProcess)", "-d\(seconds)s", "--latency", "-s", script.path,
                                  "http://127.0.0.1:\(server.port)/api/v1/inbound"])
        }
        let results = running.map { $0.finish() }
        let rate = results.reduce(0) { $0 + $1.requestsPerSecond }
        // CPU time per message, which a busy machine changes less than the rate: the servers', and every
        // local PostgreSQL process's (none when the database is on another machine).
        let stored = rate * (ContinuousClock.now - start).seconds
        let serverMs = (ProcessCPU.seconds(servers.map(\.process.processIdentifier)) - serversCPU) * 1000 / max(1, stored)
        let postgresMs = (ProcessCPU.seconds(ProcessCPU.pids(named: "postgres")) - postgresCPU) * 1000 / max(1, stored)
        return (rate, [
            "serverCPUMsPerMessage": .number(serverMs.rounded(to: 3)), "localPostgresCPUMsPerMessage": .number(postgresMs.rounded(to: 3)),
            "processes": .int(Int64(count)), "messagesPerSecond": .number(rate.rounded()),
            "perProcess": .array(results.map { .object(["requestsPerSecond": .number($0.requestsPerSecond.rounded()), "latencyMs": $0.latency]) }),
            "non2xx": .int(Int64(results.reduce(0) { $0 + $1.non2xx })),
            "socketErrors": .int(Int64(results.reduce(0) { $0 + $1.socketErrors })),
        ])
    }

    // MARK: Queue

    /// A million tickets written straight into the tables (intake would take most of an hour here), a
    /// third open with due times spread over a week, then `GET /api/v1/tickets?status=open` on one server.
    func queueRound() async throws -> JSONValue {
        let seedStart = ContinuousClock.now
        // Migrated by a server first, so the schema is the real one.
        let servers = try await startServers(1)
        defer { for server in servers { server.stop() } }
        let token = try servers[0].adminToken() ?? { throw BenchError("the server printed no admin token") }()
        try psql("""
            INSERT INTO customers (name, search_name, first_seen_at, last_contact_at, created_at, updated_at)
                SELECT 'Customer ' || g, 'customer ' || g, 1.79e9, 1.79e9, 1.79e9, 1.79e9 FROM generate_series(1, \(tickets)) g;
            INSERT INTO tickets (subject, search_text, status, priority, channel, channel_kind, customer_id, last_activity_at, message_count,
                    created_at, updated_at, due_sort)
                SELECT 'Order ' || g || ' question', 'order ' || g || ' question', CASE WHEN g % 3 = 0 THEN 'open' ELSE 'closed' END,
                    'normal', 'support-email', 'email', g, 1.79e9 + g, 1, 1.79e9 + g, 1.79e9 + g,
                    CASE WHEN g % 3 = 0 THEN 1.79e9 + (g::bigint * 7919) % 604800 ELSE 1e15 END
                FROM generate_series(1, \(tickets)) g;
            ANALYZE;
            """)
        let seeded = (ContinuousClock.now - seedStart).seconds
        let headers = ["-H", "Authorization: Bearer \(token)"]
        let base = "http://127.0.0.1:\(servers[0].port)/api/v1/tickets?status=open"
        let first = try Wrk.run(["-t1", "-c1", "-d\(seconds)s", "--latency"] + headers + [base])
        let updated = try Wrk.run(["-t1", "-c1", "-d\(seconds)s", "--latency"] + headers + [base + "&sort=updated"])
        return .object([
            "tickets": .int(Int64(tickets)), "open": .int(Int64(tickets / 3)), "seedSeconds": .number(seeded.rounded(to: 1)),
            "firstPage": .object(["requestsPerSecond": .number(first.requestsPerSecond.rounded()), "latencyMs": first.latency]),
            "sortedByUpdated": .object(["requestsPerSecond": .number(updated.requestsPerSecond.rounded()), "latencyMs": updated.latency]),
            "target": .string("p99 ≤ 15 ms"),
        ])
    }

    // MARK: Plumbing

    /// An empty database for each round: the bench owns it.
    func resetDatabase() throws {
        try psql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    }

    func psql(_ sql: String) throws {
        var arguments = ["env"]
        if let password = url.password { arguments.append("PGPASSWORD=\(password)") }
        arguments += ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.host, "-p", "\(url.port)", "-U", url.user, "-d", url.database, "-c", sql]
        _ = try ProcessRunner.run(arguments)
    }

    func startServers(_ count: Int) async throws -> [BenchServer] {
        let channels = scratch.appendingPathComponent("channels")
        try FileManager.default.createDirectory(at: channels, withIntermediateDirectories: true)
        try "kind: email\nname: Support email\nassignment:\n  rule: none\n".write(
            to: channels.appendingPathComponent("support-email.yaml"), atomically: true, encoding: .utf8)
        try "kind: sms\nname: SMS\nthreadWindowHours: 24\n".write(to: channels.appendingPathComponent("sms.yaml"), atomically: true, encoding: .utf8)
        var servers: [BenchServer] = []
        do {
            for i in 0..<count {
                let server = try BenchServer(binary: Self.serverBinary, database: urlText, channels: channels,
                                             directory: scratch.appendingPathComponent("server-\(UUID().uuidString)-\(i)"))
                servers.append(server)
                if let serverCPUs { server.budget = try CPUBudget(cores: serverCPUs, pid: server.process.processIdentifier) }
            }
            for server in servers { try await server.waitUntilReady() }
        } catch {
            // No server outlives a round that could not start.
            for server in servers { server.stop() }
            throw error
        }
        return servers
    }
}

/// One `pishkhan serve` child process on a free loopback port, stopped by pid.
final class BenchServer: @unchecked Sendable {
    let process = Process()
    let port: Int
    let output: URL
    /// The CPU cgroup the process runs in, when the bench limits it; removed after the process ends.
    var budget: CPUBudget?

    init(binary: URL, database: String, channels: URL, directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try LoopbackPort.free()
        output = directory.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = binary
        process.environment = ProcessInfo.processInfo.environment.merging(["PISHKHAN_DATABASE_URL": database]) { _, new in new }
        process.arguments = ["serve", "--port", "\(port)", "--data", directory.path, "--channels", channels.path,
                             "--knowledge-base", directory.appendingPathComponent("no-kb").path, "--log-level", "error",
                             "--sla", URL(fileURLWithPath: "SLA/sla.yaml").path]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func waitUntilReady() async throws {
        for _ in 0..<1200 {
            guard process.isRunning else { throw BenchError("pishkhan serve exited with \(process.terminationStatus)") }
            if (try? Wrk.probe(port)) == true { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw BenchError("pishkhan serve did not listen on \(port)")
    }

    func adminToken() -> String? {
        guard let text = try? String(contentsOf: output, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("PISHKHAN_ADMIN_TOKEN=") }.map { String($0.dropFirst("PISHKHAN_ADMIN_TOKEN=".count)) }
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        budget?.remove()
        budget = nil
    }
}

/// A CPU cgroup of its own for one process, limited to a number of cores by the CFS quota: several server
/// processes on one machine then behave like processes on machines of their own, each with its own CPU,
/// instead of sharing whatever the others leave. Needs root and the cgroup v1 `cpu` controller or cgroup v2.
struct CPUBudget {
    let directory: URL

    init(cores: Double, pid: Int32) throws {
        guard cores > 0 else { throw BenchError("--server-cpus must be above 0") }
        let fileManager = FileManager.default
        // 20 ms periods keep a throttled process's pauses short next to a request's latency.
        let period = 20_000, quota = max(1_000, Int((Double(period) * cores).rounded()))
        let name = "pishkhan-bench-\(pid)"
        let v1 = URL(fileURLWithPath: "/sys/fs/cgroup/cpu")
        let v2 = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].map(URL.init(fileURLWithPath:)).first {
            ((try? String(contentsOf: $0.appendingPathComponent("cgroup.controllers"), encoding: .utf8)) ?? "").split(separator: " ")
                .contains { $0.trimmingCharacters(in: .whitespacesAndNewlines) == "cpu" }
        }
        do {
            if fileManager.fileExists(atPath: v1.appendingPathComponent("cpu.cfs_quota_us").path) {
                directory = v1.appendingPathComponent(name)
                try fileManager.createDirectory(at: directory, withIntermediateDirectories: false)
                try Self.write("\(period)", to: "cpu.cfs_period_us", in: directory)
                try Self.write("\(quota)", to: "cpu.cfs_quota_us", in: directory)
            } else if let v2 {
                try? Self.write("+cpu", to: "cgroup.subtree_control", in: v2)
                directory = v2.appendingPathComponent(name)
                try fileManager.createDirectory(at: directory, withIntermediateDirectories: false)
                try Self.write("\(quota) \(period)", to: "cpu.max", in: directory)
            } else {
                throw BenchError("no cgroup cpu controller here")
            }
            // Every thread of the process moves with its pid.
            try Self.write("\(pid)", to: "cgroup.procs", in: directory)
        } catch {
            throw BenchError("--server-cpus needs root and a writable cgroup cpu controller: \(error)")
        }
    }

    static func write(_ text: String, to file: String, in directory: URL) throws {
        try text.write(to: directory.appendingPathComponent(file), atomically: false, encoding: .utf8)
    }

    /// Once the process has ended (a cgroup with processes in it cannot go); its files are not removed.
    func remove() {
        rmdir(directory.path)
    }
}

/// CPU time (user and system) of processes, from /proc.
enum ProcessCPU {
    static func seconds(_ pids: [Int32]) -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return pids.reduce(0) { total, pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return total }
            // After "pid (comm)": state is field 3, utime 14 and stime 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return total }
            return total + (user + system) / ticks
        }
    }

    static func pids(named name: String) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry),
                  let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .whitespacesAndNewlines) == name else { return nil }
            return pid
        }
    }
}
