/// Well-formed UTF-8 (RFC 3629, Unicode table 3-7) for the raw non-ASCII bytes some clients put in a
/// request-target (curl sends IRIs unencoded; nginx accepts them).
enum UTF8Sequence {
    /// The length (2-4) of the well-formed sequence starting at `i`; 0 when it is cut short by `end`
    /// (complete once more bytes arrive); -1 when malformed: a stray continuation byte, an overlong
    /// form (`C0 AE` for `.`), a surrogate or a code point above U+10FFFF.
    static func length(_ buf: UnsafeRawBufferPointer, at i: Int, end: Int) -> Int {
        let lead = buf[i]
        let count: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the range of the second byte
        switch lead {
        case 0xC2...0xDF: count = 2
        case 0xE0: count = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 3
        case 0xED: count = 3; high = 0x9F
        case 0xF0: count = 4; low = 0x90
        case 0xF1...0xF3: count = 4
        case 0xF4: count = 4; high = 0x8F
        default: return -1
        }
        for k in 1..<count {
            guard i + k < end else { return 0 }
            let b = buf[i + k]
            if k == 1 ? !(low...high).contains(b) : b & 0xC0 != 0x80 { return -1 }
        }
        return count
    }
}
