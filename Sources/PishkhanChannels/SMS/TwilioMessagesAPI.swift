import Foundation

/// The request and answers of Twilio's Messages API
/// (`POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, HTTP basic auth).
public enum TwilioMessagesAPI {
    /// The form body that sends `text` to `to`, asking for delivery reports at `statusCallback`.
    public static func form(from: String, to: String, text: String, statusCallback: String) -> FormParameters {
        FormParameters([("From", from), ("To", to), ("Body", text), ("StatusCallback", statusCallback)])
    }

    /// `Basic base64(sid:token)`.
    public static func authorization(_ credentials: SMSCredentials) -> String {
        "Basic " + Data("\(credentials.accountSID):\(credentials.authToken)".utf8).base64EncodedString()
    }

    /// A created message: the provider's id and its status.
    public struct Created: Decodable, Sendable, Equatable {
        public var sid: String
        public var status: String?
    }

    /// A refusal: Twilio's error code, message and documentation link.
    public struct Refusal: Decodable, Sendable, Equatable {
        public var code: Int?
        public var message: String?
        public var moreInfo: String?

        enum CodingKeys: String, CodingKey {
            case code, message
            case moreInfo = "more_info"
        }
    }

    public static func created(_ body: Data) -> Created? {
        try? JSONDecoder().decode(Created.self, from: body)
    }

    /// The provider's reason for a refusal with HTTP `status`, readable for an agent.
    public static func reason(status: Int, body: Data) -> String {
        if let r = try? JSONDecoder().decode(Refusal.self, from: body), r.code != nil || r.message != nil {
            return "HTTP \(status)" + (r.code.map { ", error \($0)" } ?? "") + (r.message.map { ": \($0)" } ?? "")
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return "HTTP \(status)" + (text.isEmpty ? "" : ": \(text)")
    }
}
