import PishkhanChannels
import PishkhanTestSupport
import Testing

extension ServerBackedTests {
    /// SMTPSender against a real aiosmtpd sink on loopback.
    @Suite
    struct SMTPSenderTests {
        private static func settings(port: Int) -> MailServerSettings {
            MailServerSettings(host: "127.0.0.1", port: port, security: .none, username: "", password: "")
        }

        @Test func messageArrivesWithEnvelopeAndExactBytes() async throws {
            try await SMTPSink.with { sink in
                let sender = try SMTPSender(settings: Self.settings(port: sink.port), clientName: "pishkhan.test")
                let first = TestMessage.make(1)
                let second = TestMessage.make(2)
                try await sender.send(first, from: "help@pishkhan.test", to: ["alice@example.com", "bob@example.com"])
                try await sender.send(second, from: "", to: ["carol@example.com"])
                let received = try await sink.waitForMessages(2)
                #expect(received.count == 2)
                #expect(received.first?.mailFrom == "help@pishkhan.test")
                #expect(received.first?.recipients == ["alice@example.com", "bob@example.com"])
                #expect(received.first?.data == first)
                #expect(received.last?.mailFrom == "<>")  // aiosmtpd records the null reverse-path as sent
                #expect(received.last?.recipients == ["carol@example.com"])
                #expect(received.last?.data == second)
            }
        }

        @Test func closedPortIsATemporaryFailure() async throws {
            let sender = try SMTPSender(settings: Self.settings(port: try LoopbackPort.free()))
            let error = await #expect(throws: CurlError.self) {
                try await sender.send(TestMessage.make(1), from: "help@pishkhan.test", to: ["alice@example.com"])
            }
            #expect(error?.isPermanent == false)
            #expect(error?.isConnectionFailure == true)
            #expect(error?.responseCode == nil)
        }

        @Test func rejectedRecipientIsAPermanentFailure() async throws {
            try await SMTPSink.with { sink in
                let sender = try SMTPSender(settings: Self.settings(port: sink.port))
                let error = await #expect(throws: CurlError.self) {
                    try await sender.send(TestMessage.make(1), from: "help@pishkhan.test", to: ["reject-me@example.com"])
                }
                #expect(error?.responseCode == 550)
                #expect(error?.isPermanent == true)
                #expect(error?.serverResponse?.contains("550") == true, "\(String(describing: error))")
                #expect(try sink.messages().isEmpty)
            }
        }

        @Test func temporarilyRefusedRecipientIsATemporaryFailure() async throws {
            try await SMTPSink.with { sink in
                let sender = try SMTPSender(settings: Self.settings(port: sink.port))
                let error = await #expect(throws: CurlError.self) {
                    try await sender.send(TestMessage.make(1), from: "help@pishkhan.test", to: ["tempfail@example.com"])
                }
                #expect(error?.responseCode == 451)
                #expect(error?.isPermanent == false)
                // The handle recovers: the next message on the same sender goes through.
                try await sender.send(TestMessage.make(2), from: "help@pishkhan.test", to: ["alice@example.com"])
                #expect(try await sink.waitForMessages(1).first?.data == TestMessage.make(2))
            }
        }

        /// The usual submission setup: STARTTLS on the plain port, then AUTH, with the server's certificate
        /// checked against its CA. A wrong password is a permanent failure (no retry loop against 535).
        @Test func startTLSAndAuthenticationAgainstARealServer() async throws {
            try await SMTPSink.with(tls: true, auth: ("support@pishkhan.test", "s3cret-پسورد")) { sink in
                var settings = MailServerSettings(host: "127.0.0.1", port: sink.port, security: .startTLS,
                                                  username: "support@pishkhan.test", password: "s3cret-پسورد")
                settings.caBundlePath = sink.certificatePath
                try await SMTPSender(settings: settings).send(TestMessage.make(1), from: "help@pishkhan.test", to: ["alice@example.com"])
                #expect(try await sink.waitForMessages(1).first?.data == TestMessage.make(1))

                settings.password = "wrong"
                let refused = await #expect(throws: CurlError.self) {
                    try await SMTPSender(settings: settings).send(TestMessage.make(2), from: "help@pishkhan.test", to: ["alice@example.com"])
                }
                #expect(refused?.isPermanent == true, "\(String(describing: refused))")

                // An unknown certificate is refused before any password is sent.
                settings.password = "s3cret-پسورد"
                settings.caBundlePath = nil
                await #expect(throws: CurlError.self) {
                    try await SMTPSender(settings: settings).send(TestMessage.make(3), from: "help@pishkhan.test", to: ["alice@example.com"])
                }
                #expect(try sink.messages().count == 1)
            }
        }

        @Test func requiredStartTLSRefusesASinkWithoutTLS() async throws {
            try await SMTPSink.with { sink in
                var settings = Self.settings(port: sink.port)
                settings.security = .startTLS
                let error = await #expect(throws: CurlError.self) {
                    try await SMTPSender(settings: settings).send(TestMessage.make(1), from: "help@pishkhan.test", to: ["alice@example.com"])
                }
                #expect(error?.isTLSUnavailable == true, "\(String(describing: error))")
                let stored = try sink.messages()
                #expect(stored.isEmpty)
            }
        }

        @Test func noRecipientsIsRefusedBeforeConnecting() async throws {
            let sender = try SMTPSender(settings: Self.settings(port: 9))
            let error = await #expect(throws: CurlError.self) {
                try await sender.send(TestMessage.make(1), from: "help@pishkhan.test", to: [])
            }
            #expect(error?.isPermanent == true)
        }
    }
}
