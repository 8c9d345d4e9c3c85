/// Parses raw message bytes into a `MIMEEntity` tree, best effort and on bytes: CRLF or bare LF,
/// folded headers, nested multiparts (boundaries located with memchr), message/rfc822 recursion,
/// bounded by `MIMELimits`.
public struct MIMEParser: Sendable {
    public var limits: MIMELimits

    public init(limits: MIMELimits = .default) {
        self.limits = limits
    }

    /// Mutable bookkeeping shared across one parse.
    private struct State {
        var partCount = 0
    }

    /// Result of reading a header block.
    struct HeaderBlock {
        var headers: MIMEHeaders
        /// Index where the body starts.
        var bodyStart: Int
        /// False when the first line was not a header field at all.
        var foundHeaders: Bool
    }

    /// Parses a whole message.
    public func parse(_ bytes: [UInt8]) -> MIMEEntity {
        var state = State()
        return parseEntity(bytes, bytes.startIndex..<bytes.endIndex, defaultType: .textPlain, depth: 0, state: &state)
    }

    /// Reads only the header block of a message (cheap; used to reject input without headers).
    public func parseHeaders(_ bytes: [UInt8]) -> (headers: MIMEHeaders, bodyStart: Int) {
        let block = readHeaders(bytes, bytes.startIndex..<bytes.endIndex, skipMboxLine: true)
        return (block.headers, block.bodyStart)
    }

    private func parseEntity(_ bytes: [UInt8], _ range: Range<Int>, defaultType: ContentType, depth: Int, state: inout State) -> MIMEEntity {
        state.partCount += 1
        let block = readHeaders(bytes, range, skipMboxLine: depth == 0)
        let headers = block.headers
        let bodyRange = block.bodyStart..<range.upperBound

        var contentType = defaultType
        var isDefault = true
        if let field = headers["content-type"], let parsed = ContentType(headerValue: field.rawValue[...]) {
            contentType = parsed
            isDefault = false
        }
        let cte = headers["content-transfer-encoding"].map { ContentTransferEncoding(headerValue: $0.rawValue[...]) } ?? .sevenBit
        let disposition = headers["content-disposition"].map { ContentDisposition(headerValue: $0.rawValue[...]) }

        var entity = MIMEEntity(headers: headers, contentType: contentType, contentTypeIsDefault: isDefault,
                                transferEncoding: cte, disposition: disposition, body: .leaf(bytes[bodyRange]))
        guard depth < limits.maxDepth else { return entity }

        if contentType.isMultipart {
            entity.body = .multipart(parseParts(bytes, bodyRange, contentType: contentType, depth: depth, state: &state))
        } else if contentType.isEncapsulatedMessage {
            // RFC 2046 §5.2.1: message/rfc822 is 7bit/8bit/binary, but base64/QP-wrapped ones exist.
            let raw: [UInt8]
            let innerRange: Range<Int>
            if cte.isIdentity {
                raw = bytes
                innerRange = bodyRange
            } else {
                raw = cte.decode(bytes[bodyRange])
                innerRange = raw.startIndex..<raw.endIndex
            }
            let inner = parseEntity(raw, innerRange, defaultType: .textPlain, depth: depth + 1, state: &state)
            entity.body = .message(inner, raw: raw[innerRange])
        }
        return entity
    }

    /// Splits a multipart body at its boundary and parses each part (RFC 2046 §5.1.1).
    private func parseParts(_ bytes: [UInt8], _ body: Range<Int>, contentType: ContentType, depth: Int, state: inout State) -> [MIMEEntity] {
        let childDefault: ContentType = contentType.subtype == "digest" ? .messageRFC822 : .textPlain
        guard let boundary = contentType.boundary, !boundary.isEmpty else {
            // No boundary: keep the body readable as one text part.
            return [fallbackPart(bytes, body, state: &state)]
        }
        let ranges = MIMEParser.partRanges(bytes, body, boundary: Array(boundary.utf8), maxParts: max(0, limits.maxParts - state.partCount))
        if ranges.isEmpty && !MIMEParser.hasDelimiter(bytes, body, boundary: Array(boundary.utf8)) {
            return [fallbackPart(bytes, body, state: &state)]
        }
        var parts: [MIMEEntity] = []
        parts.reserveCapacity(ranges.count)
        for r in ranges {
            if state.partCount >= limits.maxParts { break }
            parts.append(parseEntity(bytes, r, defaultType: childDefault, depth: depth + 1, state: &state))
        }
        return parts
    }

    private func fallbackPart(_ bytes: [UInt8], _ body: Range<Int>, state: inout State) -> MIMEEntity {
        state.partCount += 1
        return MIMEEntity(headers: MIMEHeaders(), contentType: .textPlain, contentTypeIsDefault: true, body: .leaf(bytes[body]))
    }

    private static func hasDelimiter(_ bytes: [UInt8], _ body: Range<Int>, boundary: [UInt8]) -> Bool {
        firstDelimiter(bytes, from: body.lowerBound, body: body, needle: [ASCII.lf, ASCII.hyphen, ASCII.hyphen] + boundary) != nil
    }

