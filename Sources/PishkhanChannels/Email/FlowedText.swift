/// RFC 3676 format=flowed decoding: soft line breaks (a line ending in a space) are joined,
/// space-stuffing is removed, and `DelSp=yes` deletes the trailing space of flowed lines.
enum FlowedText {
    /// Unflows LF-separated text.
    static func unflow(_ text: String, delSp: Bool) -> String {
        var output: [Substring] = []
        var paragraph = ""
        var paragraphDepth = -1
        var inParagraph = false

        func flush() {
            if inParagraph { output.append(Substring(paragraph)) }
            paragraph = ""
            inParagraph = false
            paragraphDepth = -1
        }

        for rawLine in ReplyTrimmer.splitLines(text) {
            var line = rawLine
            // Quote depth (§4.5).
            var depth = 0
            while line.first == ">" { depth += 1; line = line.dropFirst() }
            // Space-stuffing (§4.4).
            if line.first == " " { line = line.dropFirst() }
            let prefix = String(repeating: ">", count: depth) + (depth > 0 ? " " : "")
            // The signature separator "-- " is never flowed (§4.3).
            let isSignature = line == "-- "
            let flowed = !isSignature && line.hasSuffix(" ")
            if inParagraph && depth != paragraphDepth { flush() }
            if !inParagraph {
                paragraph = prefix
                paragraphDepth = depth
                inParagraph = true
            }
            if flowed {
                paragraph += delSp ? line.dropLast() : line
            } else {
                paragraph += line
                flush()
            }
        }
        flush()
        return output.joined(separator: "\n")
    }
}
