/// Base64 (RFC 2045 §6.8) codec. Decoding is tolerant: whitespace and garbage bytes are skipped,
/// missing padding is accepted, and padding in the middle flushes the quantum and continues
/// (concatenated base64 blocks from broken mailers).
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 0...63 for alphabet bytes, 0x40 for '=', 0xFF for anything else (skipped as garbage).
    private static let decodeTable: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        t[Int(ASCII.equals)] = 0x40
        return t
    }()

    /// Decodes base64 text; never fails.
    public static func decode(_ input: ArraySlice<UInt8>) -> [UInt8] {
        input.withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Decodes base64 text; never fails.
    public static func decode(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Decodes base64 from a buffer; never fails.
    public static func decode(buffer input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let capacity = input.count / 4 * 3 + 3
        return decodeTable.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
                var o = 0
                var i = 0
                let n = input.count
                var acc: UInt32 = 0
                var bits = 0  // number of sextets in acc
                while i < n {
                    // Fast path: four valid sextets in a row (the common case inside a line).
                    if bits == 0 && i + 4 <= n {
                        let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                        let c = table[Int(input[i + 2])], d = table[Int(input[i + 3])]
                        if (a | b | c | d) < 64 {
                            let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                            out[o] = UInt8(truncatingIfNeeded: v >> 16)
                            out[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                            out[o + 2] = UInt8(truncatingIfNeeded: v)
                            o += 3
                            i += 4
                            continue
                        }
                    }
                    let v = table[Int(input[i])]
                    i += 1
                    if v < 64 {
                        acc = acc << 6 | UInt32(v)
                        bits += 1
                        if bits == 4 {
                            out[o] = UInt8(truncatingIfNeeded: acc >> 16)
                            out[o + 1] = UInt8(truncatingIfNeeded: acc >> 8)
                            out[o + 2] = UInt8(truncatingIfNeeded: acc)
                            o += 3
                            bits = 0
                            acc = 0
                        }
                    } else if v == 0x40 {
                        // Padding: flush the partial quantum, then keep going.
                        flush(&acc, &bits, out, &o)
                    }
                    // else: whitespace or garbage, skipped
                }
                flush(&acc, &bits, out, &o)
                count = o
            }
        }
    }

    @inline(__always)
    private static func flush(_ acc: inout UInt32, _ bits: inout Int, _ out: UnsafeMutableBufferPointer<UInt8>, _ o: inout Int) {
        switch bits {
        case 2:
            out[o] = UInt8(truncatingIfNeeded: acc >> 4); o += 1
        case 3:
            out[o] = UInt8(truncatingIfNeeded: acc >> 10); out[o + 1] = UInt8(truncatingIfNeeded: acc >> 2); o += 2
        default:
            break  // 0 sextets: nothing; 1 sextet cannot form a byte
        }
        acc = 0
        bits = 0
    }

    /// Encodes bytes as base64; with `lineLength` > 0 inserts CRLF every `lineLength` characters (RFC 2045: 76).
    public static func encode<C: Collection<UInt8>>(_ input: C, lineLength: Int = 0) -> [UInt8] {
        let bytes = Array(input)
        let a = alphabet
        var out = [UInt8]()
        let encodedCount = (bytes.count + 2) / 3 * 4
        out.reserveCapacity(encodedCount + (lineLength > 0 ? encodedCount / lineLength * 2 + 2 : 0))
        var lineCount = 0
        var i = 0
        func emit(_ c: UInt8) {
            if lineLength > 0 && lineCount == lineLength {
                out.append(ASCII.cr); out.append(ASCII.lf); lineCount = 0
            }
            out.append(c); lineCount += 1
        }
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            emit(a[Int(v >> 18 & 63)]); emit(a[Int(v >> 12 & 63)]); emit(a[Int(v >> 6 & 63)]); emit(a[Int(v & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            emit(a[Int(v >> 18 & 63)]); emit(a[Int(v >> 12 & 63)]); emit(ASCII.equals); emit(ASCII.equals)
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            emit(a[Int(v >> 18 & 63)]); emit(a[Int(v >> 12 & 63)]); emit(a[Int(v >> 6 & 63)]); emit(ASCII.equals)
        }
        return out
    }
}
