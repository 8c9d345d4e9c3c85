/// How an SMS text is encoded on the air interface, and so how many characters fit in one message.
public enum SMSEncoding: String, Codable, Sendable, CaseIterable {
    /// The GSM 03.38 default alphabet, 7 bits a character: 160 per message, 153 per part of a long one.
    case gsm7
    /// UTF-16 (UCS-2 on older networks), 16 bits a code unit: 70 per message, 67 per part. Any character
    /// outside the GSM alphabet, every Persian letter among them, switches the whole message to it.
    case ucs2
}

/// Counts the parts a text is sent as, the way the networks (and the providers' bills) count them.
public enum SMSSegments {
    /// GSM 03.38 basic character set: one septet each.
    static let basic: Set<Unicode.Scalar> = Set((
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    ).unicodeScalars)
    /// GSM 03.38 extension table: an escape septet plus one, so two septets each.
    static let extended: Set<Unicode.Scalar> = Set("^{}\\[~]|€\u{0C}".unicodeScalars)

    /// The encoding a text needs and how many messages it takes; an empty text is one message.
    public static func count(_ text: String) -> (encoding: SMSEncoding, segments: Int) {
        var septets: [Int] = []
        septets.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if basic.contains(scalar) {
                septets.append(1)
            } else if extended.contains(scalar) {
                septets.append(2)
            } else {
                // One UTF-16 code unit per BMP scalar, a surrogate pair (two) above it.
                let units = text.unicodeScalars.map { $0.utf16.count }
                return (.ucs2, parts(units, single: 70, perPart: 67))
            }
        }
        return (.gsm7, parts(septets, single: 160, perPart: 153))
    }

    /// Messages needed for characters of these widths: everything in one if it fits, otherwise parts of
    /// `perPart` (the rest of each part is the concatenation header) filled greedily, never splitting a
    /// character (an escape sequence or a surrogate pair) across two parts.
    static func parts(_ widths: [Int], single: Int, perPart: Int) -> Int {
        let total = widths.reduce(0, +)
        if total <= single { return 1 }
        var count = 1
        var used = 0
        for w in widths {
            if used + w > perPart {
                count += 1
                used = 0
            }
            used += w
        }
        return count
    }
}
