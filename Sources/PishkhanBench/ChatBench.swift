import ArgumentParser
import Foundation
import Dispatch
import HummingbirdWSClient
import Logging
import NIOPosix
import PishkhanCore
import Synchronization

/// Many web-chat visitors on one `pishkhan serve` process (started here from the same build folder, so
/// its memory is its own): each says hello and stays connected; together they send `rate` messages a
/// second. Measured: time from a visitor's send to the `message.added` event on an agent's
/// `/ws/events` stream, and the server's resident memory before, with every visitor idle, and at peak.
struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Concurrent web-chat visitors over WebSocket: send-to-agent-stream latency and server memory per connection.")

    @Option(help: "Visitors connected at once.") var visitors = 10_000
    @Option(help: "Messages a second from all visitors together.") var rate = 2_000
    @Option(help: "Seconds of message load.") var seconds = 20
    @Option(help: "Connections being opened at once while connecting.") var connecting = 256
    @Flag(help: "Connect without saying hello and send nothing: what an open WebSocket costs before Pishkhan's session starts.")
    var silent = false
    @Option(help: "The pishkhan executable (default: next to this one).") var server: String?
    @Option(help: "SLA file for the server's fresh database.") var sla = "SLA/sla.yaml"
    @Option(help: "Scratch directory (deleted afterwards).") var scratch: String = NSTemporaryDirectory()

    func run() async throws {
        let fileLimit = Self.raiseFileLimit()
        guard fileLimit >= rlim_t(visitors + 64) else {
            throw BenchError("the open-file limit is \(fileLimit); \(visitors) visitors need more (ulimit -Hn)")
        }
        let root = URL(fileURLWithPath: scratch).appendingPathComponent("pishkhan-bench-chat-\(UUID().uuidString)")
        let channels = root.appendingPathComponent("Channels")
        let kb = root.appendingPathComponent("KnowledgeBase")
        try FileManager.default.createDirectory(at: channels, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: kb, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try """
            kind: chat
            name: Web chat
            assignment:
              rule: none
            threadWindowHours: 4
            chat:
              allowedOrigins: ["*"]
              maxFrameBytes: 16384
              messagesPerMinute: 60
              maxMessageLength: 4000
            """.write(to: channels.appendingPathComponent("webchat.yaml"), atomically: true, encoding: .utf8)

        let executable = server ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pishkhan").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchError("\(executable) is missing: swift build -c release --product pishkhan")
        }
        let port = 24_000 + Int.random(in: 0..<2000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--port", "\(port)", "--data", root.appendingPathComponent("data").path,
                             "--channels", channels.path, "--knowledge-base", kb.path, "--sla", sla, "--log-level", "error"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let token = try Self.adminToken(out.fileHandleForReading)
        try await Ingest.waitForPort(port)
        let pid = process.processIdentifier

        let metrics = Measurements()
        let baseline = Self.rss(pid)
        let agent = Task { try await Self.follow(port: port, token: token, metrics: metrics) }
        while !metrics.agentConnected.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(10)) }

        let period = Double(visitors) / Double(rate)
        let load = LoadPlan(period: period, seconds: Double(seconds))
        let connectStart = ContinuousClock.now
        let result = try await withThrowingTaskGroup(of: Void.self) { group -> JSONValue in
            for i in 0..<visitors {
                group.addTask { try await Self.visit(port: port, index: i, of: visitors, plan: load, metrics: metrics, silent: silent) }
                while i + 1 - metrics.welcomed.load(ordering: .relaxed) - metrics.failed.load(ordering: .relaxed) >= connecting {
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            while metrics.welcomed.load(ordering: .relaxed) + metrics.failed.load(ordering: .relaxed) < visitors {
                try await Task.sleep(for: .milliseconds(10))
            }
            let connectSeconds = (ContinuousClock.now - connectStart).seconds
            try await Task.sleep(for: .seconds(2))
            let idle = Self.rss(pid)
            // Everyone is connected and idle: the load starts now, for every visitor at once.
            let start = ContinuousClock.now + .milliseconds(200)
            load.begin(at: start)
            try await Task.sleep(until: start + .seconds(Double(seconds) + 3))
            load.end()
            try await group.waitForAll()
            let latencies = metrics.latencies.withLock { Latencies($0) }
            let sent = metrics.sent.load(ordering: .relaxed)
            let perConnection = visitors > 0 ? Double(idle.rss - baseline.rss) * 1024 / Double(visitors) : 0
            return .object([
                "machine": Ingest().machine(), "visitors": .int(Int64(visitors)), "silent": .bool(silent), "connected": .int(Int64(metrics.welcomed.load(ordering: .relaxed))),
                "connectFailures": .int(Int64(metrics.failed.load(ordering: .relaxed))),
                "connectSeconds": .number(connectSeconds.rounded(to: 1)),
                "targetRate": .int(Int64(rate)), "seconds": .int(Int64(seconds)),
                "messagesSent": .int(Int64(sent)), "messagesPerSecond": .number((Double(sent) / Double(seconds)).rounded()),
                "acked": .int(Int64(metrics.acked.load(ordering: .relaxed))), "errors": .int(Int64(metrics.errors.load(ordering: .relaxed))),
                "seenOnAgentStream": .int(Int64(latencies.sorted.count)),
                "sendToAgentStreamMs": .object([
                    "p50": .number(latencies.percentile(0.5).rounded(to: 2)), "p90": .number(latencies.percentile(0.9).rounded(to: 2)),
                    "p99": .number(latencies.percentile(0.99).rounded(to: 2)), "max": .number((latencies.sorted.last ?? 0).rounded(to: 2)),
                ]),
                "serverRSSMiB": .object([
                    "beforeVisitors": .number((Double(baseline.rss) / 1024).rounded(to: 1)),
                    "allIdle": .number((Double(idle.rss) / 1024).rounded(to: 1)),
                    "peak": .number((Double(Self.rss(pid).peak) / 1024).rounded(to: 1)),
                ]),
                "serverBytesPerIdleConnection": .number(perConnection.rounded()),
                "targets": .string("p99 ≤ 20 ms at 2000 messages/s; ≤ 40 KB per idle connection"),
                "client": .string("this process: \(visitors) HummingbirdWSClient connections and one /ws/events follower (on its own thread, timing arrivals as they come off the socket), sharing the 2 cores with the server"),
            ])
        }
        agent.cancel()
        print(String(decoding: try JSONEncoder.pretty.encode(result), as: UTF8.self))
    }

    // MARK: The visitors

    /// When the load starts (set once every visitor is idle), and when it stops. Visitors wait for both
    /// without polling: 10,000 tasks waking every few milliseconds would load the machine being measured.
    final class LoadPlan: Sendable {
        let period: Double
        let seconds: Double
        let started = Gate<ContinuousClock.Instant>()
        let stopped = Gate<Void>()
        init(period: Double, seconds: Double) {
            self.period = period
            self.seconds = seconds
        }

        func begin(at start: ContinuousClock.Instant) { started.open(start) }
        func end() {
            started.open(nil)
            stopped.open(())
        }
    }

    /// Opened once with a value (or nil: never); waiters are resumed then, later callers return at once.
    final class Gate<Value: Sendable>: Sendable {
        private let state = Mutex<(opened: Value??, waiters: [CheckedContinuation<Value?, Never>])>((nil, []))

        func wait() async -> Value? {
            await withCheckedContinuation { continuation in
                let value = state.withLock { s -> Value?? in
                    if let opened = s.opened { return opened }
                    s.waiters.append(continuation)
                    return nil
                }
                if let value { continuation.resume(returning: value) }
            }
        }

        func open(_ value: Value?) {
            let waiters = state.withLock { s -> [CheckedContinuation<Value?, Never>] in
                guard s.opened == nil else { return [] }
                s.opened = .some(value)
                defer { s.waiters = [] }
                return s.waiters
            }
            for w in waiters { w.resume(returning: value) }
        }
    }

    final class SendTimes: Sendable {
        let times = Mutex<[String: ContinuousClock.Instant]>([:])
    }

    final class Measurements: Sendable {
        let welcomed = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let sent = Atomic<Int>(0)
        let acked = Atomic<Int>(0)
        let errors = Atomic<Int>(0)
        let agentConnected = Atomic<Bool>(false)
        let latencies = Mutex<[Double]>([])
        /// Acked message ids with their send instant, and event arrivals not yet matched to an ack.
        let match = Mutex<(sentAt: [Int64: ContinuousClock.Instant], seenAt: [Int64: ContinuousClock.Instant])>(([:], [:]))

        func acked(_ id: Int64, sentAt: ContinuousClock.Instant) {
            acked.add(1, ordering: .relaxed)
            let seen = match.withLock { m -> ContinuousClock.Instant? in
                if let seen = m.seenAt.removeValue(forKey: id) { return seen }
                m.sentAt[id] = sentAt
                return nil
            }
            if let seen { latencies.withLock { $0.append((seen - sentAt).seconds * 1000) } }
        }

        func seen(_ id: Int64, at instant: ContinuousClock.Instant) {
            let sent = match.withLock { m -> ContinuousClock.Instant? in
                if let sent = m.sentAt.removeValue(forKey: id) { return sent }
                m.seenAt[id] = instant
                return nil
            }
            if let sent { latencies.withLock { $0.append((instant - sent).seconds * 1000) } }
        }
    }

    static func visit(port: Int, index: Int, of count: Int, plan: LoadPlan, metrics: Measurements, silent: Bool) async throws {
        do {
            try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/ws/chat/webchat", configuration: .init(maxFrameSize: 1 << 16), logger: Logger(label: "visitor")
            ) { inbound, outbound, _ in
                if silent {
                    metrics.welcomed.add(1, ordering: .relaxed)
                    _ = await plan.stopped.wait()
                    try await outbound.close(.normalClosure, reason: nil)
                    return
                }
                try await outbound.write(.text(#"{"type":"hello","name":"Visitor \#(index)"}"#))
                let sentAt = SendTimes()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        var welcomed = false
                        for try await message in inbound.messages(maxSize: 1 << 16) {
                            guard case .text(let text) = message, case .object(let frame)? = JSONValue(parsing: text),
                                  case .string(let type)? = frame["type"] else { continue }
                            switch type {
                            case "welcome" where !welcomed:
                                welcomed = true
                                metrics.welcomed.add(1, ordering: .relaxed)
                            case "ack":
                                if case .string(let id)? = frame["id"], case .number(let messageID)? = frame["messageID"],
                                   let at = sentAt.times.withLock({ $0.removeValue(forKey: id) }) {
                                    metrics.acked(Int64(messageID), sentAt: at)
                                }
                            case "error":
                                metrics.errors.add(1, ordering: .relaxed)
                            default:
                                break
                            }
                        }
                    }
                    // Each visitor sends once a period, at its own phase, so the total rate is even.
                    if let start = await plan.started.wait() {
                        var k = 0
                        while true {
                            let at = start + .seconds(plan.period * (Double(index) / Double(count) + Double(k)))
                            if at > start + .seconds(plan.seconds) { break }
                            try await Task.sleep(until: at)
                            let id = "m\(k)"
                            sentAt.times.withLock { $0[id] = .now }
                            try await outbound.write(.text(#"{"type":"message","id":"\#(id)","text":"Where is my order \#(index)-\#(k)? سفارشم کجاست؟"}"#))
                            metrics.sent.add(1, ordering: .relaxed)
                            k += 1
                        }
                    }
                    _ = await plan.stopped.wait()
                    try await outbound.close(.normalClosure, reason: nil)
                    try await group.waitForAll()
                }
            }
        } catch {
            metrics.failed.add(1, ordering: .relaxed)
        }
    }

    // MARK: The agent

    /// The agent's `/ws/events` stream, on an event loop and an executor of its own: its arrivals are timed
    /// as they come off the socket, not after the 10,000 visitor tasks ahead of it in the shared pool.
    static func follow(port: Int, token: String, metrics: Measurements) async throws {
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { loop.shutdownGracefully { _ in } }
        _ = try await withTaskExecutorPreference(SerialTaskExecutor(label: "bench.agent")) {
            try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/ws/events?token=\(token)", configuration: .init(maxFrameSize: 1 << 20),
                eventLoopGroup: loop, logger: Logger(label: "agent")
            ) { inbound, _, _ in
                metrics.agentConnected.store(true, ordering: .releasing)
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    let now = ContinuousClock.now
                    guard case .text(let text) = message, case .object(let event)? = JSONValue(parsing: text),
                          case .string(EventType.messageAdded.rawValue)? = event["type"],
                          case .object(let data)? = event["data"], case .number(let id)? = data["messageID"] else { continue }
                    metrics.seen(Int64(id), at: now)
                }
            }
        }
    }

    /// Runs tasks that prefer it on one dispatch thread of their own.
    final class SerialTaskExecutor: TaskExecutor {
        private let queue: DispatchQueue
        init(label: String) { queue = DispatchQueue(label: label, qos: .userInteractive) }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    // MARK: Plumbing

    /// Raises this process's open-file limit to its hard limit (the server started here inherits it).
    static func raiseFileLimit() -> rlim_t {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return limit.rlim_cur
    }

    /// The admin token `pishkhan serve` prints on its first start.
    static func adminToken(_ handle: FileHandle) throws -> String {
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PISHKHAN_ADMIN_TOKEN=") }) {
                return String(line.dropFirst("PISHKHAN_ADMIN_TOKEN=".count))
            }
        }
        throw BenchError("the server printed no admin token: \(text)")
    }

    /// Resident and peak resident memory of a process, in KiB.
    static func rss(_ pid: Int32) -> (rss: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func value(_ key: String) -> Int {
            status.split(separator: "\n").first { $0.hasPrefix(key) }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        }
        return (value("VmRSS:"), value("VmHWM:"))
    }
}
