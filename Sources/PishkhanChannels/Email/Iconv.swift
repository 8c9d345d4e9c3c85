#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrapper over glibc `iconv` converting a byte buffer to or from UTF-8.
/// A descriptor is opened and closed per call: `iconv_t` carries conversion state and is not
/// thread safe, and glibc caches the loaded gconv modules so the open costs about a microsecond.
enum Iconv {
    /// Result of a conversion attempt.
    enum Outcome {
        case converted([UInt8])
        case unsupported
    }

    /// UTF-8 replacement character U+FFFD.
    static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Converts `input` from `charset` to UTF-8. Invalid sequences (EILSEQ) become U+FFFD and one
    /// byte is skipped; a truncated trailing sequence (EINVAL) becomes one U+FFFD.
    static func toUTF8(_ input: UnsafeBufferPointer<UInt8>, from charset: String) -> Outcome {
        convert(input, from: charset, to: "UTF-8", invalidReplacement: replacement)
    }

    /// Converts UTF-8 `input` to `charset`; unmappable characters become `?`. Nil if unsupported.
    static func fromUTF8(_ input: UnsafeBufferPointer<UInt8>, to charset: String) -> [UInt8]? {
        if case .converted(let out) = convert(input, from: "UTF-8", to: charset, invalidReplacement: [0x3F], skipScalar: true) {
            return out
        }
        return nil
    }

    private static func convert(_ input: UnsafeBufferPointer<UInt8>, from: String, to: String,
                                invalidReplacement: [UInt8], skipScalar: Bool = false) -> Outcome {
        let cd = iconv_open(to, from)
        if Int(bitPattern: cd) == -1 { return .unsupported }
        defer { iconv_close(cd) }
        guard let inBase = input.baseAddress, input.count > 0 else { return .converted([]) }

        var output = [UInt8]()
        output.reserveCapacity(input.count * 2 + 16)
        let chunkSize = max(256, input.count * 2 + 16)
        var chunk = [UInt8](repeating: 0, count: chunkSize)

        var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(mutating: inBase).assumingMemoryBound(to: CChar.self)
        var inLeft = input.count

        chunk.withUnsafeMutableBufferPointer { cb in
            let outBase = UnsafeMutableRawPointer(cb.baseAddress!).assumingMemoryBound(to: CChar.self)
            while true {
                var outPtr: UnsafeMutablePointer<CChar>? = outBase
                var outLeft = chunkSize
                let rc = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                let produced = chunkSize - outLeft
                if produced > 0 { output.append(contentsOf: UnsafeRawBufferPointer(start: outBase, count: produced)) }
                if rc != -1 {
                    break  // all input consumed
                }
                let err = errno
                if err == E2BIG { continue }
                if err == EILSEQ || err == EINVAL {
                    output.append(contentsOf: invalidReplacement)
                    guard let p = inPtr else { break }
                    var skip = 1
                    if skipScalar {
                        // Input is UTF-8: skip the whole scalar so one unmappable character yields one '?'.
                        let lead = UnsafeRawPointer(p).load(as: UInt8.self)
                        skip = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
                        skip = min(skip, inLeft)
                    }
                    if err == EINVAL { inLeft = 0; break }  // truncated sequence at end of input
                    inPtr = p + skip
                    inLeft -= skip
                    if inLeft <= 0 { break }
                    continue
                }
                break  // unexpected error: stop with what we have
            }
            // Flush any shift state (stateful encodings such as ISO-2022-JP).
            var outPtr: UnsafeMutablePointer<CChar>? = outBase
            var outLeft = chunkSize
            _ = iconv(cd, nil, nil, &outPtr, &outLeft)
            let produced = chunkSize - outLeft
            if produced > 0 { output.append(contentsOf: UnsafeRawBufferPointer(start: outBase, count: produced)) }
        }
        return .converted(output)
    }
}
