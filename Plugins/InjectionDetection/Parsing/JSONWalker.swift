/// Streams through JSON without building a tree and reports every key and string value with
/// its path (keys joined by `.`, array indexes left out: `entry.resource.text.div`), decoded
/// (`\u0027` becomes `'`, surrogate pairs become one code point). Numbers, booleans and null
/// carry no injection and are skipped. Linear; the nesting depth is capped.
struct JSONWalker {
    enum Visit { case key, value }

    static let maxDepth = 64

    /// Path bytes and where each level's key starts in them.
    private var path: [UInt8] = []
    private var levels: [(isObject: Bool, pathLength: Int)] = []
    private var text: [UInt8] = []

    /// Returns false when the input is not JSON (the caller then judges it as raw text); a
    /// truncated document (a body cut at `max_body`) is fine up to where it stops.
    mutating func walk(_ s: UnsafeRawBufferPointer,
                       _ visit: (_ kind: Visit, _ path: UnsafeRawBufferPointer, _ text: UnsafeRawBufferPointer) -> Void) -> Bool {
        path.removeAll(keepingCapacity: true)
        levels.removeAll(keepingCapacity: true)
        let n = s.count
        var i = skipSpace(s, 0)
        guard i < n, s[i] == 0x7B || s[i] == 0x5B || s[i] == 0x22 else { return false }
        var expectKey = false
        while i < n {
            let b = s[i]
            switch b {
            case 0x7B, 0x5B:  // { [
                guard levels.count < JSONWalker.maxDepth else { return true }
                levels.append((b == 0x7B, path.count))
                expectKey = b == 0x7B
                i += 1
            case 0x7D, 0x5D:
                guard let level = levels.popLast() else { return false }
                path.removeSubrange(trimmedPathStart(level.pathLength)...)
                i += 1
                // The root closed: anything but space after it is not JSON (`{}"x"`), and the
                // caller judges the whole body as text.
                if levels.isEmpty { return skipSpace(s, i) == n }
            case 0x2C:  // ,
                if let level = levels.last, level.isObject {
                    path.removeSubrange(trimmedPathStart(level.pathLength)...)
                    expectKey = true
                }
                i += 1
            case 0x3A:
                expectKey = false
                i += 1
            case 0x22:
                let end = string(s, i)
                // A string cut by the end of the input (a body cut at `max_body`) is judged as far
                // as it goes: a payload padded past the limit must not skip inspection.
                if end == nil && levels.isEmpty { return false }
                if expectKey, let level = levels.last {
                    path.removeSubrange(trimmedPathStart(level.pathLength)...)
                    if !path.isEmpty { path.append(0x2E) }
                    path.append(contentsOf: text)
                    path.withUnsafeBytes { p in text.withUnsafeBytes { t in visit(.key, p, t) } }
                } else {
                    path.withUnsafeBytes { p in text.withUnsafeBytes { t in visit(.value, p, t) } }
                }
                guard let end else { return true }
                i = end
            case 0x20, 0x09, 0x0A, 0x0D:
                i += 1
            default:
                // Numbers, true, false, null.
                guard ByteClass.isAlnum(b) || b == 0x2D || b == 0x2E || b == 0x2B else { return false }
                i += 1
            }
        }
        return true
    }

    /// The path of the parent level: keys are appended after it, so dropping back to it drops the key.
    private func trimmedPathStart(_ length: Int) -> Int { min(length, path.count) }

    private func skipSpace(_ s: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var i = start
        while i < s.count && ByteClass.isSpace(s[i]) { i += 1 }
        return i
    }

    /// Decodes the string starting at the quote `start` into `text`; returns the index after
    /// its closing quote, or nil when it does not close.
    private mutating func string(_ s: UnsafeRawBufferPointer, _ start: Int) -> Int? {
        text.removeAll(keepingCapacity: true)
        let n = s.count
        var i = start + 1
        while i < n {
            // Runs without escapes are copied at once: most strings have none.
            let run = i
            while i < n && s[i] != 0x22 && s[i] != 0x5C { i += 1 }
            if i > run { text.append(contentsOf: UnsafeRawBufferPointer(rebasing: s[run..<i])) }
            guard i < n else { return nil }
            if s[i] == 0x22 { return i + 1 }
            guard i + 1 < n else { return nil }
            let e = s[i + 1]
            i += 2
            switch e {
            case 0x6E: text.append(0x0A)
            case 0x72: text.append(0x0D)
            case 0x74: text.append(0x09)
            case 0x62: text.append(0x08)
            case 0x66: text.append(0x0C)
            case 0x75:
                guard var scalar = hex4(s, i) else { text.append(0x5C); text.append(e); continue }
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00, i + 5 < n, s[i] == 0x5C, s[i + 1] == 0x75, let low = hex4(s, i + 2),
                   low >= 0xDC00 && low < 0xE000 {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                UTF8Encoding.append(scalar, to: &text)
            default: text.append(e)
            }
        }
        return nil
    }

    private func hex4(_ s: UnsafeRawBufferPointer, _ i: Int) -> UInt32? {
        guard i + 3 < s.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let h = ByteClass.hexValue(s[i + k]) else { return nil }
            v = v << 4 | UInt32(h)
        }
        return v
    }
}
