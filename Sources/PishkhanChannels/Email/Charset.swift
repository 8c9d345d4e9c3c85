/// A MIME charset label resolved to a decoder: UTF-8 and Windows-1252 are decoded in Swift,
/// everything else through glibc iconv. Decoding never fails: invalid bytes become U+FFFD.
public struct Charset: Sendable, Hashable, CustomStringConvertible {
    /// How bytes in this charset are turned into text.
    enum Kind: Sendable, Hashable {
        /// UTF-8 with U+FFFD for invalid sequences.
        case utf8
        /// US-ASCII label: UTF-8 if the bytes are valid UTF-8, else Windows-1252 (mislabelled 8-bit mail).
        case ascii
        /// Windows-1252, also used for ISO-8859-1 labels (WHATWG Encoding: latin1 is decoded as windows-1252).
        case windows1252
        /// Any other charset, by its glibc iconv name.
        case iconv(String)
        /// A label nobody knows: UTF-8 if valid, else Windows-1252.
        case unknown(String)
    }

    let kind: Kind

    /// Canonical name (iconv spelling for iconv charsets).
    public var name: String {
        switch kind {
        case .utf8: return "UTF-8"
        case .ascii: return "US-ASCII"
        case .windows1252: return "WINDOWS-1252"
        case .iconv(let n): return n
        case .unknown(let n): return n
        }
    }

    public var description: String { name }

    public static let utf8 = Charset(kind: .utf8)
    public static let windows1252 = Charset(kind: .windows1252)

    /// True if this is UTF-8 or US-ASCII (labels that say "no legacy charset").
    public var isUnicodeOrASCII: Bool {
        switch kind {
        case .utf8, .ascii: return true
        default: return false
        }
    }

    init(kind: Kind) { self.kind = kind }

    /// Resolves a charset label as found in MIME (`charset="CP1256"`, `=?ks_c_5601-1987?`, ...).
    /// Surrounding quotes and whitespace and case are ignored; an RFC 2231 language suffix (`utf-8*fa`) is dropped.
    public init(label: String) {
        self.kind = Charset.resolve(label)
    }

    /// Decodes bytes in this charset to a String; never fails.
    public func decode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Decodes a slice in this charset to a String; never fails.
    public func decode(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Decodes a buffer in this charset to a String; never fails.
    public func decode(buffer: UnsafeBufferPointer<UInt8>) -> String {
        if buffer.isEmpty { return "" }
        switch kind {
        case .utf8:
            return String(decoding: buffer, as: UTF8.self)
        case .ascii, .unknown:
            return Charset.decodeUTF8OrWindows1252(buffer)
        case .windows1252:
            return Charset.decodeWindows1252(buffer)
        case .iconv(let name):
            switch Iconv.toUTF8(buffer, from: name) {
            case .converted(let utf8): return String(decoding: utf8, as: UTF8.self)
            case .unsupported: return Charset.decodeUTF8OrWindows1252(buffer)
            }
        }
    }

    /// Encodes text in this charset (unmappable characters become `?`); nil if iconv cannot encode it.
    public func encode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        switch kind {
        case .utf8, .ascii, .unknown: return utf8
        default:
            let target = name
            return utf8.withUnsafeBufferPointer { Iconv.fromUTF8($0, to: target) }
        }
    }

    /// UTF-8 if valid, else Windows-1252: the fallback for unlabelled or mislabelled 8-bit text.
    static func decodeUTF8OrWindows1252(_ buffer: UnsafeBufferPointer<UInt8>) -> String {
        if let s = String(validating: buffer, as: UTF8.self) { return s }
        return decodeWindows1252(buffer)
    }

    /// True if the bytes are valid UTF-8 (ASCII included).
    static func isValidUTF8(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = buffer.count
        // Fast skip over ASCII.
        while i < n && buffer[i] < 0x80 { i += 1 }
        if i == n { return true }
        return String(validating: UnsafeBufferPointer(rebasing: buffer[i...]), as: UTF8.self) != nil
    }

