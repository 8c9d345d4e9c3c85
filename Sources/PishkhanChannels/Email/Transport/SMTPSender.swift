import CCurl

/// Sends raw RFC 5322 messages over SMTP (RFC 5321) with an explicit envelope, reusing one connection.
///
/// Failures are `CurlError`s whose `responseCode` is the SMTP reply code, so `isPermanent` separates
/// 5xx rejections (bounce) from 4xx and connection trouble (retry later).
public final class SMTPSender: Sendable {
    public let settings: MailServerSettings
    /// Name sent in EHLO (RFC 5321 §4.1.1.1); libcurl takes it from the URL path.
    public let clientName: String
    private let easy: CurlEasy

    public init(settings: MailServerSettings, clientName: String = "localhost") throws {
        self.settings = settings
        self.clientName = clientName
        self.easy = try CurlEasy(settings: settings, mailProtocol: .smtp)
    }

    /// Sends `message` as-is (libcurl dot-stuffs it, RFC 5321 §4.5.2) from `sender` to every recipient.
    /// An empty `sender` sends the null reverse-path `<>` used for bounces.
    public func send(_ message: [UInt8], from sender: String, to recipients: [String]) async throws {
        guard !recipients.isEmpty else {
            throw CurlError(code: CURLE_BAD_FUNCTION_ARGUMENT, message: "SMTP needs at least one recipient")
        }
        _ = try await easy.perform(CurlRequest(
            path: "/" + URLPath.segment(clientName),
            upload: message,
            mailFrom: sender,
            mailRecipients: recipients
        ))
    }
}
