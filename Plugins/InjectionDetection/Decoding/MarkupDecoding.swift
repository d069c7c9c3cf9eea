/// The second decoding layer: HTML character references (what a browser does to attribute
/// values and text before a URL or script is run) and JavaScript/JSON string escapes
/// (`\u0027`, `\x3c`, `\u{61}`). Applied only when the value holds `&` or `\`.
enum MarkupDecoding {
    /// Named references attackers use to hide syntax; the rest of HTML's list never matters
    /// for detection.
    private static let named = KeywordTable([
        ("lt", 0x3C), ("gt", 0x3E), ("amp", 0x26), ("quot", 0x22), ("apos", 0x27), ("tab", 0x09),
        ("newline", 0x0A), ("colon", 0x3A), ("lpar", 0x28), ("rpar", 0x29), ("sol", 0x2F), ("bsol", 0x5C),
        ("nbsp", 0x20), ("equals", 0x3D), ("grave", 0x60), ("excl", 0x21), ("num", 0x23), ("dollar", 0x24),
        ("percnt", 0x25), ("period", 0x2E), ("comma", 0x2C), ("semi", 0x3B), ("lsqb", 0x5B), ("rsqb", 0x5D),
        ("lcub", 0x7B), ("rcub", 0x7D), ("lbrack", 0x5B), ("rbrack", 0x5D), ("lbrace", 0x7B), ("rbrace", 0x7D),
        ("quest", 0x3F), ("plus", 0x2B), ("ast", 0x2A), ("vert", 0x7C), ("hat", 0x5E),
    ])

    /// Whether the value may hold something to decode.
    static func applies(_ bytes: UnsafeRawBufferPointer) -> Bool {
        ByteClass.contains(bytes, 0x26) || ByteClass.contains(bytes, 0x5C)
    }

    static func decode(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        let n = input.count
        var i = 0
        while i < n {
            let b = input[i]
            if b == 0x26, let (scalar, next) = entity(input, i) {  // &
                UTF8Encoding.append(scalar, to: &out)
                i = next
            } else if b == 0x5C, i + 1 < n, let (scalar, next) = escape(input, i) {  // backslash
                UTF8Encoding.append(scalar, to: &out)
                i = next
            } else {
                out.append(b)
                i += 1
            }
        }
    }

    /// `&#NN;`, `&#xHH;` (the `;` optional, as browsers accept), `&name;`.
    private static func entity(_ s: UnsafeRawBufferPointer, _ start: Int) -> (UInt32, Int)? {
        var i = start + 1
        let n = s.count
        guard i < n else { return nil }
        if s[i] == 0x23 {  // #
            i += 1
            var hex = false
            if i < n, ByteClass.lower(s[i]) == 0x78 { hex = true; i += 1 }
            var value: UInt32 = 0
            let digitsStart = i
            while i < n, i - digitsStart < 8 {
                if hex, let h = ByteClass.hexValue(s[i]) { value = value << 4 | UInt32(h) }
                else if !hex, ByteClass.isDigit(s[i]) { value = value * 10 + UInt32(s[i] - 0x30) }
                else { break }
                i += 1
            }
            // Leading zeros are padding browsers skip; keep scanning past the 8-digit window.
            while i < n, s[i] == 0x30 && value == 0 { i += 1 }
            guard i > digitsStart else { return nil }
            if i < n, s[i] == 0x3B { i += 1 }
            return (value, i)
        }
        var end = i
        while end < n, end - i < 10, ByteClass.isAlpha(s[end]) { end += 1 }
        guard end < n, s[end] == 0x3B, let value = named.lookup(s, i, end) else { return nil }
        return (UInt32(value), end + 1)
    }

    /// `\uHHHH`, `\u{H..}`, `\xHH`; other escapes are left for the detectors to see.
    private static func escape(_ s: UnsafeRawBufferPointer, _ start: Int) -> (UInt32, Int)? {
        let n = s.count
        let kind = ByteClass.lower(s[start + 1])
        if kind == 0x78, start + 3 < n, let a = ByteClass.hexValue(s[start + 2]), let b = ByteClass.hexValue(s[start + 3]) {
            return (UInt32(a) << 4 | UInt32(b), start + 4)
        }
        guard kind == 0x75 else { return nil }
        if start + 2 < n, s[start + 2] == 0x7B {
            var i = start + 3
            var value: UInt32 = 0
            while i < n, i - start < 12, let h = ByteClass.hexValue(s[i]) { value = value << 4 | UInt32(h); i += 1 }
            guard i < n, s[i] == 0x7D else { return nil }
            return (value, i + 1)
        }
        guard start + 5 < n else { return nil }
        var value: UInt32 = 0
        for k in 2...5 {
            guard let h = ByteClass.hexValue(s[start + k]) else { return nil }
            value = value << 4 | UInt32(h)
        }
        return (value, start + 6)
    }
}
