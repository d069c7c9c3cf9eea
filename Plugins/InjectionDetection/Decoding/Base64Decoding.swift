/// Base64 that decodes to text: payloads are smuggled base64-encoded into parameters that the
/// backend decodes (serialized objects, `eval(atob(...))`, `data:` URLs). Only values made of
/// the base64 alphabet whose decoded bytes are mostly printable are decoded.
enum Base64Decoding {
    private static let values: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        t[Int(UInt8(ascii: "-"))] = 62  // URL-safe alphabet
        t[Int(UInt8(ascii: "_"))] = 63
        return t
    }()

    /// Decodes `v` into `out` when it is base64 of at least 12 characters (padding optional)
    /// that decodes to printable text; false otherwise.
    static func decode(_ v: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        var end = v.count
        while end > 0 && v[end - 1] == 0x3D { end -= 1 }
        guard end >= 12, v.count - end <= 2 else { return false }
        var letters = false, digitsOrSymbols = false
        for i in 0..<end {
            let b = v[i]
            guard values[Int(b)] != 0xFF else { return false }
            if ByteClass.isAlpha(b) { letters = true } else { digitsOrSymbols = true }
        }
        // Words and numbers alone are not base64 worth decoding.
        guard letters && (digitsOrSymbols || hasMixedCase(v, end)) else { return false }
        out.removeAll(keepingCapacity: true)
        var buffer: UInt32 = 0, bits = 0
        for i in 0..<end {
            buffer = buffer << 6 | UInt32(values[Int(v[i])])
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        var printable = 0
        for b in out where (b >= 0x20 && b < 0x7F) || b == 0x0A || b == 0x0D || b == 0x09 { printable += 1 }
        return printable * 10 >= out.count * 9
    }

    private static func hasMixedCase(_ v: UnsafeRawBufferPointer, _ end: Int) -> Bool {
        var upper = 0, lower = 0
        for i in 0..<end {
            if v[i] >= 0x41 && v[i] <= 0x5A { upper += 1 } else if v[i] >= 0x61 && v[i] <= 0x7A { lower += 1 }
        }
        // Base64 of text mixes cases throughout; a word capitalises one letter.
        return upper >= 2 && lower >= 2 && upper * 8 >= end
    }
}
