import Crypto
import Foundation

/// Twilio's request signature (`X-Twilio-Signature`): HMAC-SHA1, keyed with the account's auth token,
/// over the full URL the provider called followed by every POST parameter's name and value, sorted by
/// name; base64. The URL must be the public one: behind a proxy the server cannot rebuild it from its
/// own request, so the channel's `publicBaseURL` supplies the origin.
public enum TwilioSignature {
    /// The signature of a request to `url` with these form parameters.
    public static func compute(url: String, parameters: [(name: String, value: String)], authToken: String) -> String {
        var data = Array(url.utf8)
        // Byte order of UTF-8 is code-point order, which is how the provider sorts; a repeated name
        // is ordered by its values.
        let sorted = parameters.sorted { a, b in
            a.name == b.name ? a.value.utf8.lexicographicallyPrecedes(b.value.utf8) : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        for p in sorted {
            data.append(contentsOf: p.name.utf8)
            data.append(contentsOf: p.value.utf8)
        }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: data, using: SymmetricKey(data: Array(authToken.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Whether `signature` is the one for this request; false for a missing or empty one.
    public static func isValid(_ signature: String?, url: String, parameters: [(name: String, value: String)], authToken: String) -> Bool {
        guard let signature, !signature.isEmpty, !authToken.isEmpty else { return false }
        return constantTimeEquals(Array(signature.utf8), Array(compute(url: url, parameters: parameters, authToken: authToken).utf8))
    }

    /// Compares in constant time (see `ConstantTime`).
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool { ConstantTime.equals(a, b) }
}
