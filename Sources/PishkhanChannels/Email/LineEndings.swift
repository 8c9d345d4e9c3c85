/// Line-ending normalization. Swift treats "\r\n" as one Character, so text handed to callers uses LF only.
enum LineEndings {
    /// Replaces CRLF and lone CR with LF (on UTF-8 bytes; cheap when there is no CR).
    static func normalize(_ text: String) -> String {
        var hasCR = false
        for b in text.utf8 where b == ASCII.cr { hasCR = true; break }
        if !hasCR { return text }
        let utf8 = text.utf8
        return String(unsafeUninitializedCapacity: utf8.count) { out in
            var o = 0
            var previousCR = false
            for b in utf8 {
                if b == ASCII.cr {
                    out[o] = ASCII.lf; o += 1; previousCR = true
                } else {
                    if !(b == ASCII.lf && previousCR) { out[o] = b; o += 1 }
                    previousCR = false
                }
            }
            return o
        }
    }
}
