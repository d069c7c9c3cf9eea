/// Folds the Unicode look-alikes of ASCII syntax to ASCII, as NFKC (and IDNA's dot mapping)
/// does before a backend or a URL parser acts on them: fullwidth forms (`＜script＞`), small
/// form variants (`﹤`), circled and full-stop digits and letters (`①②⑦.⓪.⓪.①`,
/// `ⓛⓞⓒⓐⓛⓗⓞⓢⓣ`), super- and subscript digits, mathematical letters and digits (`𝟏𝟐𝟕`),
/// the ideographic space and the ideographic and other full stops (`169。254`); and, beyond
/// NFKC, the slash look-alikes Windows' best-fit conversion turns into separators (`..∕..∕`).
/// Anything else is copied unchanged.
enum UnicodeFolding {
    /// Writes the folded value to `out`; false (nothing written) when it holds nothing to fold.
    static func fold(_ v: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        var found = false
        var i = 0
        while i < v.count {
            if v[i] < 0xC2 { i += 1; continue }
            let (scalar, length) = decode(v, i)
            if folded(scalar).count > 0 { found = true; break }
            i += length
        }
        guard found else { return false }
        out.removeAll(keepingCapacity: true)
        i = 0
        while i < v.count {
            if v[i] >= 0xC2 {
                let (scalar, length) = decode(v, i)
                let f = folded(scalar)
                if f.count > 0 {
                    out.append(f.bytes.0)
                    if f.count > 1 { out.append(f.bytes.1) }
                    if f.count > 2 { out.append(f.bytes.2) }
                    i += length
                    continue
                }
            }
            out.append(v[i])
            i += 1
        }
        return true
    }

    /// The scalar starting at `i` and its length in bytes; an invalid sequence reads as one byte
    /// that folds to nothing.
    private static func decode(_ v: UnsafeRawBufferPointer, _ i: Int) -> (UInt32, Int) {
        let b = v[i]
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        guard b < 0xF5, i + length <= v.count else { return (0, 1) }
        var scalar = UInt32(b) & (0xFF >> (length + 1))
        for k in 1..<length {
            let c = v[i + k]
            guard c & 0xC0 == 0x80 else { return (0, 1) }
            scalar = scalar << 6 | UInt32(c & 0x3F)
        }
        return (scalar, length)
    }

    /// Small form variants U+FE50... (0 where NFKC gives no ASCII).
    private static let smallForms: [UInt8] = Array(",\0.\0;:?!\0(){}\0\0#&*+-<>=\0\\$%@".utf8)

    /// The ASCII `scalar` folds to: up to three bytes (`⑫` is `12`, `⒓` is `12.`); none when it
    /// is not folded.
    private static func folded(_ scalar: UInt32) -> (count: Int, bytes: (UInt8, UInt8, UInt8)) {
        func one(_ b: UInt8) -> (Int, (UInt8, UInt8, UInt8)) { b == 0 ? (0, (0, 0, 0)) : (1, (b, 0, 0)) }
        func number(_ n: UInt32, dot: Bool) -> (Int, (UInt8, UInt8, UInt8)) {
            let high = UInt8(n / 10) + 0x30, low = UInt8(n % 10) + 0x30
            if n < 10 { return dot ? (2, (low, 0x2E, 0)) : (1, (low, 0, 0)) }
            return dot ? (3, (high, low, 0x2E)) : (2, (high, low, 0))
        }
        switch scalar {
        case 0xFF01...0xFF5E: return one(UInt8(scalar - 0xFF01 + 0x21))
        case 0x3000: return one(0x20)
        case 0x3002, 0xFF61, 0x2024: return one(0x2E)
        case 0x2025: return (2, (0x2E, 0x2E, 0))
        case 0x2215, 0x2044, 0x29F8: return one(0x2F)
        case 0x2216, 0x29F5, 0x29F9: return one(0x5C)
        case 0xFE50...0xFE6B: return one(smallForms[Int(scalar - 0xFE50)])
        case 0x2460...0x2473: return number(scalar - 0x2460 + 1, dot: false)
        case 0x2488...0x249B: return number(scalar - 0x2488 + 1, dot: true)
        case 0x24B6...0x24CF: return one(UInt8(scalar - 0x24B6) + 0x41)
        case 0x24D0...0x24E9: return one(UInt8(scalar - 0x24D0) + 0x61)
        case 0x24EA, 0x2070, 0x2080: return one(0x30)
        case 0xB9: return one(0x31)
        case 0xB2, 0xB3: return one(UInt8(scalar - 0xB0) + 0x30)
        case 0x2074...0x2079: return one(UInt8(scalar - 0x2070) + 0x30)
        case 0x2081...0x2089: return one(UInt8(scalar - 0x2080) + 0x30)
        case 0x1D7CE...0x1D7FF: return one(UInt8((scalar - 0x1D7CE) % 10) + 0x30)
        case 0x1D400...0x1D6A3:
            let letter = UInt8((scalar - 0x1D400) % 52)
            return one(letter < 26 ? 0x41 + letter : 0x61 + letter - 26)
        default: return (0, (0, 0, 0))
        }
    }
}
