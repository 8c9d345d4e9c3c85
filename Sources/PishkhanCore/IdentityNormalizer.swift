import Foundation

/// Normalizes sender addresses before lookup, so one person is one identity however they typed it.
public struct IdentityNormalizer: Sendable {
    /// Country calling code used for national phone numbers written without one (`0912…`).
    public var defaultCountryCode: String

    public init(defaultCountryCode: String = "98") {
        self.defaultCountryCode = defaultCountryCode
    }

    public func normalize(kind: IdentityKind, _ raw: String) throws -> String {
        switch kind {
        case .email: try Self.email(raw)
        case .phone: try phone(raw)
        case .chat, .telegram, .external:
            try Self.opaque(raw, field: kind.rawValue)
        }
    }

    /// Trimmed and lower-cased; must look like `local@domain`.
    public static func email(_ raw: String) throws -> String {
        var s = raw.trimmed
        if s.hasPrefix("<") && s.hasSuffix(">") { s = String(s.dropFirst().dropLast()) }
        s = s.lowercased()
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
              !parts[1].hasSuffix("."), !s.contains(where: { $0.isWhitespace }), s.utf8.count <= 254
        else {
            throw ValidationError(field: "sender.address", reason: "is not an email address: \(raw)")
        }
        return s
    }

    /// E.164: `+` and 8–15 digits. Persian and Arabic-Indic digits become ASCII, separators go,
    /// `00` becomes `+`, and a national number with a trunk `0` (Iranian `09xx`) gets the default code.
    public func phone(_ raw: String) throws -> String {
        let folded = TextFolding.asciiDigits(raw.trimmed)
        var digits = ""
        var plus = false
        for (i, ch) in folded.enumerated() {
            if ch.isASCII, ch.isNumber {
                digits.append(ch)
            } else if ch == "+" && i == 0 {
                plus = true
            } else if " -.()\u{00A0}\u{200C}\u{200E}\u{200F}".contains(ch) {
                continue
            } else {
                throw ValidationError(field: "sender.address", reason: "is not a phone number: \(raw)")
            }
        }
        if !plus {
            if digits.hasPrefix("00") {
                digits.removeFirst(2)
            } else if digits.hasPrefix("0") {
                digits = defaultCountryCode + digits.dropFirst()
            } else if digits.count == 10 && defaultCountryCode == "98" && digits.hasPrefix("9") {
                // Iranian mobile numbers are often written without the trunk zero: 912 345 6789.
                digits = defaultCountryCode + digits
            }
        }
        guard (8...15).contains(digits.count), !digits.hasPrefix("0") else {
            throw ValidationError(field: "sender.address", reason: "is not a phone number: \(raw)")
        }
        return "+" + digits
    }

    static func opaque(_ raw: String, field: String) throws -> String {
        let s = raw.trimmed
        guard !s.isEmpty, s.utf8.count <= 256 else {
            throw ValidationError(field: "sender.address", reason: "must be 1–256 bytes for \(field) identities")
        }
        return s
    }

    /// Best guess of the identity kind a search term is, for customer lookup.
    public func guessKind(_ term: String) -> IdentityKind? {
        if term.contains("@") { return .email }
        if (try? phone(term)) != nil { return .phone }
        return nil
    }
}
