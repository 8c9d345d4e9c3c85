import Foundation
import PishkhanCore

/// Runs Debian's `wrk` and reads its report.
enum Wrk {
    struct Result {
        var requestsPerSecond: Double
        var latency: JSONValue
        var non2xx: Int
        var socketErrors: Int
    }

    static func run(_ arguments: [String]) throws -> Result {
        try start(arguments).finish()
    }

    /// A wrk process under way; several can run at once (start them all, then finish each).
    struct Running {
        let process: Process
        let output: Pipe

        /// Waits for wrk to end and reads its report.
        func finish() -> Result {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return parse(String(decoding: data, as: UTF8.self))
        }
    }

    static func start(_ arguments: [String]) throws -> Running {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
            throw BenchError("wrk is not installed: apt-get install -y wrk")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        return Running(process: process, output: out)
    }

    /// Reads `Requests/sec:`, the `--latency` distribution and the error lines.
    static func parse(_ text: String) -> Result {
        var rps = 0.0
        var latency: [String: JSONValue] = [:]
        var non2xx = 0
        var socketErrors = 0
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), let v = Double(parts.last ?? "") { rps = v }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let v = Int(parts.last ?? "") { non2xx = v }
            if line.hasPrefix("Socket errors:") {
                socketErrors = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }.reduce(0, +)
            }
            for p in ["50%", "75%", "90%", "99%"] where parts.count == 2 && parts[0] == Substring(p) {
                latency["p" + p.dropLast()] = .number(milliseconds(String(parts[1])))
            }
        }
        return Result(requestsPerSecond: rps, latency: .object(latency), non2xx: non2xx, socketErrors: socketErrors)
    }

    static func milliseconds(_ s: String) -> Double {
        let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000)]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            if let v = Double(s.dropLast(suffix.count)) { return (v * factor * 1000).rounded() / 1000 }
        }
        return Double(s) ?? 0
    }

    /// Whether something accepts TCP connections on the loopback port.
    static func probe(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        return rc == 0
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The Lua script that makes every wrk request a distinct inbound message.
enum WrkScript {
    /// Posts distinct messages; `instance` keeps the external ids of several wrk processes apart, and of
    /// `instances` wrk processes each writes as its own share of the `customers`, so every process sees the
    /// same mix of new customers and follow-ups as one process alone would (sharing customers, they would
    /// turn each other's first messages into follow-ups and wait on each other's identity locks).
    static func inbound(token: String, customers: Int, instance: Int = 0, instances: Int = 1) -> String {
        let share = max(1, customers / max(1, instances))
        return """
        local counter = 0
        local thread_id = 0
        local threads = {}
        function setup(thread)
          thread:set("tid", #threads)
          table.insert(threads, thread)
        end
        function init(args)
          thread_id = tid
        end
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Authorization"] = "Bearer \(token)"
        function request()
          counter = counter + 1
          local id = (\(instance) * 64 + thread_id) * 100000000 + counter
          local c = \(instance * share) + counter % \(share)
          local body
          if id % 2 == 0 then
            body = string.format('{"channel":"support-email","channelKind":"email","externalID":"<%d@wrk>","sender":{"address":"c%d@example.com","displayName":"Customer %d"},"subject":"Order %d","text":"Where is my order %d? سفارش من کجاست؟"}', id, c, c, c, c)
          else
            body = string.format('{"channel":"sms","channelKind":"sms","externalID":"SM%d","sender":{"address":"+98912%07d"},"text":"سلام، سفارش %d"}', id, c, c)
          end
          return wrk.format(nil, nil, nil, body)
        end
        """
    }
}
