import PishkhanChannels
import PishkhanTestSupport
import Testing

extension ServerBackedTests {
    /// TLS options against a Dovecot with a self-signed certificate for 127.0.0.1.
    @Suite
    struct IMAPTLSTests {
        @Test(arguments: [TransportSecurity.startTLS, .implicitTLS])
        func tlsWorksWhenTheCertificateIsTrusted(security: TransportSecurity) async throws {
            try await DovecotServer.with(tls: true) { server in
                let client = try IMAPClient(settings: server.tlsSettings(security, verifyPeer: true, trustOwnCertificate: true))
                try await client.append(TestMessage.make(1))
                #expect(try await client.select().exists == 1)
                #expect(try await client.fetch(uid: 1) == TestMessage.make(1))
                #expect(server.log().contains("TLS"), "the login should be reported as secured by TLS")
            }
        }

        @Test func idleWorksOverTLS() async throws {
            try await DovecotServer.with(tls: true) { server in
                let client = try IMAPClient(settings: server.tlsSettings(.implicitTLS, verifyPeer: true, trustOwnCertificate: true))
                let idle = Task { try await client.idle(timeout: .seconds(15)) }
                try await Task.sleep(for: .seconds(1))
                let delivered = ContinuousClock.now
                try server.deliver(TestMessage.make(1))
                #expect(try await idle.value == .newMessages(exists: 1))
                #expect(ContinuousClock.now - delivered < .seconds(1))
                #expect(try await client.idle(timeout: .milliseconds(300)) == .timedOut)
            }
        }

        @Test func unknownCertificateIsRefusedByDefault() async throws {
            try await DovecotServer.with(tls: true) { server in
                let client = try IMAPClient(settings: server.tlsSettings(.implicitTLS, verifyPeer: true))
                let error = await #expect(throws: CurlError.self) { try await client.select() }
                #expect(error?.isCertificateFailure == true, "\(String(describing: error))")
            }
        }

        @Test func verificationCanBeSwitchedOffForTests() async throws {
            try await DovecotServer.with(tls: true) { server in
                let client = try IMAPClient(settings: server.tlsSettings(.startTLS, verifyPeer: false))
                #expect(try await client.select().exists == 0)
            }
        }

        @Test func requiredStartTLSRefusesAServerWithoutTLS() async throws {
            try await DovecotServer.with { server in
                var settings = server.settings
                settings.security = .startTLS
                let error = await #expect(throws: CurlError.self) { try await IMAPClient(settings: settings).select() }
                #expect(error?.isTLSUnavailable == true, "\(String(describing: error))")
                #expect(!server.log().contains("Login: user=<agent>"), "credentials must not be sent in the clear")
            }
        }
    }
}
