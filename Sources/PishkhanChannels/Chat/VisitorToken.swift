import Crypto
import Foundation

/// The web-chat visitor's credential: `v1.<visitor id>.<base64url HMAC-SHA256(secret, visitor id)>`. The
/// visitor id is the customer identity (kind `chat`) their messages are filed under, so whoever holds
/// the token reads and writes that conversation and nobody else's; without the server's secret no token
/// can be made for another id.
public struct VisitorTokenSigner: Sendable {
    private let secret: Data

    /// `secret` is at least 32 bytes of randomness (`PISHKHAN_CHAT_SECRET`, or the one kept in the database).
    public init(secret: Data) {
        self.secret = secret
    }

    /// A new visitor id: 128 random bits, hex.
    public static func newVisitorID() -> String {
        var rng = SystemRandomNumberGenerator()
        return "v-" + (0..<2).map { _ in String(rng.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
    }

    public func token(for visitorID: String) -> String {
        "v1.\(visitorID).\(signature(visitorID))"
    }

    private func signature(_ visitorID: String) -> String {
        Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(visitorID.utf8), using: SymmetricKey(data: secret))))
    }

    /// The visitor id the token was made for; nil when it is malformed or was not signed with this secret.
    public func visitorID(from presented: String) -> String? {
        let parts = presented.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", !parts[1].isEmpty, parts[1].utf8.count <= 64,
              parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return nil }
        let id = String(parts[1])
        // The expected signature is recomputed and compared in constant time (no early exit on a mismatch).
        guard constantTimeEquals(Array(parts[2].utf8), Array(signature(id).utf8)) else { return nil }
        return id
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// A fresh secret for a server that has none configured: 32 random bytes, base64.
    public static func newSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }).base64EncodedString()
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
