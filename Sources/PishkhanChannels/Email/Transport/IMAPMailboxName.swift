/// Mailbox names on the wire in IMAP's modified UTF-7 (RFC 3501 §5.1.3): printable ASCII stands for itself
/// (`&` as `&-`), anything else is UTF-16 in base64 with `,` for `/`, between `&` and `-`. A Persian folder
/// such as `پیگیری شده` must be sent this way; servers refuse raw UTF-8 names unless UTF8=ACCEPT is on.
public enum IMAPMailboxName {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    public static func encode(_ name: String) -> String {
        var out = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
            out.append("&")
            var i = 0
            while i < bytes.count {
                let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
                let chars = [b0 >> 2, (b0 & 0x03) << 4 | b1 >> 4, (b1 & 0x0F) << 2 | b2 >> 6, b2 & 0x3F]
                let count = min(4, (bytes.count - i) * 8 / 6 + ((bytes.count - i) * 8 % 6 == 0 ? 0 : 1))
                for c in chars.prefix(count) { out.unicodeScalars.append(Unicode.Scalar(alphabet[Int(c)])) }
                i += 3
            }
            out.append("-")
            pending.removeAll()
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending += Array(String(scalar).utf16)
            }
        }
        flush()
        return out
    }

    /// The name a server listed; nil when it is not valid modified UTF-7.
    public static func decode(_ wire: String) -> String? {
        var out = ""
        var rest = Substring(wire)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            rest = rest[rest.index(after: amp)...]
            guard let dash = rest.firstIndex(of: "-") else { return nil }
            let encoded = rest[..<dash]
            rest = rest[rest.index(after: dash)...]
            if encoded.isEmpty { out += "&"; continue }
            var bits = 0, value = 0
            var bytes: [UInt8] = []
            for byte in encoded.utf8 {
                guard let index = alphabet.firstIndex(of: byte) else { return nil }
                value = value << 6 | index
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    bytes.append(UInt8((value >> bits) & 0xFF))
                }
            }
            guard bytes.count % 2 == 0 else { return nil }
            let units = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
            guard let text = String(validating: units, as: UTF16.self) else { return nil }
            out += text
        }
        return out + rest
    }
}
