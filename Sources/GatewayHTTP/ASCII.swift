#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-level helpers shared by the parsers, the header table and the chunked decoder.
/// Everything here works on raw bytes so the parse path never builds a `String`.
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

    // RFC 9110 5.6.2 tchar as two 64-bit masks (bytes 0-63 and 64-127);
    // a test checks them against the grammar.
    private static let tcharLow: UInt64 = 0x03FF_6CFA_0000_0000
    private static let tcharHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    /// The bytes of a literal (static storage, valid forever).
    @inline(__always)
    static func bytes(_ literal: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
    }

    @inline(__always)
    static func isTchar(_ b: UInt8) -> Bool { isMember(b, low: tcharLow, high: tcharHigh) }

    /// Membership of an ASCII byte in a set given as bit masks for bytes 0-63 and 64-127.
    @inline(__always)
    static func isMember(_ b: UInt8, low: UInt64, high: UInt64) -> Bool {
        if b < 64 { return (low >> UInt64(b)) & 1 != 0 }
        if b < 128 { return (high >> UInt64(b &- 64)) & 1 != 0 }
        return false
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

    /// Index of the first control byte (HTAB included, which callers then allow) or DEL in `buf[from..<end]`, or `end`.
    @inline(__always)
    static func skipFieldValueBytes(_ buf: UnsafeRawBufferPointer, from: Int, end: Int) -> Int {
        scan(buf, from, end, { w in less(w, 0x20) | equal(w, 0x7F) }, { b in b < 0x20 || b == 0x7F })
    }

    /// Index of the first byte in `buf[from..<end]` that is not a request-target byte (visible ASCII except `#`),
    /// e.g. the SP ending the target, or `end`.
    @inline(__always)
    static func skipTargetBytes(_ buf: UnsafeRawBufferPointer, from: Int, end: Int) -> Int {
        scan(buf, from, end, { w in less(w, 0x21) | equal(w, 0x7F) | equal(w, 0x23) | (w & highBits) },
             { b in !isTargetByte(b) })
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

    @inline(__always)
    private static func scan(
        _ buf: UnsafeRawBufferPointer, _ from: Int, _ end: Int, _ flags: (UInt64) -> UInt64, _ stop: (UInt8) -> Bool
    ) -> Int {
        var i = from
        if let base = buf.baseAddress {
            while i + 8 <= end {
                let f = flags(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                if f != 0 { return i + f.trailingZeroBitCount / 8 }
                i += 8
            }
        }
        while i < end && !stop(buf[i]) { i += 1 }
        return i
    }

    /// Index of the first LF in `buf[from..<end]`, or nil.
    @inline(__always)
    static func findLF(_ buf: UnsafeRawBufferPointer, from: Int, end: Int) -> Int? {
        guard from < end, let base = buf.baseAddress else { return nil }
        guard let hit = memchr(base + from, Int32(lf), end - from) else { return nil }
        return UnsafeRawPointer(hit) - base
    }

    /// ASCII case-insensitive equality of two byte ranges of the same length.
    @inline(__always)
    static func equalsIgnoringCase(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool {
        for i in 0..<count {
            let x = a.load(fromByteOffset: i, as: UInt8.self)
            let y = b.load(fromByteOffset: i, as: UInt8.self)
            if x != y && lower(x) != lower(y) { return false }
        }
        return true
    }

    /// Case-insensitive comparison of `buf[start..<end]` with a lower-case ASCII literal.
    @inline(__always)
    static func equals(
        _ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int, lowercased literal: StaticString
    ) -> Bool {
        guard end - start == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        for i in 0..<(end - start) where lower(buf[start + i]) != lit[i] { return false }
        return true
    }

    /// Range with leading and trailing OWS removed.
    @inline(__always)
    static func trimOWS(_ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> (start: Int, end: Int) {
        var s = start, e = end
        while s < e && isWhitespace(buf[s]) { s += 1 }
        while e > s && isWhitespace(buf[e - 1]) { e -= 1 }
        return (s, e)
    }

    /// Calls `body` with each non-empty, OWS-trimmed element of a comma-separated list
    /// (RFC 9110 5.6.1) in `buf[start..<end]`; stops early when `body` returns false.
    @inline(__always)
    static func forEachListElement(
        _ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ body: (_ start: Int, _ end: Int) -> Bool
    ) {
        var s = start
        while s < end {
            var e = s
            while e < end && buf[e] != comma { e += 1 }
            let t = trimOWS(buf, s, e)
            if t.start < t.end && !body(t.start, t.end) { return }
            s = e + 1
        }
    }
}

/// Runs `body` on the UTF-8 bytes of `string` without copying native strings.
@inline(__always)
func withUTF8Bytes<R>(_ string: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    var s = string
    return try s.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
}
