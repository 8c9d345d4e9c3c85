import Foundation

/// `application/x-www-form-urlencoded` bodies (WHATWG URL §5): the format SMS providers post webhooks in
/// and take API calls in. Order and repeated names are kept.
public struct FormParameters: Sendable, Equatable {
    public var pairs: [(name: String, value: String)]

    public init(_ pairs: [(name: String, value: String)]) { self.pairs = pairs }

    public static func == (a: FormParameters, b: FormParameters) -> Bool {
        a.pairs.elementsEqual(b.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    /// The first value of `name`.
    public subscript(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// Decodes a body; nil when a name or value is not valid percent-encoded UTF-8.
    public static func decode(_ body: some Collection<UInt8>) -> FormParameters? {
        var pairs: [(name: String, value: String)] = []
        for field in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = field.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = unescape(parts[0]), let value = parts.count > 1 ? unescape(parts[1]) : "" else { return nil }
            pairs.append((name, value))
        }
        return FormParameters(pairs)
    }

    private static func unescape(_ bytes: some Collection<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while i != bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%") {
                let h = bytes.index(after: i)
                guard h != bytes.endIndex, bytes.index(after: h) != bytes.endIndex,
                      let hi = hex(bytes[h]), let lo = hex(bytes[bytes.index(after: h)]) else { return nil }
                out.append(hi << 4 | lo)
                i = bytes.index(after: h)
            } else {
                out.append(b)
            }
            i = bytes.index(after: i)
        }
        return String(bytes: out, encoding: .utf8)
    }

    /// The encoded body: every byte but the unreserved ones percent-encoded, spaces as `+`.
    public func encoded() -> String {
        pairs.map { "\(Self.escape($0.name))=\(Self.escape($0.value))" }.joined(separator: "&")
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "):
                out.append("+")
            default:
                out.append("%")
                out.append(String(b >> 4, radix: 16, uppercase: true))
                out.append(String(b & 0xF, radix: 16, uppercase: true))
            }
        }
        return out
    }
}
