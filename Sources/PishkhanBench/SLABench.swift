import ArgumentParser
import Foundation
import Logging
import PishkhanCore
import PishkhanServer
import PishkhanStore
#if canImport(Glibc)
import Glibc
#endif

/// `pishkhan-bench sla`: the scheduler's queue, its rebuild over a million open tickets, the lag from
/// due time to stored breach, and calendar arithmetic.
struct SLA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sla",
        abstract: "SLA scheduler operations, memory per timer, rebuild time, breach lag, calendar arithmetic.")

    @Option(help: "Open tickets with live clocks for the rebuild phase.") var tickets = 1_000_000
    @Option(help: "Timers in the queue phase.") var timers = 1_000_000
    @Option(help: "Breaches falling due within one minute in the lag phase.") var breaches = 10_000
    @Option(help: "Calendar calls per operation in the calendar phase.") var calendarCalls = 200_000
    @Flag(help: "Skip the rebuild phase (it seeds a million tickets first).") var skipRebuild = false
    @Flag(help: "Skip the lag phase (it takes about a minute of real time).") var skipLag = false
    @Option(help: "Scratch directory (deleted afterwards).") var scratch: String = NSTemporaryDirectory()

    func run() async throws {
        var report: [String: JSONValue] = ["machine": Ingest().machine()]
        let root = URL(fileURLWithPath: scratch).appendingPathComponent("pishkhan-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        report["calendar"] = calendar()
        report["scheduler"] = queue()
        if !skipRebuild { report["rebuild"] = try await rebuild(root.appendingPathComponent("rebuild")) }
        if !skipLag { report["breachLag"] = try await lag(root.appendingPathComponent("lag")) }
        print(String(decoding: try JSONEncoder.pretty.encode(report), as: UTF8.self))
    }

    /// The policies the store phases run with: the shipped shape, on the Tehran calendar.
    static let config = try! SLAConfiguration(calendars: [.tehran, .twentyFourSeven], policies: [
        SLAPolicy(id: "urgent", match: .init(priorities: [.urgent]), calendar: "24x7",
                  targets: .init(firstResponse: .init(seconds: 3600), nextResponse: .init(seconds: 7200), resolution: .init(seconds: 8 * 3600))),
        SLAPolicy(id: "standard", calendar: "tehran",
                  targets: .init(firstResponse: .init(seconds: 8 * 3600), nextResponse: .init(seconds: 8 * 3600), resolution: .init(seconds: 40 * 3600))),
    ])

    /// `add` and `businessDuration` on the Tehran calendar, from random instants of 2025–2026 over
    /// durations up to a working week.
    func calendar() -> JSONValue {
        let cal = BusinessCalendar.tehran
        var rng = SplitMix64(seed: 11)
        let base = 1_735_689_600.0 // 2025-01-01
        let instants = (0..<calendarCalls).map { _ in Date(timeIntervalSince1970: base + Double(rng.next() % (2 * 365 * 86_400))) }
        let durations = (0..<calendarCalls).map { _ in Double(rng.next() % (44 * 3600)) }
        var sink = 0.0
        let t0 = ContinuousClock.now
        for i in 0..<calendarCalls { sink += cal.add(durations[i], to: instants[i]).timeIntervalSince1970 }
        let addSeconds = (ContinuousClock.now - t0).seconds
        let t1 = ContinuousClock.now
        for i in 0..<calendarCalls { sink += cal.businessDuration(from: instants[i], to: instants[i] + durations[i] * 3) }
        let durationSeconds = (ContinuousClock.now - t1).seconds
        return .object([
            "calendar": .string("tehran"), "calls": .int(Int64(calendarCalls)),
            "addPerSecond": .number((Double(calendarCalls) / addSeconds).rounded()),
            "businessDurationPerSecond": .number((Double(calendarCalls) / durationSeconds).rounded()),
            "checksum": .number(sink.truncatingRemainder(dividingBy: 1000).rounded()),
        ])
    }

    /// The in-memory queue: `timers` live timers, then as many reschedules and cancels.
    func queue() -> JSONValue {
        var rng = SplitMix64(seed: 5)
        let now = 1_790_000_000.0
        let before = HeapBytes.inUse
        var q = SLATimerQueue()
        let t0 = ContinuousClock.now
        for i in 0..<timers {
            q.schedule(.init(ticketID: Int64(i), metric: .firstResponse),
                       .init(at: now + Double(rng.next() % 2_592_000), kind: .breach, cycle: 1))
        }
        let buildSeconds = (ContinuousClock.now - t0).seconds
        let measuredBytes = Double(HeapBytes.inUse - before) / Double(timers)
        // A mix as the store produces it: each change cancels one timer and schedules another.
        let ops = timers
        let t1 = ContinuousClock.now
        for _ in 0..<ops / 2 {
            let id = Int64(rng.next() % UInt64(timers))
            q.cancel(.init(ticketID: id, metric: .firstResponse))
            q.schedule(.init(ticketID: id, metric: .firstResponse), .init(at: now + Double(rng.next() % 2_592_000), kind: .warning, cycle: 2))
        }
        let opsSeconds = (ContinuousClock.now - t1).seconds
        let t2 = ContinuousClock.now
        let popped = q.popDue(now: now + 86_400).count
        let popSeconds = (ContinuousClock.now - t2).seconds
        return .object([
            "timers": .int(Int64(timers)), "buildSeconds": .number(buildSeconds.rounded(to: 3)),
            "scheduleCancelPerSecond": .number((Double(ops) / opsSeconds).rounded()),
            "bytesPerTimer": .number(measuredBytes.rounded(to: 1)), "bytesPerTimerEstimate": .number(q.bytesPerTimer.rounded(to: 1)),
            "poppedDueWithinADay": .int(Int64(popped)), "popPerSecond": .number((Double(popped) / popSeconds).rounded()),
            "target": .string("≥ 1000000 schedule+cancel/s, ≤ 200 bytes per timer"),
        ])
    }

    /// A million open tickets ingested for real (so their clocks are the engine's), then the scheduler's
    /// rebuild as on start.
    func rebuild(_ dir: URL) async throws -> JSONValue {
        let store = try Ingest.openStore(dir)
        _ = try await store.seedSLAIfNew(Self.config)
        let seedStart = ContinuousClock.now
        _ = try await Feed(store: store, customers: tickets, emailOnly: true).run(count: tickets, concurrency: 256)
        let seeded = (ContinuousClock.now - seedStart).seconds
        try await store.benchmarkCheckpoint()
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let scheduler = SLAScheduler(store: store, logger: logger)
        PeakRSS.reset()
        let t0 = ContinuousClock.now
        let count = try await scheduler.rebuild()
        let seconds = (ContinuousClock.now - t0).seconds
        return .object([
            "openTickets": .int(Int64(try await store.openTicketCount())), "timers": .int(Int64(count)),
            "seedSeconds": .number(seeded.rounded(to: 1)), "seedTicketsPerSecond": .number((Double(tickets) / seeded).rounded()),
            "rebuildSeconds": .number(seconds.rounded(to: 3)), "peakRSSMiB": .number(PeakRSS.mebibytes), "target": .string("≤ 3 s"),
        ])
    }

    /// `breaches` tickets created evenly over one minute on a policy with a 5-second first-response
    /// target, while the scheduler runs as in the server: each breach's lag is its stored time minus its
    /// due time.
    func lag(_ dir: URL) async throws -> JSONValue {
        let store = try Ingest.openStore(dir)
        _ = try await store.seedSLAIfNew(try SLAConfiguration(calendars: [.twentyFourSeven], policies: [
            SLAPolicy(id: "fast", calendar: "24x7", targets: .init(firstResponse: .init(seconds: 5)), warnAt: 1),
        ]))
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let scheduler = SLAScheduler(store: store, logger: logger)
        let feed = Feed(store: store, customers: breaches, emailOnly: true)
        let window = 60.0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await scheduler.run() }
            let start = ContinuousClock.now
            // 100 paced batches: each batch's ingests go in together, as a burst of mail would.
            let batches = 100, perBatch = breaches / batches
            for b in 0..<batches {
                try await Task.sleep(until: start + .seconds(window * Double(b) / Double(batches)), clock: .continuous)
                try await withThrowingTaskGroup(of: Void.self) { inner in
                    for i in b * perBatch..<(b + 1) * perBatch {
                        inner.addTask { _ = try await store.ingest(feed.message(i).0, channel: Ingest.channels["support-email"]!, rules: .standard) }
                    }
                    try await inner.waitForAll()
                }
            }
            let deadline = ContinuousClock.now + .seconds(window + 60)
            while try await store.benchmarkAlertCount() < breaches, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            group.cancelAll()
        }
        let lags = try await store.benchmarkAlertLags()
        let sorted = Latencies(lags.map { $0 * 1000 })
        return .object([
            "breaches": .int(Int64(lags.count)), "dueWithinSeconds": .number(window + 5),
            "lagMs": .object([
                "p50": .number(sorted.percentile(0.5).rounded(to: 1)), "p99": .number(sorted.percentile(0.99).rounded(to: 1)),
                "max": .number((sorted.sorted.last ?? 0).rounded(to: 1)),
            ]),
            "schedulerTickMs": .int(10), "target": .string("p99 ≤ 50 ms"),
        ])
    }
}

/// Resident memory of the process, from /proc/self/statm: measured before and after building the
/// queue, the difference is what its timers cost, page rounding and allocator slack included.
enum HeapBytes {
    static var inUse: Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
