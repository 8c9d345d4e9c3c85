/// HTML character references: the named entities common in mail plus numeric (decimal and hex) ones.
enum HTMLEntities {
    /// Named entities seen in real mail (HTML 4 Latin-1, symbols, typography, bidi/joiner controls used in Persian).
    static let named: [String: UInt32] = [
        "amp": 0x26, "lt": 0x3C, "gt": 0x3E, "quot": 0x22, "apos": 0x27, "nbsp": 0x20,
        "ensp": 0x20, "emsp": 0x20, "thinsp": 0x20,
        "zwnj": 0x200C, "zwj": 0x200D, "lrm": 0x200E, "rlm": 0x200F, "shy": 0xAD,
        "copy": 0xA9, "reg": 0xAE, "trade": 0x2122, "hellip": 0x2026, "mdash": 0x2014, "ndash": 0x2013,
        "lsquo": 0x2018, "rsquo": 0x2019, "sbquo": 0x201A, "ldquo": 0x201C, "rdquo": 0x201D, "bdquo": 0x201E,
        "laquo": 0xAB, "raquo": 0xBB, "lsaquo": 0x2039, "rsaquo": 0x203A, "bull": 0x2022, "middot": 0xB7,
        "euro": 0x20AC, "pound": 0xA3, "yen": 0xA5, "cent": 0xA2, "curren": 0xA4, "sect": 0xA7, "para": 0xB6,
        "deg": 0xB0, "plusmn": 0xB1, "times": 0xD7, "divide": 0xF7, "micro": 0xB5, "frac12": 0xBD, "frac14": 0xBC,
        "frac34": 0xBE, "sup1": 0xB9, "sup2": 0xB2, "sup3": 0xB3, "iexcl": 0xA1, "iquest": 0xBF, "ordf": 0xAA,
        "ordm": 0xBA, "not": 0xAC, "macr": 0xAF, "acute": 0xB4, "cedil": 0xB8, "uml": 0xA8, "brvbar": 0xA6,
        "dagger": 0x2020, "Dagger": 0x2021, "permil": 0x2030, "prime": 0x2032, "Prime": 0x2033,
        "larr": 0x2190, "rarr": 0x2192, "uarr": 0x2191, "darr": 0x2193, "harr": 0x2194, "hearts": 0x2665,
        "check": 0x2713, "minus": 0x2212, "le": 0x2264, "ge": 0x2265, "ne": 0x2260, "infin": 0x221E,
        "Agrave": 0xC0, "Aacute": 0xC1, "Acirc": 0xC2, "Atilde": 0xC3, "Auml": 0xC4, "Aring": 0xC5, "AElig": 0xC6,
        "Ccedil": 0xC7, "Egrave": 0xC8, "Eacute": 0xC9, "Ecirc": 0xCA, "Euml": 0xCB, "Igrave": 0xCC, "Iacute": 0xCD,
        "Icirc": 0xCE, "Iuml": 0xCF, "ETH": 0xD0, "Ntilde": 0xD1, "Ograve": 0xD2, "Oacute": 0xD3, "Ocirc": 0xD4,
        "Otilde": 0xD5, "Ouml": 0xD6, "Oslash": 0xD8, "Ugrave": 0xD9, "Uacute": 0xDA, "Ucirc": 0xDB, "Uuml": 0xDC,
        "Yacute": 0xDD, "THORN": 0xDE, "szlig": 0xDF, "agrave": 0xE0, "aacute": 0xE1, "acirc": 0xE2, "atilde": 0xE3,
        "auml": 0xE4, "aring": 0xE5, "aelig": 0xE6, "ccedil": 0xE7, "egrave": 0xE8, "eacute": 0xE9, "ecirc": 0xEA,
        "euml": 0xEB, "igrave": 0xEC, "iacute": 0xED, "icirc": 0xEE, "iuml": 0xEF, "eth": 0xF0, "ntilde": 0xF1,
        "ograve": 0xF2, "oacute": 0xF3, "ocirc": 0xF4, "otilde": 0xF5, "ouml": 0xF6, "oslash": 0xF8, "ugrave": 0xF9,
        "uacute": 0xFA, "ucirc": 0xFB, "uuml": 0xFC, "yacute": 0xFD, "thorn": 0xFE, "yuml": 0xFF,
        "OElig": 0x152, "oelig": 0x153, "Scaron": 0x160, "scaron": 0x161, "Yuml": 0x178, "fnof": 0x192,
        "circ": 0x2C6, "tilde": 0x2DC, "alpha": 0x3B1, "beta": 0x3B2, "gamma": 0x3B3, "delta": 0x3B4, "pi": 0x3C0,
        "mu": 0x3BC, "sigma": 0x3C3, "omega": 0x3C9,
    ]

    /// Entities accepted without the closing `;` (legacy HTML behaviour for the common ones).
    static let allowedWithoutSemicolon: Set<String> = ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"]

    /// HTML5 §13.2.5.5: numeric references 0x80–0x9F mean Windows-1252 characters.
    private static let c1Replacements: [UInt32: UInt32] = [
        0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021,
        0x88: 0x02C6, 0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018,
        0x92: 0x2019, 0x93: 0x201C, 0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC,
        0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A, 0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
    ]

    /// Decodes the reference starting at `&` (index `start`); returns the scalar and the index after it, or nil.
    static func decode(_ s: UnsafeBufferPointer<UInt8>, at start: Int) -> (scalar: Unicode.Scalar, end: Int)? {
        let n = s.count
        var i = start + 1
        guard i < n else { return nil }
        if s[i] == 0x23 {  // '#'
            i += 1
            var hex = false
            if i < n && (s[i] == 0x78 || s[i] == 0x58) { hex = true; i += 1 }
            var value: UInt32 = 0
            var digits = 0
            while i < n {
                let b = s[i]
                let d: UInt8?
                if hex { d = ASCII.hexValue(b) } else { d = (b >= 0x30 && b <= 0x39) ? b - 0x30 : nil }
                guard let digit = d else { break }
                if value < 0x110000 { value = value * (hex ? 16 : 10) + UInt32(digit) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if i < n && s[i] == ASCII.semicolon { i += 1 }
            if let r = c1Replacements[value] { value = r }
            let scalar = (value == 0 ? nil : Unicode.Scalar(value)) ?? Unicode.Scalar(0xFFFD)!
            return (scalar, i)
        }
        let nameStart = i
        while i < n && i - nameStart < 32 && ASCII.isAlnum(s[i]) { i += 1 }
        guard i > nameStart else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: s[nameStart..<i]), as: UTF8.self)
        guard let value = named[name] ?? named[name.lowercased()], let scalar = Unicode.Scalar(value) else { return nil }
        if i < n && s[i] == ASCII.semicolon { return (scalar, i + 1) }
        return allowedWithoutSemicolon.contains(name.lowercased()) ? (scalar, i) : nil
    }
}
