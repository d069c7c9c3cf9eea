/// Which syntax characters a value contains, from one pass over it: detectors that need a
/// character the value lacks are skipped (most JSON values are words, digits and spaces).
struct ByteSummary {
    private(set) var mask: UInt64 = 0

    static let lessThan: UInt64 = 1 << 0, colon: UInt64 = 1 << 1, equals: UInt64 = 1 << 2, paren: UInt64 = 1 << 3
    static let backtick: UInt64 = 1 << 4, bracket: UInt64 = 1 << 5, plus: UInt64 = 1 << 6, dot: UInt64 = 1 << 7
    static let slash: UInt64 = 1 << 8, backslash: UInt64 = 1 << 9, nul: UInt64 = 1 << 10, dollar: UInt64 = 1 << 11
    static let brace: UInt64 = 1 << 12, underscore: UInt64 = 1 << 13, lineBreak: UInt64 = 1 << 14, closeParen: UInt64 = 1 << 15
    static let separator: UInt64 = 1 << 16, quote: UInt64 = 1 << 17, at: UInt64 = 1 << 18, hash: UInt64 = 1 << 19
    static let percent: UInt64 = 1 << 20, upperH: UInt64 = 1 << 21, nonASCII: UInt64 = 1 << 22, tilde: UInt64 = 1 << 23

    private static let table: [UInt64] = {
        var t = [UInt64](repeating: 0, count: 256)
        t[0x3C] = lessThan; t[0x3E] = separator; t[0x3A] = colon; t[0x3D] = equals; t[0x28] = paren; t[0x29] = closeParen
        t[0x60] = backtick; t[0x5B] = bracket; t[0x5D] = bracket; t[0x2B] = plus; t[0x2E] = dot; t[0x2F] = slash
        t[0x5C] = backslash; t[0x00] = nul; t[0x24] = dollar; t[0x7B] = brace; t[0x7D] = brace; t[0x5F] = underscore
        t[0x0A] = lineBreak; t[0x0D] = lineBreak; t[0x3B] = separator; t[0x7C] = separator; t[0x26] = separator
        t[0x27] = quote; t[0x22] = quote; t[0x40] = at; t[0x23] = hash; t[0x25] = percent; t[0x48] = upperH; t[0x68] = upperH
        t[0x7E] = tilde
        for b in 0x80...0xFF { t[b] = nonASCII }
        return t
    }()

    init(_ v: UnsafeRawBufferPointer) {
        Self.table.withUnsafeBufferPointer { t in
            var m: UInt64 = 0
            for b in v { m |= t[Int(b)] }
            mask = m
        }
    }

    @inline(__always) func has(_ any: UInt64) -> Bool { mask & any != 0 }
}
