/// Folds fullwidth ASCII (U+FF01-U+FF5E, `＜` for `<`) and the ideographic space to ASCII:
/// the part of Unicode compatibility normalization (NFKC) that turns look-alikes into syntax.
enum FullwidthFolding {
    /// Writes the folded value to `out`; false (nothing written) when it holds no fullwidth form.
    static func fold(_ v: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        var found = false
        var i = 0
        while i + 2 < v.count {
            if v[i] == 0xEF, v[i + 1] == 0xBC || v[i + 1] == 0xBD { found = true; break }
            i += 1
        }
        guard found else { return false }
        out.removeAll(keepingCapacity: true)
        i = 0
        while i < v.count {
            if i + 2 < v.count, v[i] == 0xEF, v[i + 1] == 0xBC || v[i + 1] == 0xBD {
                let scalar = (UInt32(v[i + 1] & 0x3F) << 6) | UInt32(v[i + 2] & 0x3F) | 0xF000
                if scalar >= 0xFF01 && scalar <= 0xFF5E {
                    out.append(UInt8(scalar - 0xFF01 + 0x21))
                    i += 3
                    continue
                }
            }
            out.append(v[i])
            i += 1
        }
        return true
    }
}
