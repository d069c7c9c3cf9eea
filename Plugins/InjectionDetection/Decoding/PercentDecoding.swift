/// What decoding a value found besides its bytes.
struct DecodeFlags: OptionSet {
    let rawValue: UInt8
    /// At least one escape was decoded.
    static let decoded = DecodeFlags(rawValue: 1)
    /// A `%` not followed by two hex digits (kept as is).
    static let badEscape = DecodeFlags(rawValue: 2)
    /// IIS-style `%uXXXX`.
    static let unicodeEscape = DecodeFlags(rawValue: 4)
}

/// URL decoding as backends do it: `%HH`, `%uHHHH` (IIS; written as UTF-8), and `+` as a space
/// in query strings and forms. Invalid escapes are copied unchanged and reported.
enum PercentDecoding {
    static func decode(_ input: UnsafeRawBufferPointer, plusIsSpace: Bool, into out: inout [UInt8]) -> DecodeFlags {
        out.removeAll(keepingCapacity: true)
        var flags: DecodeFlags = []
        var i = 0
        let n = input.count
        while i < n {
            let b = input[i]
            if b == 0x25 {  // %
                if i + 2 < n, let hi = ByteClass.hexValue(input[i + 1]), let lo = ByteClass.hexValue(input[i + 2]) {
                    out.append(hi << 4 | lo)
                    flags.insert(.decoded)
                    i += 3
                    continue
                }
                if i + 5 < n, ByteClass.lower(input[i + 1]) == 0x75,
                   let a = ByteClass.hexValue(input[i + 2]), let b2 = ByteClass.hexValue(input[i + 3]),
                   let c = ByteClass.hexValue(input[i + 4]), let d = ByteClass.hexValue(input[i + 5]) {
                    UTF8Encoding.append(UInt32(a) << 12 | UInt32(b2) << 8 | UInt32(c) << 4 | UInt32(d), to: &out)
                    flags.formUnion([.decoded, .unicodeEscape])
                    i += 6
                    continue
                }
                flags.insert(.badEscape)
                out.append(b)
            } else if b == 0x2B && plusIsSpace {
                out.append(0x20)
            } else {
                out.append(b)
            }
            i += 1
        }
        return flags
    }

    /// True when `bytes` holds a `%HH` escape: a value still encoded after one decoding.
    static func hasEscape(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == 0x25, ByteClass.hexValue(bytes[i + 1]) != nil, ByteClass.hexValue(bytes[i + 2]) != nil { return true }
            i += 1
        }
        return false
    }
}

/// Writing code points as UTF-8.
enum UTF8Encoding {
    static func append(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x10000...0x10FFFF:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | (scalar >> 12) & 0x3F))
            out.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(contentsOf: [0xEF, 0xBF, 0xBD])  // U+FFFD
        }
    }
}
