import ArgumentParser
import Foundation
import PishkhanCore
import PishkhanServer
import PishkhanStore
import PishkhanTestSupport

/// `pishkhan tui` against a local server holding `tickets` open tickets, in a tmux pseudo-terminal: the
/// time from starting the process to its first drawn queue, and the time each key press takes to handle
/// and redraw, as the TUI itself records them (PISHKHAN_TUI_TRACE).
struct TUI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui", abstract: "The terminal UI over many open tickets: first screen after start, redraw per key press.")

    @Option(help: "Open tickets on the server.") var tickets = 10_000
    @Option(help: "Starts of the TUI measured.") var starts = 5
    @Option(help: "Key presses measured (cursor moves down, then up).") var keys = 300
    @Option(help: "The pishkhan executable (default: next to this one).") var executable: String?
    @Option(help: "Scratch directory (deleted afterwards).") var scratch: String = NSTemporaryDirectory()

    func run() async throws {
        guard ProcessRunner.isInstalled("tmux") else { throw BenchError("tmux is not installed: apt-get install -y tmux") }
        // Absolute: tmux starts the command from its server's working directory.
        let binary = URL(fileURLWithPath: executable ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("pishkhan").path).standardizedFileURL.path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BenchError("\(binary) is missing: swift build -c release --product pishkhan") }
        let root = URL(fileURLWithPath: scratch).appendingPathComponent("pishkhan-bench-tui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }

        let store = try Ingest.openStore(root)
        let (_, token) = try await store.createAgent(name: "Bench agent", role: .agent, email: nil, groups: [], capacity: nil)
        _ = try await Feed(store: store, customers: tickets, emailOnly: true).run(count: tickets, concurrency: 64)
        try await store.benchmarkMarkOpen(every: 1, spreadDueOver: 3 * 24 * 3600)
        let open = try await store.openTicketCount()
        let port = 26_000 + Int.random(in: 0..<2000)
        let trace = root.appendingPathComponent("trace.txt").path
        let (firstScreens, presses) = try await Ingest.withServer(AppDependencies(store: store, channels: Ingest.channels), port: port) {
            var firstScreens: [Double] = []
            var presses: [Double] = []
            for run in 0..<starts {
                // A socket per start: the previous tmux server may still be going away.
                let socket = root.appendingPathComponent("tmux-\(run).sock").path
                try? FileManager.default.removeItem(atPath: trace)
                let command = "env LANG=C.UTF-8 PISHKHAN_TOKEN=\(token) PISHKHAN_TUI_TRACE=\(trace) \(binary) tui --server http://127.0.0.1:\(port)"
                let started = Date().timeIntervalSince1970
                let errors = root.appendingPathComponent("tmux.err").path
                let status = try ProcessRunner.spawnAndWait(["sh", "-c", "exec tmux -u -S '\(socket)' -f /dev/null new-session -d -s bench -x 160 -y 48 \"$0\" 2>'\(errors)'", command])
                guard status == 0 else {
                    throw BenchError("tmux new-session exited with \(status): \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
                }
                defer { _ = try? ProcessRunner.run(["tmux", "-S", socket, "kill-server"], allowFailure: true) }
                let first = try Self.waitForLine(trace, prefix: "first-screen ", count: 1).first ?? 0
                firstScreens.append((first - started) * 1000)
                // Key presses on the last start, each drawn before the next is sent.
                guard run == starts - 1 else { continue }
                for k in 0..<keys {
                    try ProcessRunner.run(["tmux", "-S", socket, "send-keys", "-t", "bench", k < keys * 2 / 3 ? "j" : "k"])
                    _ = try Self.waitForLine(trace, prefix: "key ", count: k + 1)
                }
                presses = try Self.waitForLine(trace, prefix: "key ", count: keys)
            }
            return (firstScreens, presses)
        }
        let first = Latencies(firstScreens), keyTimes = Latencies(presses)
        let report: JSONValue = .object([
            "machine": Ingest().machine(), "openTickets": .int(Int64(open)), "starts": .int(Int64(starts)), "keyPresses": .int(Int64(presses.count)),
            "firstScreenMs": .object(["median": .number(first.percentile(0.5).rounded(to: 1)), "max": .number((first.sorted.last ?? 0).rounded(to: 1))]),
            "keyRedrawMs": .object([
                "p50": .number(keyTimes.percentile(0.5).rounded(to: 3)), "p99": .number(keyTimes.percentile(0.99).rounded(to: 3)),
                "max": .number((keyTimes.sorted.last ?? 0).rounded(to: 3)),
            ]),
            "measured": .string("first screen: from spawning tmux with the TUI to its first drawn queue (process start, token check, first 200 of the queue over HTTP, drawing); key: from the key read to the redraw written (j moves the cursor; paging loads 200 more near the end)"),
            "targets": .string("first screen ≤ 300 ms; key press redraw ≤ 16 ms"),
        ])
        print(String(decoding: try JSONEncoder.pretty.encode(report), as: UTF8.self))
    }

    /// The values of the first `count` lines starting with `prefix`, waiting up to 30 s for them.
    static func waitForLine(_ path: String, prefix: String, count: Int) throws -> [Double] {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let values = text.split(separator: "\n").filter { $0.hasPrefix(prefix) }.compactMap { Double($0.dropFirst(prefix.count)) }
                if values.count >= count { return Array(values.prefix(count)) }
            }
            usleep(500)
        }
        throw BenchError("the TUI wrote no \(prefix.trimmingCharacters(in: .whitespaces)) line \(count) to \(path)")
    }
}
