#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-level helpers shared by the parsers, the header table and the chunked decoder.
/// Everything here works on raw bytes so the parse path never builds a `String`.
///
/// Hot loops work on raw pointers (no bounds checks, no closures); callers guarantee the ranges they pass.
enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let comma: UInt8 = 0x2C
    static let slash: UInt8 = 0x2F
    static let question: UInt8 = 0x3F
    static let percent: UInt8 = 0x25
    static let dot: UInt8 = 0x2E
    static let semicolon: UInt8 = 0x3B

    // MARK: Byte classes

    /// Flags in `classTable`.
    static let tcharClass: UInt8 = 1  // RFC 9110 5.6.2 tchar
    static let regNameClass: UInt8 = 2  // RFC 3986 unreserved / sub-delims
    static let hexClass: UInt8 = 4  // HEXDIG, either case

    /// One entry per byte value: `0x40 | flags` (so the table is a plain literal in static storage, read without
    /// any lazy-initialisation check). Bytes 0x80-0xFF are in no class. A test checks it against the grammars.
    @inline(__always)
    static var classTable: UnsafePointer<UInt8> { classTableLiteral.utf8Start }

    /// 64 entries per line (a trailing backslash joins the lines without a newline).
    @inline(__always)
    static var classTableLiteral: StaticString {
        """
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@C@ACACCBBCCBCC@GGGGGGGGGG@B@B@@\
        @GGGGGGCCCCCCCCCCCCCCCCCCCC@@@ACAGGGGGGCCCCCCCCCCCCCCCCCCCC@A@C@\
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
        """
    }

    @inline(__always)
    static func hasClass(_ b: UInt8, _ flag: UInt8) -> Bool { classTable[Int(b)] & flag != 0 }

    /// The bytes of a literal (static storage, valid forever).
    @inline(__always)
    static func bytes(_ literal: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
    }

    @inline(__always)
    static func isTchar(_ b: UInt8) -> Bool { hasClass(b, tcharClass) }

    /// True when all `count` bytes at `p` are tchars (8 table lookups per test, no early exit inside a block).
    @inline(__always)
    static func isToken(_ p: UnsafeRawPointer, count: Int) -> Bool {
        let t = classTable, b = p.assumingMemoryBound(to: UInt8.self)
        @inline(__always) func block(_ i: Int) -> UInt8 {
            t[Int(b[i])] & t[Int(b[i &+ 1])] & t[Int(b[i &+ 2])] & t[Int(b[i &+ 3])]
                & t[Int(b[i &+ 4])] & t[Int(b[i &+ 5])] & t[Int(b[i &+ 6])] & t[Int(b[i &+ 7])]
        }
        if count >= 8 {
            var i = 0
            while i &+ 8 < count {
                if block(i) & tcharClass == 0 { return false }
                i &+= 8
            }
            return block(count &- 8) & tcharClass != 0  // the last 8 bytes, overlapping the previous block
        }
        var all = tcharClass
        for i in 0..<count { all &= t[Int(b[i])] }
        return all & tcharClass != 0
    }

    /// SP or HTAB (RFC 9110 OWS).
    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }

    /// field-vchar / SP / HTAB / obs-text: everything except CTLs (HTAB excepted) and DEL.
    @inline(__always)
    static func isFieldValueByte(_ b: UInt8) -> Bool { (b >= 0x20 && b != 0x7F) || b == htab }

    /// Visible ASCII except `#` (RFC 9112 3.2; fragments are never sent).
    @inline(__always)
    static func isTargetByte(_ b: UInt8) -> Bool { b &- 0x21 < 0x5E && b != 0x23 }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// Value of a hex digit, or nil.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        if b &- 0x30 < 10 { return b &- 0x30 }
        let l = b | 0x20
        if l &- 0x61 < 6 { return l &- 0x61 &+ 10 }
        return nil
    }

    /// Upper-case hex digit for a value 0-15.
    @inline(__always)
    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 &+ v : 0x37 &+ v }

    // MARK: Scanning

    /// Index of the first control byte (HTAB included, which callers then allow) or DEL in `buf[from..<end]`, or `end`.
    @inline(__always)
    static func skipFieldValueBytes(_ buf: UnsafeRawBufferPointer, from: Int, end: Int) -> Int {
        guard from < end, let base = buf.baseAddress else { return from }
        return skipFieldValueBytes(base, from: from, end: end)
    }

    @inline(__always)
    static func skipFieldValueBytes(_ p: UnsafeRawPointer, from: Int, end: Int) -> Int {
        var i = from
        // 16 bytes per step (SSE2 on x86-64: 13 instructions), then 8, then single bytes. Keep the explicit
        // `SIMD16<UInt8>(repeating:)` operands: with inferred or scalar operands the compiler scalarizes the lanes.
        while i &+ 16 <= end {
            let v = p.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            let stop = (v .< SIMD16<UInt8>(repeating: 0x20)) .| (v .== SIMD16<UInt8>(repeating: 0x7F))
            if any(stop) { return i &+ firstSet(stop) }
            i &+= 16
        }
        if i &+ 8 <= end {
            let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let f = less(w, 0x20) | equal(w, 0x7F)
            if f != 0 { return i &+ f.trailingZeroBitCount &>> 3 }
            i &+= 8
        }
        while i < end {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if b < 0x20 || b == 0x7F { return i }
            i &+= 1
        }
        return i
    }

    /// True when no byte of `p[0..<count]` is a control byte (HTAB included) or DEL.
    @inline(__always)
    static func allFieldValueBytes(_ p: UnsafeRawPointer, count: Int) -> Bool {
        @inline(__always) func dirty16(_ i: Int) -> Bool {
            let v = p.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            return any((v .< SIMD16<UInt8>(repeating: 0x20)) .| (v .== SIMD16<UInt8>(repeating: 0x7F)))
        }
        @inline(__always) func clean8(_ w: UInt64) -> Bool { less(w, 0x20) | equal(w, 0x7F) == 0 }
        if count >= 16 {
            // Whole blocks, the last one overlapping the previous block when count is not a multiple of 16.
            var i = 0
            while true {
                if dirty16(i) { return false }
                if i == count &- 16 { return true }
                i = Swift.min(i &+ 16, count &- 16)
            }
        }
        if count >= 8 {
            return clean8(UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
                && clean8(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)))
        }
        if count >= 4 {
            let lo = UInt64(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
            let hi = UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)))
            return clean8(lo | hi &<< 32)
        }
        for i in 0..<count {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if b < 0x20 || b == 0x7F { return false }
        }
        return true
    }

    /// Index of the first lane set in a mask that has one.
    @inline(__always)
    private static func firstSet(_ mask: SIMDMask<SIMD16<Int8>>) -> Int {
        let bytes = SIMD16<UInt8>(repeating: 0).replacing(with: 0xFF, where: mask)
        let lanes = unsafeBitCast(bytes, to: (UInt64, UInt64).self)
        let lo = UInt64(littleEndian: lanes.0), hi = UInt64(littleEndian: lanes.1)
        return lo != 0 ? lo.trailingZeroBitCount &>> 3 : 8 &+ hi.trailingZeroBitCount &>> 3
    }

    /// Index of the first byte in `buf[from..<end]` that is not a request-target byte (visible ASCII except `#`),
    /// e.g. the SP ending the target, or `end`.
    @inline(__always)
    static func skipTargetBytes(_ buf: UnsafeRawBufferPointer, from: Int, end: Int) -> Int {
        guard from < end, let p = buf.baseAddress else { return from }
        var i = from
        while i &+ 8 <= end {
            let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let f = less(w, 0x21) | equal(w, 0x7F) | equal(w, 0x23) | (w & highBits)
            if f != 0 { return i &+ f.trailingZeroBitCount &>> 3 }
            i &+= 8
        }
        while i < end && isTargetByte(p.load(fromByteOffset: i, as: UInt8.self)) { i &+= 1 }
        return i
    }

    /// Index of the first `a`, `b` or `c` in `p[from..<end]`, or `end`.
    @inline(__always)
    static func find(_ a: UInt8, _ b: UInt8, _ c: UInt8, in p: UnsafeRawPointer, from: Int, end: Int) -> Int {
        var i = from
        while i &+ 8 <= end {
            let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let f = equal(w, a) | equal(w, b) | equal(w, c)
            if f != 0 { return i &+ f.trailingZeroBitCount &>> 3 }
            i &+= 8
        }
        while i < end {
            let x = p.load(fromByteOffset: i, as: UInt8.self)
            if x == a || x == b || x == c { return i }
            i &+= 1
        }
        return i
    }

    // SWAR: test 8 bytes per step. For each flag function, the lowest flagged byte is always a true match
    // (false positives only appear above a true one, through borrows), so its index is exact.
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// High bit set in (at least) the lowest byte of `w` that is below `n` (n <= 128).
    @inline(__always)
    private static func less(_ w: UInt64, _ n: UInt8) -> UInt64 { (w &- ones &* UInt64(n)) & ~w & highBits }

    @inline(__always)
    private static func equal(_ w: UInt64, _ b: UInt8) -> UInt64 { less(w ^ (ones &* UInt64(b)), 1) }

    /// Every byte of `w` ASCII-lower-cased (exact for all byte values: each byte is handled without carries).
    @inline(__always)
    static func lowercased(_ w: UInt64) -> UInt64 {
        let low7 = w & 0x7F7F_7F7F_7F7F_7F7F
        let atLeastA = low7 &+ 0x3F3F_3F3F_3F3F_3F3F  // high bit set where the byte is >= 0x41
        let aboveZ = low7 &+ 0x2525_2525_2525_2525  // high bit set where the byte is >= 0x5B
        let upper = atLeastA & ~aboveZ & ~w & highBits
        return w | (upper &>> 2)
    }

    /// Index of the first LF in `buf[from..<end]`, or nil.
    @inline(__always)
    static func findLF(_ buf: UnsafeRawBufferPointer, from: Int, end: Int) -> Int? {
        guard from < end, let base = buf.baseAddress else { return nil }
        guard let hit = memchr(base + from, Int32(lf), end - from) else { return nil }
        return UnsafeRawPointer(hit) - base
    }

    // MARK: Comparison

    /// ASCII case-insensitive equality of two byte ranges of the same length.
    @inline(__always)
    static func equalsIgnoringCase(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool {
        if count >= 8 {
            var i = 0
            while i &+ 8 < count {
                if lowercased(loadWord(a, i)) != lowercased(loadWord(b, i)) { return false }
                i &+= 8
            }
            // The last 8 bytes (overlapping the previous word when count is not a multiple of 8).
            return lowercased(loadWord(a, count &- 8)) == lowercased(loadWord(b, count &- 8))
        }
        if count >= 4 {
            return lowercased(loadHalf(a, 0)) == lowercased(loadHalf(b, 0))
                && lowercased(loadHalf(a, count &- 4)) == lowercased(loadHalf(b, count &- 4))
        }
        for i in 0..<count {
            let x = a.load(fromByteOffset: i, as: UInt8.self)
            let y = b.load(fromByteOffset: i, as: UInt8.self)
            if x != y && lower(x) != lower(y) { return false }
        }
        return true
    }

    /// Case-insensitive comparison of `count` bytes at `p` with a lower-case ASCII literal.
    @inline(__always)
    static func equals(_ p: UnsafeRawPointer, count: Int, lowercased literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard count == n else { return false }
        let lit = UnsafeRawPointer(literal.utf8Start)
        if n >= 8 {
            var i = 0
            while i &+ 8 < n {
                if lowercased(loadWord(p, i)) != loadWord(lit, i) { return false }
                i &+= 8
            }
            return lowercased(loadWord(p, n &- 8)) == loadWord(lit, n &- 8)
        }
        if n >= 4 {
            return lowercased(loadHalf(p, 0)) == loadHalf(lit, 0)
                && lowercased(loadHalf(p, n &- 4)) == loadHalf(lit, n &- 4)
        }
        for i in 0..<n
        where lower(p.load(fromByteOffset: i, as: UInt8.self)) != lit.load(fromByteOffset: i, as: UInt8.self) {
            return false
        }
        return true
    }

    /// Case-insensitive comparison of `buf[start..<end]` with a lower-case ASCII literal.
    @inline(__always)
    static func equals(
        _ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int, lowercased literal: StaticString
    ) -> Bool {
        guard end - start == literal.utf8CodeUnitCount else { return false }
        guard let base = buf.baseAddress else { return literal.utf8CodeUnitCount == 0 }
        return equals(base + start, count: end - start, lowercased: literal)
    }

    @inline(__always)
    private static func loadWord(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    private static func loadHalf(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }

    // MARK: Lists

    /// Range with leading and trailing OWS removed.
    @inline(__always)
    static func trimOWS(_ p: UnsafeRawPointer, _ start: Int, _ end: Int) -> (start: Int, end: Int) {
        var s = start, e = end
        while s < e && isWhitespace(p.load(fromByteOffset: s, as: UInt8.self)) { s &+= 1 }
        while e > s && isWhitespace(p.load(fromByteOffset: e &- 1, as: UInt8.self)) { e &-= 1 }
        return (s, e)
    }

    /// Calls `body` with each non-empty, OWS-trimmed element of a comma-separated list
    /// (RFC 9110 5.6.1) in `p[start..<end]`; stops early when `body` returns false.
    @inline(__always)
    static func forEachListElement(
        _ p: UnsafeRawPointer, _ start: Int, _ end: Int, _ body: (_ start: Int, _ end: Int) -> Bool
    ) {
        var s = start
        while s < end {
            var e = s
            while e < end && p.load(fromByteOffset: e, as: UInt8.self) != comma { e &+= 1 }
            let t = trimOWS(p, s, e)
            if t.start < t.end && !body(t.start, t.end) { return }
            s = e &+ 1
        }
    }
}

/// Runs `body` on the UTF-8 bytes of `string` without copying native strings.
@inline(__always)
func withUTF8Bytes<R>(_ string: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    if let result = try string.utf8.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
        return result
    }
    var s = string
    return try s.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
}
