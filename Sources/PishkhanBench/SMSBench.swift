import ArgumentParser
import Foundation
import PishkhanChannels
import PishkhanCore
import PishkhanServer
import PishkhanStore

/// `POST /webhooks/sms/{channel}` under wrk: every request a distinct, correctly signed Twilio message,
/// checked and stored as the provider's calls are.
struct SMSWebhook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sms", abstract: "SMS webhook ingest with valid X-Twilio-Signature under wrk.")

    @Option(help: "wrk connections.") var connections = 64
    @Option(help: "Seconds of wrk load.") var seconds = 10
    @Option(help: "Distinct phone numbers the messages come from.") var customers = 20_000
    @Option(help: "Signed requests prepared per wrk thread (each is sent once; make it more than the rate × seconds).")
    var prepared = 60_000
    @Flag(help: "Ingest with no SLA policies (no clocks).") var noSLA = false
    @Option(help: "Scratch directory (deleted afterwards).") var scratch: String = NSTemporaryDirectory()

    static let publicBaseURL = "https://helpdesk.bench.example"
    static let authToken = "bench-auth-token-0123456789abcdef"

    func run() async throws {
        let root = URL(fileURLWithPath: scratch).appendingPathComponent("pishkhan-bench-sms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try Ingest.openStore(root)
        if !noSLA { _ = try await store.seedSLAIfNew(SLA.config) }
        let config = SMSChannelConfig(channel: "sms", baseURL: "http://127.0.0.1:9", accountSidEnv: "SID", authTokenEnv: "TOKEN",
                                      from: "+98210000000", publicBaseURL: Self.publicBaseURL)
        let channels = ChannelDirectory([ChannelSettings(id: "sms", kind: .sms, threadWindow: 24 * 3600)], sms: [config])
        let deps = AppDependencies(store: store, channels: channels,
                                   smsCredentials: ["sms": SMSCredentials(accountSID: "ACbench", authToken: Self.authToken)])

        // Signed requests, one file per wrk thread; signing is not part of the measured load.
        let threads = 2
        for t in 0..<threads {
            var file = ""
            file.reserveCapacity(prepared * 260)
            for k in 0..<prepared {
                let i = k * threads + t
                let c = i % customers
                let form = FormParameters([
                    ("AccountSid", "ACbench"), ("From", String(format: "+98912%07d", c)), ("To", "+98210000000"),
                    ("Body", "سلام، سفارش \(c) کی می‌رسد؟"), ("MessageSid", "SM\(i)"), ("NumMedia", "0"),
                ])
                let signature = TwilioSignature.compute(url: Self.publicBaseURL + "/webhooks/sms/sms", parameters: form.pairs, authToken: Self.authToken)
                file += signature + "\t" + form.encoded() + "\n"
            }
            try file.write(to: root.appendingPathComponent("signed-\(t).txt"), atomically: true, encoding: .utf8)
        }
        let script = root.appendingPathComponent("sms.lua")
        try Self.lua(prefix: root.appendingPathComponent("signed-").path).write(to: script, atomically: true, encoding: .utf8)

        let port = 22_000 + Int.random(in: 0..<2000)
        PeakRSS.reset()
        let before = try await store.latestMessageID()
        let result = try await Ingest.withServer(deps, port: port) {
            try Wrk.run(["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path, "http://127.0.0.1:\(port)/webhooks/sms/sms"])
        }
        let stored = try await store.latestMessageID() - before
        let report: JSONValue = .object([
            "machine": Ingest().machine(), "client": .string("wrk -t\(threads) -c\(connections) -d\(seconds)s (Debian wrk; requests signed beforehand, each sent once)"),
            "requestsPerSecond": .number(result.requestsPerSecond.rounded()), "latencyMs": result.latency,
            "non2xx": .int(Int64(result.non2xx)), "socketErrors": .int(Int64(result.socketErrors)),
            "messagesStored": .int(stored), "slaPolicies": .bool(!noSLA),
            "target": .string("≥ 3000 webhooks/s"), "peakRSSMiB": .number(PeakRSS.mebibytes),
        ])
        print(String(decoding: try JSONEncoder.pretty.encode(report), as: UTF8.self))
        if result.requestsPerSecond * Double(seconds) > Double(prepared * threads) {
            FileHandle.standardError.write(Data("note: more requests than were prepared; later ones were duplicates — raise --prepared\n".utf8))
        }
    }

    /// Each thread reads its own file of `signature<TAB>body` lines and sends them in turn.
    static func lua(prefix: String) -> String {
        """
        local threads = {}
        local lines = {}
        local n = 0
        function setup(thread)
          thread:set("tid", #threads)
          table.insert(threads, thread)
        end
        function init(args)
          for line in io.lines("\(prefix)" .. tid .. ".txt") do
            local tab = string.find(line, "\\t", 1, true)
            table.insert(lines, { string.sub(line, 1, tab - 1), string.sub(line, tab + 1) })
          end
        end
        function request()
          n = n + 1
          local entry = lines[(n - 1) % #lines + 1]
          return wrk.format("POST", nil, {
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["X-Twilio-Signature"] = entry[1],
          }, entry[2])
        end
        """
    }
}
