import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PishkhanChannels
import PishkhanCore
import PishkhanServer
import PishkhanStore
import PishkhanTestSupport
import ServiceLifecycle
import Synchronization

/// Performance figures for the README, printed as JSON. Run it from a release build:
/// `swift run -c release pishkhan-bench ingest`.
@main
struct PishkhanBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pishkhan-bench", subcommands: [Ingest.self, SLA.self, MIME.self, IMAP.self, KB.self, SMSWebhook.self, Chat.self, TUI.self])
}

struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Durable in-process ingest, POST /api/v1/inbound under wrk, and the open-ticket queue over a large store.")

    @Option(help: "Messages for the in-process phase.") var messages = 100_000
    @Option(help: "Distinct customers they come from.") var customers = 20_000
    @Option(help: "Ingests in flight at once in-process.") var concurrency = 256
    @Option(help: "wrk connections for the HTTP phase.") var connections = 64
    @Option(help: "Seconds of wrk load for each HTTP phase.") var seconds = 10
    @Option(help: "Tickets stored for the queue phase.") var tickets = 1_000_000
    @Flag(help: "Skip the HTTP ingest phase.") var skipHTTP = false
    @Flag(help: "Skip the queue phase.") var skipQueue = false
    @Flag(help: "Ingest with no SLA policies (no clocks), to see what the clocks cost.") var noSLA = false
    @Option(help: "Scratch directory (deleted afterwards).") var scratch: String = NSTemporaryDirectory()
    @Option(help: "A PostgreSQL database the bench may empty (postgres://user:pw@host:port/db): runs `pishkhan serve` processes on it.")
    var database: String?
    @Flag(help: "Like --database, on a PostgreSQL the bench starts itself (initdb in the scratch directory, loopback).")
    var localPostgres = false
    @Option(help: "With a database: how many server processes share it, round by round.") var processes = "1,2,3"
    @Option(name: .customLong("server-cpus"), help: "With a database: cores each server process may use, each in a CPU cgroup of its own (root), as if on machines of their own.")
    var serverCPUs: Double?

    func run() async throws {
        var report: [String: JSONValue] = ["machine": machine()]
        let root = URL(fileURLWithPath: scratch).appendingPathComponent("pishkhan-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }

        if database != nil || localPostgres {
            let counts = processes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
            func bench(_ text: String) async throws -> [String: JSONValue] {
                try await ClusterBench(url: try PostgresURL(text), urlText: text, processes: counts, connections: connections, seconds: seconds,
                                       customers: customers, tickets: skipQueue ? 0 : tickets, scratch: root, serverCPUs: serverCPUs).run()
            }
            if let database {
                report.merge(try await bench(database)) { _, new in new }
            } else {
                let server = try await PostgresServer.start(durable: true)
                defer { server.stop() }
                report.merge(try await bench(try server.createDatabase("bench"))) { _, new in new }
            }
            print(String(decoding: try JSONEncoder.pretty.encode(report), as: UTF8.self))
            return
        }

        report["inProcessIngest"] = try await inProcess(root.appendingPathComponent("ingest"))
        if !skipHTTP { report["httpIngest"] = try await http(root.appendingPathComponent("http")) }
        if !skipQueue { report["ticketQueue"] = try await queue(root.appendingPathComponent("queue")) }
        let data = try JSONEncoder.pretty.encode(report)
        print(String(decoding: data, as: UTF8.self))
    }

    // MARK: Phases

    /// `messages` ingests from `customers` senders, half email (a new ticket each) and half SMS (threaded
    /// by recency), into a file database with synchronous=FULL, as many in flight as `concurrency`, with
    /// SLA policies in force (every new ticket starts its clocks).
    func inProcess(_ dir: URL) async throws -> JSONValue {
        let store = try Self.openStore(dir)
        if !noSLA { _ = try await store.seedSLAIfNew(SLA.config) }
        PeakRSS.reset()
        let feed = Feed(store: store, customers: customers)
        let (elapsed, latencies) = try await feed.run(count: messages, concurrency: concurrency)
        return .object([
            "messages": .int(Int64(messages)), "customers": .int(Int64(customers)), "concurrency": .int(Int64(concurrency)),
            "seconds": .number(elapsed.rounded(to: 3)), "messagesPerSecond": .number((Double(messages) / elapsed).rounded()),
            "latencyMs": latencies.summary, "target": .string("≥ 20000 messages/s"), "slaPolicies": .bool(!noSLA),
            "openTicketsAfter": .int(Int64(try await store.openTicketCount())),
            "peakRSSMiB": .number(PeakRSS.mebibytes),
        ])
    }

    /// The real HTTP stack on loopback under wrk: every request a distinct message.
    func http(_ dir: URL) async throws -> JSONValue {
        let store = try Self.openStore(dir)
        if !noSLA { _ = try await store.seedSLAIfNew(SLA.config) }
        let (_, token) = try await store.createAgent(name: "bench", role: .integration, email: nil, groups: [], capacity: nil)
        let port = 18_000 + Int.random(in: 0..<2000)
        let script = dir.appendingPathComponent("inbound.lua")
        try WrkScript.inbound(token: token, customers: customers).write(to: script, atomically: true, encoding: .utf8)
        PeakRSS.reset()
        let result = try await withServer(store: store, port: port) {
            try Wrk.run(["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path, "http://127.0.0.1:\(port)/api/v1/inbound"])
        }
        let stored = try await store.latestEventSeq()
        return .object([
            "client": .string("wrk -t2 -c\(connections) -d\(seconds)s (Debian wrk, Lua script posting distinct messages)"),
            "requestsPerSecond": .number(result.requestsPerSecond.rounded()), "latencyMs": result.latency,
            "non2xx": .int(Int64(result.non2xx)), "socketErrors": .int(Int64(result.socketErrors)),
            "eventsWritten": .int(stored), "target": .string("≥ 5000 messages/s"), "peakRSSMiB": .number(PeakRSS.mebibytes),
        ])
    }

    /// `tickets` tickets stored through Intake, a third of them open, then the agent queue
    /// (`GET /api/v1/tickets?status=open`, first page and a deep page) under one wrk connection.
    func queue(_ dir: URL) async throws -> JSONValue {
        let store = try Self.openStore(dir)
        let (agent, token) = try await store.createAgent(name: "bench", role: .agent, email: nil, groups: [], capacity: nil)
        let seedStart = ContinuousClock.now
        let feed = Feed(store: store, customers: tickets, emailOnly: true)
        _ = try await feed.run(count: tickets, concurrency: concurrency)
        try await store.benchmarkMarkOpen(every: 3, spreadDueOver: 7 * 24 * 3600)
        let seeded = (ContinuousClock.now - seedStart).seconds
        var deep = TicketQuery()
        deep.statuses = [.open]
        deep.limit = 200
        for _ in 0..<50 { deep.cursor = try await store.tickets(deep).nextCursor }
        let deepCursor = deep.cursor ?? ""
        _ = agent
        let port = 20_000 + Int.random(in: 0..<2000)
        PeakRSS.reset()
        let (first, deepPage, updated) = try await withServer(store: store, port: port) {
            let headers = ["-H", "Authorization: Bearer \(token)"]
            let base = "http://127.0.0.1:\(port)/api/v1/tickets?status=open"
            return (
                try Wrk.run(["-t1", "-c1", "-d\(seconds)s", "--latency"] + headers + [base]),
                try Wrk.run(["-t1", "-c1", "-d\(seconds)s", "--latency"] + headers + [base + "&cursor=\(deepCursor)"]),
                try Wrk.run(["-t1", "-c1", "-d\(seconds)s", "--latency"] + headers + [base + "&sort=updated"])
            )
        }
        return .object([
            "tickets": .int(Int64(tickets)), "open": .int(Int64(tickets / 3)), "seedSeconds": .number(seeded.rounded(to: 1)),
            "firstPage": .object(["requestsPerSecond": .number(first.requestsPerSecond.rounded()), "latencyMs": first.latency]),
            "page51": .object(["requestsPerSecond": .number(deepPage.requestsPerSecond.rounded()), "latencyMs": deepPage.latency]),
            "sortedByUpdated": .object(["requestsPerSecond": .number(updated.requestsPerSecond.rounded()), "latencyMs": updated.latency]),
            "target": .string("p99 ≤ 10 ms"), "peakRSSMiB": .number(PeakRSS.mebibytes),
        ])
    }

    // MARK: Plumbing

    static func openStore(_ dir: URL) throws -> SQLiteStore {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        return try SQLiteStore(path: dir.appendingPathComponent("bench.sqlite").path, attachmentsDirectory: dir.appendingPathComponent("attachments"), logger: logger)
    }

    static let channels = ChannelDirectory([
        ChannelSettings(id: "support-email", kind: .email, assignment: .none),
        ChannelSettings(id: "sms", kind: .sms, threadWindow: 24 * 3600),
    ])

    /// Runs the real application on `port` while `body` runs, then shuts it down.
    func withServer<T: Sendable>(store: SQLiteStore, port: Int, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.withServer(AppDependencies(store: store, channels: Self.channels), port: port, body)
    }

    static func withServer<T: Sendable>(_ deps: AppDependencies, port: Int, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let app = buildApplication(deps, host: "127.0.0.1", port: port, logger: logger)
        // Stopped the way `pishkhan serve` is on SIGTERM: a graceful shutdown, not a cancelled task.
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await services.run(); return nil }
            try await Self.waitForPort(port)
            let result: T
            do {
                result = try await Task.detached { try body() }.value
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return result
        }
    }

    static func waitForPort(_ port: Int) async throws {
        for _ in 0..<1200 {
            if (try? Wrk.probe(port)) == true { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw ValidationError("server did not listen on \(port)")
    }

    func machine() -> JSONValue {
        .object([
            "cores": .int(Int64(ProcessInfo.processInfo.activeProcessorCount)),
            "memoryGiB": .number((Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824).rounded()),
            "cpu": .string(cpuModel()),
        ])
    }

    /// The processor's name from /proc/cpuinfo, so figures from different machines are not compared as one.
    func cpuModel() -> String {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix(name) }.flatMap { $0.split(separator: ":", maxSplits: 1).last }
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let family = [field("cpu family").map { "family \($0)" }, field("model\t").map { "model \($0)" }].compactMap { $0 }
        return (field("model name") ?? "unknown") + (family.isEmpty ? "" : " (\(family.joined(separator: ", ")))")
    }
}

/// Feeds Intake directly, the way the HTTP route does, with a fixed number in flight.
struct Feed: Sendable {
    let store: SQLiteStore
    let customers: Int
    var emailOnly = false

    func message(_ i: Int) -> (InboundMessage, ChannelSettings) {
        let c = i % customers
        if emailOnly || i % 2 == 0 {
            return (InboundMessage(
                channel: "support-email", channelKind: .email, externalID: "<\(i)@bench.example>",
                sender: .init(address: "customer\(c)@example.com", displayName: "Customer \(c)"),
                threadHints: .init(messageID: "<\(i)@bench.example>"), subject: "Order \(c) question \(i)",
                text: "Hello, my order number \(c) has not arrived yet. Could you check it please? سلام، سفارشم هنوز نرسیده است."),
                Ingest.channels["support-email"]!)
        }
        return (InboundMessage(
            channel: "sms", channelKind: .sms, externalID: "SM\(i)", sender: .init(address: String(format: "0912%07d", c)),
            text: "سلام، کد پیگیری سفارش \(c) را می‌خواهم"), Ingest.channels["sms"]!)
    }

    func run(count: Int, concurrency: Int) async throws -> (Double, Latencies) {
        let next = Counter()
        let start = ContinuousClock.now
        let samples = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var mine: [Double] = []
                    while true {
                        let i = next.value.add(1, ordering: .relaxed).oldValue
                        guard i < count else { return mine }
                        let (m, channel) = message(i)
                        let t0 = ContinuousClock.now
                        _ = try await store.ingest(m, channel: channel, rules: .standard)
                        if i % 10 == 0 { mine.append((ContinuousClock.now - t0).seconds * 1000) }
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        return ((ContinuousClock.now - start).seconds, Latencies(samples))
    }
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

struct Latencies {
    var sorted: [Double]
    init(_ samples: [Double]) { sorted = samples.sorted() }
    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
    var summary: JSONValue {
        .object(["p50": .number(percentile(0.5).rounded(to: 2)), "p99": .number(percentile(0.99).rounded(to: 2)), "max": .number((sorted.last ?? 0).rounded(to: 2))])
    }
}

/// Peak resident set size from /proc, reset between phases so each reports its own.
enum PeakRSS {
    static func reset() {
        // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux).
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static var mebibytes: Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return (kb / 1024).rounded()
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension Double {
    func rounded(to places: Int) -> Double {
        let f = Foundation.pow(10, Double(places))
        return (self * f).rounded() / f
    }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
