#if canImport(Glibc)
import Glibc
#endif

/// ASCII classification and case folding for the byte scanners; every check is a compare or
/// a table lookup, never a `Character`.
enum ByteClass {
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isAlpha(b) || isDigit(b) }
    /// Letters, digits, `_` and any non-ASCII byte: what identifiers in SQL, JS, PHP and shell are made of.
    @inline(__always) static func isWord(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5F || b >= 0x80 }
    /// Space, tab, CR, LF, vertical tab, form feed.
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
    @inline(__always) static func hexValue(_ b: UInt8) -> UInt8? {
        if b &- 0x30 < 10 { return b &- 0x30 }
        let l = b | 0x20
        if l &- 0x61 < 6 { return l &- 0x61 &+ 10 }
        return nil
    }

    /// True when `bytes[at...]` starts with `lowercased` ignoring ASCII case.
    @inline(__always)
    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, at: Int, _ lowercased: StaticString) -> Bool {
        let n = lowercased.utf8CodeUnitCount
        guard at >= 0, at + n <= bytes.count else { return false }
        let p = lowercased.utf8Start
        for i in 0..<n where lower(bytes[at + i]) != p[i] { return false }
        return true
    }

    /// The first index at or after `from` where `lowercased` occurs, ignoring ASCII case.
    static func find(_ bytes: UnsafeRawBufferPointer, _ lowercased: StaticString, from: Int = 0) -> Int? {
        let n = lowercased.utf8CodeUnitCount
        guard n > 0, bytes.count >= n else { return nil }
        let first = lowercased.utf8Start[0]
        var i = from
        while i + n <= bytes.count {
            if lower(bytes[i]) == first && hasPrefix(bytes, at: i, lowercased) { return i }
            i += 1
        }
        return nil
    }

    /// Past the `*/` closing a block comment whose body starts at `from` (after its `/*`), or
    /// `end` when it does not close before it.
    static func blockCommentEnd(_ bytes: UnsafeRawBufferPointer, from: Int, end: Int) -> Int {
        var i = from
        while i + 1 < end && !(bytes[i] == 0x2A && bytes[i + 1] == 0x2F) { i += 1 }
        return min(end, i + 2)
    }

    static func contains(_ bytes: UnsafeRawBufferPointer, _ byte: UInt8) -> Bool {
        firstIndex(of: byte, in: bytes) != nil
    }

    /// The first index of `byte` at or after `from`, looking at `within` bytes at most (bounded
    /// look-aheads keep the scans linear).
    static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int = 0, within: Int = .max) -> Int? {
        guard let base = bytes.baseAddress, from >= 0, from < bytes.count else { return nil }
        let count = min(bytes.count - from, within)
        guard let hit = memchr(base + from, Int32(byte), count) else { return nil }
        return UnsafeRawPointer(hit) - base
    }
}