    /// Windows-1252 code points for bytes 0x80...0x9F (undefined slots map to the C1 control, as WHATWG does).
    private static let windows1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    /// Decodes Windows-1252 directly to UTF-8 bytes (no iconv round trip).
    static func decodeWindows1252(_ buffer: UnsafeBufferPointer<UInt8>) -> String {
        let table = windows1252High
        return String(unsafeUninitializedCapacity: buffer.count * 3) { out in
            var o = 0
            for b in buffer {
                if b < 0x80 {
                    out[o] = b; o += 1
                } else {
                    let cp: UInt32 = (b < 0xA0) ? UInt32(table[Int(b) - 0x80]) : UInt32(b)
                    if cp < 0x800 {
                        out[o] = UInt8(0xC0 | (cp >> 6)); out[o + 1] = UInt8(0x80 | (cp & 0x3F)); o += 2
                    } else {
                        out[o] = UInt8(0xE0 | (cp >> 12)); out[o + 1] = UInt8(0x80 | ((cp >> 6) & 0x3F))
                        out[o + 2] = UInt8(0x80 | (cp & 0x3F)); o += 3
                    }
                }
            }
            return o
        }
    }

    /// Normalizes a label to the decoder to use. RFC 2978 names, IANA aliases and common mislabels.
    static func resolve(_ rawLabel: String) -> Kind {
        var label = Array(rawLabel.utf8).map { ASCII.lower($0) }
        // Strip quotes, whitespace and an RFC 2231 §5 language suffix ("utf-8*fa").
        while let f = label.first, f == ASCII.quote || f == ASCII.apostrophe || ASCII.isWhitespace(f) { label.removeFirst() }
        while let l = label.last, l == ASCII.quote || l == ASCII.apostrophe || ASCII.isWhitespace(l) { label.removeLast() }
        if let star = label.firstIndex(of: ASCII.asterisk) { label.removeSubrange(star...) }
        let name = String(decoding: label, as: UTF8.self)
        if name.isEmpty { return .unknown("") }

        switch name {
        case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8", "unicode-2-0-utf-8":
            return .utf8
        case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "iso-ir-6", "cp367", "ibm367", "csascii", "646":
            return .ascii
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "latin-1", "l1", "cp819",
             "ibm819", "iso-ir-100", "csisolatin1", "windows-1252", "cp1252", "x-cp1252", "cp-1252", "win-1252", "ms-ansi", "8859-1", "iso88591":
            return .windows1252
        case "utf-16", "utf16", "unicode", "ucs-2", "iso-10646-ucs-2", "csunicode": return .iconv("UTF-16")
        case "utf-16le", "utf16le", "ucs-2le": return .iconv("UTF-16LE")
        case "utf-16be", "utf16be", "ucs-2be": return .iconv("UTF-16BE")
        case "utf-32", "utf32", "ucs-4": return .iconv("UTF-32")
        case "utf-32le": return .iconv("UTF-32LE")
        case "utf-32be": return .iconv("UTF-32BE")
        case "utf-7", "utf7", "unicode-1-1-utf-7", "csunicode11utf7", "x-unicode20utf7": return .iconv("UTF-7")
        case "koi8-r", "koi8r", "cskoi8r", "koi8", "koi": return .iconv("KOI8-R")
        case "koi8-u", "koi8u", "koi8-ru": return .iconv("KOI8-U")
        case "gb2312", "gbk", "gb18030", "x-gbk", "cp936", "ms936", "windows-936", "euc-cn", "x-euc-cn", "euccn",
             "csgb2312", "chinese", "gb_2312-80", "iso-ir-58", "csiso58gb231280", "gb2312-80", "hz-gb-2312", "x-gb18030":
            // GB18030 is a superset of GB2312 and GBK; mailers routinely mislabel GBK text as gb2312.
            return name == "hz-gb-2312" ? .iconv("HZ-GB-2312") : .iconv("GB18030")
        case "big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "big5-0", "cp950", "x-big5": return .iconv("BIG5")
        case "big5-hkscs", "big5hkscs": return .iconv("BIG5-HKSCS")
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932", "ms932", "x-ms-cp932", "shiftjis":
            // CP932 (Windows-31J) is what Shift_JIS mail really contains and maps 0x5C to backslash.
            return .iconv("CP932")
        case "euc-jp", "x-euc-jp", "eucjp", "cseucpkdfmtjapanese", "ujis": return .iconv("EUC-JP")
        case "iso-2022-jp", "csiso2022jp", "iso2022jp", "iso-2022-jp-1", "iso-2022-jp-2", "csiso2022jp2":
            // ISO-2022-JP-2 is a superset of ISO-2022-JP (RFC 1468 / RFC 1554).
            return .iconv("ISO-2022-JP-2")
        case "iso-2022-jp-3": return .iconv("ISO-2022-JP-3")
        case "euc-kr", "euckr", "cseuckr", "ks_c_5601-1987", "ks_c_5601", "ks_c_5601-1989", "ksc5601", "ksc_5601",
             "korean", "csksc56011987", "iso-ir-149", "cp949", "uhc", "windows-949", "x-windows-949", "ms949":
            // CP949 (Unified Hangul Code) is a superset of EUC-KR; Outlook labels it ks_c_5601-1987.
            return .iconv("CP949")
        case "iso-2022-kr", "csiso2022kr": return .iconv("ISO-2022-KR")
        case "tis-620", "tis620", "windows-874", "cp874", "iso-8859-11", "iso8859-11", "x-cp874":
            return .iconv("CP874")
        case "macintosh", "mac", "x-mac-roman", "csmacintosh", "macroman": return .iconv("MACINTOSH")
        case "ibm866", "cp866", "866", "csibm866": return .iconv("CP866")
        case "cyrillic": return .iconv("ISO-8859-5")
        case "arabic", "asmo-708", "ecma-114": return .iconv("ISO-8859-6")
        case "greek", "greek8", "ecma-118", "elot_928": return .iconv("ISO-8859-7")
        case "hebrew", "visual", "logical": return .iconv("ISO-8859-8")
        case "latin2", "l2": return .iconv("ISO-8859-2")
        case "latin3", "l3": return .iconv("ISO-8859-3")
        case "latin4", "l4": return .iconv("ISO-8859-4")
        case "latin5", "l5": return .iconv("ISO-8859-9")
        case "latin6", "l6": return .iconv("ISO-8859-10")
        case "latin7", "l7": return .iconv("ISO-8859-13")
        case "latin8", "l8": return .iconv("ISO-8859-14")
        case "latin9", "l9", "latin-9": return .iconv("ISO-8859-15")
        case "latin10", "l10": return .iconv("ISO-8859-16")
        default: break
        }

        // iso-8859-N family in its spellings: iso-8859-6, iso8859-6, iso_8859-6, iso_8859-6:1987, iso-8859-6-i, iso-8859-8-e.
        if let n = isoNumber(name) {
            if n == 1 { return .windows1252 }
            if n == 11 { return .iconv("CP874") }
            if (2...16).contains(n) && n != 12 { return .iconv("ISO-8859-\(n)") }
        }
        // windows-125N family: windows-1256, cp1256, x-cp1256, win-1256, ms-arab.
        for prefix in ["windows-", "cp-", "cp", "x-cp", "win-", "win"] where name.hasPrefix(prefix) {
            if let n = Int(name.dropFirst(prefix.count)), (1250...1258).contains(n) {
                return n == 1252 ? .windows1252 : .iconv("WINDOWS-\(n)")
            }
        }
        if name == "ms-arab" { return .iconv("WINDOWS-1256") }
        if name == "ms-cyrl" { return .iconv("WINDOWS-1251") }
        if name == "ms-ee" { return .iconv("WINDOWS-1250") }
        if name == "ms-greek" { return .iconv("WINDOWS-1253") }
        if name == "ms-turk" { return .iconv("WINDOWS-1254") }
        if name == "ms-hebr" { return .iconv("WINDOWS-1255") }

        // Anything else: let iconv try the label as written (it knows hundreds of names); fall back if it cannot.
        let upper = name.uppercased()
        var validName = true
        for b in upper.utf8 where !(ASCII.isAlnum(b) || b == ASCII.hyphen || b == ASCII.underscore || b == 0x2E || b == ASCII.colon) {
            validName = false
        }
        return validName ? .iconv(upper) : .unknown(name)
    }

    /// Parses the N of `iso-8859-N`/`iso8859-N`/`iso_8859-N[:year]`/`8859-N` with optional `-i`/`-e` suffix.
    private static func isoNumber(_ name: String) -> Int? {
        var rest = Substring(name)
        for prefix in ["iso-8859-", "iso8859-", "iso_8859-", "iso-8859_", "iso8859_", "8859-", "iso8859"] where rest.hasPrefix(prefix) {
            rest = rest.dropFirst(prefix.count)
            var digits = ""
            for c in rest {
                if c.isASCII && c.isNumber { digits.append(c) } else { break }
            }
            let tail = rest.dropFirst(digits.count)
            guard tail.isEmpty || tail == "-i" || tail == "-e" || tail.hasPrefix(":") else { return nil }
            return Int(digits)
        }
        return nil
    }
}