    /// Finds the next valid delimiter line at or after `from`: `--boundary` at a line start, optionally `--`,
    /// then only transport padding (RFC 2046 §5.1.1). `needle` is LF + "--" + boundary.
    /// Returns the start of the delimiter line, whether it closes the multipart, and where the next line starts.
    private static func firstDelimiter(_ bytes: [UInt8], from: Int, body: Range<Int>, needle: [UInt8])
        -> (start: Int, isClose: Bool, next: Int)? {
        let end = body.upperBound
        let delimiterLength = needle.count - 1
        var pos = from
        while pos < end {
            let candidate: Int
            if pos == body.lowerBound && end - pos >= delimiterLength && bytes[pos..<(pos + delimiterLength)].elementsEqual(needle[1...]) {
                candidate = pos
            } else {
                guard let hit = ByteSearch.firstIndex(of: needle, in: bytes, from: max(pos - 1, body.lowerBound), to: end) else { return nil }
                candidate = hit + 1
            }
            var i = candidate + delimiterLength
            var isClose = false
            if i + 1 < end, bytes[i] == ASCII.hyphen, bytes[i + 1] == ASCII.hyphen {
                isClose = true
                i += 2
            }
            while i < end, ASCII.isWSP(bytes[i]) { i += 1 }
            if i >= end { return (candidate, isClose, end) }
            if bytes[i] == ASCII.lf { return (candidate, isClose, i + 1) }
            if bytes[i] == ASCII.cr {
                return (candidate, isClose, (i + 1 < end && bytes[i + 1] == ASCII.lf) ? i + 2 : i + 1)
            }
            // Not a delimiter (the boundary is a prefix of a longer line): keep looking.
            pos = candidate + 1
        }
        return nil
    }

    /// Byte ranges of the parts of a multipart body; preamble and epilogue excluded, a missing close delimiter tolerated.
    static func partRanges(_ bytes: [UInt8], _ body: Range<Int>, boundary: [UInt8], maxParts: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        let needle = [ASCII.lf, ASCII.hyphen, ASCII.hyphen] + boundary
        guard let first = firstDelimiter(bytes, from: body.lowerBound, body: body, needle: needle) else {
            return []
        }
        if first.isClose { return [] }
        var partStart = first.next
        while ranges.count < maxParts {
            guard let d = firstDelimiter(bytes, from: partStart, body: body, needle: needle) else {
                // Missing close delimiter: the last part runs to the end.
                if partStart < body.upperBound || ranges.isEmpty { ranges.append(partStart..<body.upperBound) }
                break
            }
            // The line break before the delimiter belongs to the delimiter.
            var contentEnd = d.start
            if contentEnd > partStart && bytes[contentEnd - 1] == ASCII.lf { contentEnd -= 1 }
            if contentEnd > partStart && bytes[contentEnd - 1] == ASCII.cr { contentEnd -= 1 }
            ranges.append(partStart..<max(partStart, contentEnd))
            if d.isClose { break }
            partStart = d.next
        }
        return ranges
    }

    /// Reads header fields up to the blank line (RFC 5322 §2.2/§3.5), unfolding continuations. Accepts CRLF and LF.
    func readHeaders(_ bytes: [UInt8], _ range: Range<Int>, skipMboxLine: Bool) -> HeaderBlock {
        var headers = MIMEHeaders()
        var pos = range.lowerBound
        let end = range.upperBound
        var currentName: ArraySlice<UInt8>?
        var currentValue: [UInt8] = []
        var foundHeaders = false
        var skipped = 0

        func finish() {
            if let name = currentName {
                if headers.count < limits.maxHeaderFields {
                    let trimmed = ASCII.trimmed(currentValue[...])
                    headers.append(MIMEHeader(name: String(decoding: name, as: UTF8.self), rawValue: Array(trimmed)))
                } else {
                    skipped += 1
                }
            }
            currentName = nil
            currentValue.removeAll(keepingCapacity: true)
        }

        // An mbox "From " separator line before the headers is skipped.
        if skipMboxLine && end - pos >= 5 && bytes[pos..<pos + 5].elementsEqual("From ".utf8) {
            pos = ByteSearch.lineEnd(in: bytes, from: pos, to: end).next
        }

        var bodyStart = end
        while pos < end {
            let (lineEnd, next) = ByteSearch.lineEnd(in: bytes, from: pos, to: end)
            if lineEnd == pos || (lineEnd == pos + 1 && bytes[pos] == ASCII.cr) {
                bodyStart = next
                finish()
                return HeaderBlock(headers: headers, bodyStart: bodyStart, foundHeaders: foundHeaders)
            }
            let first = bytes[pos]
            if ASCII.isWSP(first) {
                if currentName != nil {
                    // Continuation line: unfolding removes only the line break.
                    currentValue.append(contentsOf: bytes[pos..<lineEnd])
                    pos = next
                    continue
                }
                if bytes[pos..<lineEnd].allSatisfy({ ASCII.isWhitespace($0) }) {
                    // Whitespace-only line before any field: treat as the separator.
                    finish()
                    return HeaderBlock(headers: headers, bodyStart: next, foundHeaders: foundHeaders)
                }
                bodyStart = pos
                break
            }
            // Field name: printable ASCII up to ':' (RFC 5322 §3.6.8), obsolete WSP before ':' allowed.
            var colon = -1
            var i = pos
            while i < lineEnd {
                let b = bytes[i]
                if b == ASCII.colon { colon = i; break }
                if b < 0x21 || b > 0x7E {
                    if ASCII.isWSP(b) { i += 1; continue }
                    break
                }
                i += 1
            }
            var nameEnd = colon
            while nameEnd > pos, ASCII.isWSP(bytes[nameEnd - 1]) { nameEnd -= 1 }
            let validName = colon > pos && nameEnd > pos && !bytes[pos..<nameEnd].contains(where: { ASCII.isWSP($0) })
            if !validName {
                // Not a header line: the body starts here (missing blank line).
                bodyStart = pos
                break
            }
            finish()
            foundHeaders = true
            currentName = bytes[pos..<nameEnd]
            currentValue.append(contentsOf: bytes[(colon + 1)..<lineEnd])
            pos = next
        }
        if pos >= end { bodyStart = end }
        finish()
        return HeaderBlock(headers: headers, bodyStart: bodyStart, foundHeaders: foundHeaders)
    }
}
