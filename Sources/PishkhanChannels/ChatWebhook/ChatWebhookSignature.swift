import Crypto
import Foundation
import PishkhanCore

/// The signature of a chat-webhook call, both ways (the partner's calls to us and our callbacks to the
/// partner): `X-Pishkhan-Timestamp` is the Unix time in seconds, and `X-Pishkhan-Signature` is
/// `sha256=` and the lower-case hex HMAC-SHA256, keyed with the channel's shared secret, of the timestamp,
/// a `.`, and the raw body bytes. Signing the timestamp with the body lets a receiver refuse replays older
/// than `window` without keeping a list of what it has seen.
public enum ChatWebhookSignature {
    public static let timestampHeader = "X-Pishkhan-Timestamp"
    public static let signatureHeader = "X-Pishkhan-Signature"
    /// How far a call's timestamp may be from the receiver's clock, either way.
    public static let window: TimeInterval = 300

    /// `sha256=<hex>` for this timestamp and body.
    public static func compute(timestamp: String, body: some Collection<UInt8>, secret: String) -> String {
        var signed = Array(timestamp.utf8)
        signed.append(UInt8(ascii: "."))
        signed.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + Hex.encode(mac)
    }

    /// The two headers of a call with this body, signed now.
    public static func headers(body: some Collection<UInt8>, secret: String, now: Date) -> [(name: String, value: String)] {
        let timestamp = String(Int64(now.timeIntervalSince1970.rounded(.down)))
        return [(timestampHeader, timestamp), (signatureHeader, compute(timestamp: timestamp, body: body, secret: secret))]
    }

    /// Why a call's signature is not accepted.
    public enum Failure: String, Error, Sendable, Equatable {
        case missingSignature = "missing_signature"
        case missingTimestamp = "missing_timestamp"
        case malformedTimestamp = "malformed_timestamp"
        /// Older than the window: a replay, or a clock far behind.
        case stale
        /// Ahead of the window: a clock far ahead (or a signature made to be replayed later).
        case future
        case badSignature = "bad_signature"
    }

    /// Checks a call: both headers present, the timestamp within `window` of `now`, and the signature the
    /// one for this timestamp and body, compared in constant time.
    public static func verify(signature: String?, timestamp: String?, body: some Collection<UInt8>, secret: String, now: Date,
                              window: TimeInterval = window) -> Result<Void, Failure> {
        guard let signature = signature?.trimmingCharacters(in: .whitespaces), !signature.isEmpty else { return .failure(.missingSignature) }
        guard let timestamp = timestamp?.trimmingCharacters(in: .whitespaces), !timestamp.isEmpty else { return .failure(.missingTimestamp) }
        guard timestamp.utf8.count <= 12, timestamp.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let seconds = Int64(timestamp) else {
            return .failure(.malformedTimestamp)
        }
        let age = now.timeIntervalSince1970 - Double(seconds)
        if age > window { return .failure(.stale) }
        if age < -window { return .failure(.future) }
        guard !secret.isEmpty,
              ConstantTime.equals(Array(signature.lowercased().utf8), Array(compute(timestamp: timestamp, body: body, secret: secret).utf8)) else {
            return .failure(.badSignature)
        }
        return .success(())
    }
}
