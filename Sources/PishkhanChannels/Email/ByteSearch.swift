#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fast byte searches (libc `memchr`/`memmem`) over array slices; the hot paths of the MIME parser.
enum ByteSearch {
    /// Index of the first `byte` in `bytes[from..<to]`, or nil.
    @inline(__always)
    static func firstIndex(of byte: UInt8, in bytes: [UInt8], from: Int, to: Int) -> Int? {
        guard from < to else { return nil }
        return bytes.withUnsafeBufferPointer { buf -> Int? in
            guard let base = buf.baseAddress else { return nil }
            guard let hit = memchr(base + from, Int32(byte), to - from) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Index of the first occurrence of `needle` in `bytes[from..<to]`, or nil
    /// (`memchr` on the first needle byte, then `memcmp`; glibc's `memmem` is not exported to Swift).
    static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from: Int, to: Int) -> Int? {
        guard let first = needle.first, from < to, to - from >= needle.count else { return nil }
        return bytes.withUnsafeBufferPointer { buf -> Int? in
            guard let base = buf.baseAddress else { return nil }
            return needle.withUnsafeBufferPointer { nb -> Int? in
                let lastStart = to - nb.count
                var pos = from
                while pos <= lastStart {
                    guard let hit = memchr(base + pos, Int32(first), lastStart - pos + 1) else { return nil }
                    let idx = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + idx, nb.baseAddress!, nb.count) == 0 { return idx }
                    pos = idx + 1
                }
                return nil
            }
        }
    }

    /// End index of the line starting at `from` (index of LF, or `to`), and the index where the next line starts.
    @inline(__always)
    static func lineEnd(in bytes: [UInt8], from: Int, to: Int) -> (contentEnd: Int, next: Int) {
        if let lf = firstIndex(of: ASCII.lf, in: bytes, from: from, to: to) {
            let end = (lf > from && bytes[lf - 1] == ASCII.cr) ? lf - 1 : lf
            return (end, lf + 1)
        }
        return (to, to)
    }
}
