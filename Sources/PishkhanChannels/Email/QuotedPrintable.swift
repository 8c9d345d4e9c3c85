/// Quoted-printable (RFC 2045 §6.7) codec for bodies. Decoding is tolerant: lowercase hex is accepted,
/// broken escapes are kept literally, soft breaks with transport padding are honoured.
public enum QuotedPrintable {
    /// Decodes quoted-printable text; never fails. Line breaks are kept as they are in the input.
    public static func decode(_ input: ArraySlice<UInt8>) -> [UInt8] {
        input.withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Decodes quoted-printable text; never fails.
    public static func decode(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Decodes quoted-printable from a buffer; never fails.
    public static func decode(buffer input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: input.count) { out, count in
            var o = 0
            var i = 0
            let n = input.count
            while i < n {
                let b = input[i]
                if b != ASCII.equals {
                    out[o] = b; o += 1; i += 1
                    continue
                }
                // '=' escape or soft line break.
                if i + 2 < n, let h = ASCII.hexValue(input[i + 1]), let l = ASCII.hexValue(input[i + 2]) {
                    out[o] = h << 4 | l; o += 1; i += 3
                    continue
                }
                // Soft break: '=' followed by optional transport whitespace and a line end (or end of input).
                var j = i + 1
                while j < n, ASCII.isWSP(input[j]) { j += 1 }
                if j == n { i = n; continue }
                if input[j] == ASCII.lf { i = j + 1; continue }
                if input[j] == ASCII.cr {
                    i = (j + 1 < n && input[j + 1] == ASCII.lf) ? j + 2 : j + 1
                    continue
                }
                // Broken escape: keep the '=' literally.
                out[o] = ASCII.equals; o += 1; i += 1
            }
            count = o
        }
    }

    /// Encodes bytes as quoted-printable for a text body: every line break in the input (CRLF, LF or CR)
    /// becomes a CRLF hard break, '=' and trailing whitespace are escaped, lines are at most 76 characters
    /// and an `=XX` escape is never split by a soft break.
    public static func encode<C: Collection<UInt8>>(_ input: C) -> [UInt8] {
        let bytes = Array(input)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + bytes.count / 8 + 16)
        var lineLength = 0
        let maxLine = 76
        var i = 0
        let n = bytes.count

        func softBreakIfNeeded(_ width: Int) {
            // Keep one column for the soft-break '=' so an escape is never split.
            if lineLength + width > maxLine - 1 {
                out.append(ASCII.equals); out.append(ASCII.cr); out.append(ASCII.lf)
                lineLength = 0
            }
        }
        func append(_ b: UInt8) {
            softBreakIfNeeded(1)
            out.append(b)
            lineLength += 1
        }
        func escaped(_ b: UInt8) {
            softBreakIfNeeded(3)
            out.append(ASCII.equals); out.append(ASCII.hexDigit(b >> 4)); out.append(ASCII.hexDigit(b & 0x0F))
            lineLength += 3
        }

        while i < n {
            let b = bytes[i]
            if b == ASCII.cr || b == ASCII.lf {
                out.append(ASCII.cr); out.append(ASCII.lf)
                lineLength = 0
                i += (b == ASCII.cr && i + 1 < n && bytes[i + 1] == ASCII.lf) ? 2 : 1
                continue
            }
            if ASCII.isWSP(b) {
                // Whitespace at the end of a line (or of the text) would be stripped in transport.
                let atLineEnd = i + 1 == n || bytes[i + 1] == ASCII.cr || bytes[i + 1] == ASCII.lf
                if atLineEnd { escaped(b) } else { append(b) }
            } else if b >= 33 && b <= 126 && b != ASCII.equals {
                append(b)
            } else {
                escaped(b)
            }
            i += 1
        }
        return out
    }
}
