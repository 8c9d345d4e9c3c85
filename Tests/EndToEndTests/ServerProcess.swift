import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A real `pishkhan serve` child process on a free loopback port, stopped by pid.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let output = Pipe()
    private(set) var adminToken: String?

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var binary: URL {
        let root = repository
        let candidates = ["debug", "release"].map { root.appendingPathComponent(".build/\($0)/pishkhan") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Where the server's standard output goes when it is not read through `output` (several servers
    /// started at once, one of which prints the first admin's token).
    private(set) var outputFile: URL?

    init(dataDirectory: URL, channels: URL, port: Int, environment: [String: String] = [:], knowledgeBase: URL? = nil,
         outputFile: URL? = nil) throws {
        self.port = port
        process.executableURL = Self.binary
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.arguments = ["serve", "--port", String(port), "--data", dataDirectory.path, "--channels", channels.path,
                             "--knowledge-base", (knowledgeBase ?? dataDirectory.appendingPathComponent("no-kb")).path, "--log-level", "warning",
                             "--sla", Self.repository.appendingPathComponent("SLA/sla.yaml").path]
        process.standardError = FileHandle.nullDevice
        if let outputFile {
            _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: outputFile)
            let log = outputFile.appendingPathExtension("log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
            self.outputFile = outputFile
        } else {
            process.standardOutput = output
        }
        try process.run()
    }

    /// The first admin's token, if this server printed it to its `outputFile`.
    func tokenInOutputFile() -> String? {
        guard let outputFile, let text = try? String(contentsOf: outputFile, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("PISHKHAN_ADMIN_TOKEN=") }.map { String($0.dropFirst("PISHKHAN_ADMIN_TOKEN=".count)) }
    }

    /// Waits for `/healthz` and, on a first start, reads the admin token the server prints.
    func waitUntilReady(expectToken: Bool, client: HTTPClient) async throws {
        if expectToken {
            var text = ""
            let handle = output.fileHandleForReading
            while !text.contains("PISHKHAN_ADMIN_TOKEN=") || !text.hasSuffix("\n") {
                let chunk = handle.availableData
                if chunk.isEmpty { throw ServerError("server exited before printing its token") }
                text += String(decoding: chunk, as: UTF8.self)
            }
            adminToken = text.split(separator: "\n").first { $0.hasPrefix("PISHKHAN_ADMIN_TOKEN=") }.map { String($0.dropFirst("PISHKHAN_ADMIN_TOKEN=".count)) }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let r = try? await client.get(url: "http://127.0.0.1:\(port)/healthz").get(), r.status == .ok { return }
            guard process.isRunning else { throw ServerError("server exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServerError("server did not become ready")
    }

    func kill(_ signal: Int32) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
    }

    /// Waits for the process to exit and returns its status.
    func wait(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { throw ServerError("server did not exit in time") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    deinit { kill(SIGKILL) }

    static func freePort() -> Int {
        // Bind port 0, read what the kernel chose, release it.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

struct ServerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

extension HTTPClient {
    /// POSTs JSON; returns status and body, or throws on a transport error (connection refused, reset).
    func postJSON(_ url: String, token: String, body: String, timeout: TimeAmount = .seconds(5)) async throws -> (HTTPResponseStatus, Data) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (response.status, Data(bytes.readableBytesView))
    }

    func getText(_ url: String) async throws -> String {
        let response = try await execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 16 << 20))
    }

    func getJSON(_ url: String, token: String, timeout: TimeAmount = .seconds(10)) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
    }
}
