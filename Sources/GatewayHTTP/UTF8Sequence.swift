/// Well-formed UTF-8 (RFC 3629, Unicode table 3-7): the one decoder of the request parser (raw
/// non-ASCII bytes in a request-target: curl sends IRIs unencoded, nginx accepts them) and the
/// event serializer.
package enum UTF8Sequence {
    /// The scalar starting at `index` and its length in bytes. For an ill-formed sequence (a stray
    /// continuation byte, an overlong form such as `C0 AE`, a surrogate, a code point above
    /// U+10FFFF, or a sequence cut short by `end`) the scalar is nil and the length that of its
    /// maximal valid prefix (at least 1), as the Unicode standard recommends for replacement.
    package static func decode(_ input: UnsafeRawBufferPointer, at index: Int, end: Int) -> (scalar: UInt32?, length: Int) {
        let lead = input[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        // Continuation count and the range of the second byte, which excludes overlong forms,
        // surrogates and code points above U+10FFFF.
        let (count, low, high): (Int, UInt8, UInt8)
        switch lead {
        case 0xC2...0xDF: (count, low, high) = (1, 0x80, 0xBF)
        case 0xE0: (count, low, high) = (2, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (count, low, high) = (2, 0x80, 0xBF)
        case 0xED: (count, low, high) = (2, 0x80, 0x9F)
        case 0xF0: (count, low, high) = (3, 0x90, 0xBF)
        case 0xF1...0xF3: (count, low, high) = (3, 0x80, 0xBF)
        case 0xF4: (count, low, high) = (3, 0x80, 0x8F)
        default: return (nil, 1)
        }
        var scalar = UInt32(lead) & (0x7F >> (count + 1))
        for offset in 1...count {
            guard index + offset < end else { return (nil, offset) }
            let byte = input[index + offset]
            guard byte >= (offset == 1 ? low : 0x80), byte <= (offset == 1 ? high : 0xBF) else { return (nil, offset) }
            scalar = scalar << 6 | UInt32(byte & 0x3F)
        }
        return (scalar, count + 1)
    }
}
