extension HTTPRequestHead {
    /// RFC 3986 5.2.4 remove_dot_segments on the path, after decoding `%2E`/`%2e` to `.` (so `%2e%2e` is seen
    /// as `..`) and upper-casing every other %-escape; the query is untouched. Works in place, without allocating.
    ///
    /// Returns false, leaving the target in an unspecified state, when `..` would climb above the root, a
    /// %-escape is malformed, or the target is neither origin-form nor `*` (the caller answers 400).
    /// On success the normalised target replaces the raw one, so routing and forwarding see the same path.
    /// Other escapes (including `%2F`) stay encoded and are not segment separators.
    public mutating func normalizePath() -> Bool {
        // 1: origin-form and already normal, 0: origin-form, -1: asterisk-form, -2: neither.
        let form = targetBytes.withUnsafeBytes { buf -> Int in
            guard buf.count > 0, let p = buf.baseAddress, buf[0] == ASCII.slash else {
                return buf.count == 1 && buf[0] == 0x2A ? -1 : -2
            }
            // A path without '.' and '%' is already normal (every segment would be copied unchanged).
            let i = ASCII.find(ASCII.dot, ASCII.percent, ASCII.question, in: p, from: 0, end: buf.count)
            return i == buf.count || buf[i] == ASCII.question ? 1 : 0
        }
        guard form >= 0 else { return form == -1 }
        if form == 1 { return true }
        let pathEnd = self.pathEnd
        let count = targetBytes.count
        let newCount: Int? = targetBytes.withUnsafeMutableBytes { buf in
            // Output never outgrows the input read so far, so writing at `w` never overtakes reading.
            var w = 0
            var r = 0  // always at the '/' that starts the next segment
            while r < pathEnd {
                let segmentStart = r + 1
                var segmentEnd = segmentStart
                while segmentEnd < pathEnd && buf[segmentEnd] != ASCII.slash { segmentEnd += 1 }
                let isLast = segmentEnd == pathEnd
                guard let dots = HTTPRequestHead.dotSegment(buf, segmentStart, segmentEnd) else { return nil }
                switch dots {
                case 1:
                    break
                case 2:
                    guard w > 0 else { return nil }
                    repeat { w -= 1 } while buf[w] != ASCII.slash
                default:
                    buf[w] = ASCII.slash
                    w += 1
                    w = HTTPRequestHead.copySegment(buf, segmentStart, segmentEnd, to: w)
                }
                if dots > 0 && isLast {  // "/a/." and "/a/b/.." keep the trailing slash
                    buf[w] = ASCII.slash
                    w += 1
                }
                r = segmentEnd
            }
            for k in 0..<(count - pathEnd) { buf[w + k] = buf[pathEnd + k] }
            return w + count - pathEnd
        }
        guard let newCount else { return false }
        targetBytes.removeLast(count - newCount)
        return true
    }

    /// 1 or 2 when the segment decodes to "." or "..", 0 for any other segment, nil on a malformed %-escape.
    private static func dotSegment(_ buf: UnsafeMutableRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        var dots = 0, other = false
        var i = start
        while i < end {
            if buf[i] == ASCII.percent {
                guard i + 2 < end, let hi = ASCII.hexValue(buf[i + 1]), let lo = ASCII.hexValue(buf[i + 2]) else {
                    return nil
                }
                if hi == 2 && lo == 0xE { dots += 1 } else { other = true }
                i += 3
            } else {
                if buf[i] == ASCII.dot { dots += 1 } else { other = true }
                i += 1
            }
        }
        return other || dots > 2 ? 0 : dots
    }

    /// Copies a (validated) segment to `w`, decoding `%2E` and upper-casing other escapes. Returns the new `w`.
    private static func copySegment(_ buf: UnsafeMutableRawBufferPointer, _ start: Int, _ end: Int, to w: Int) -> Int {
        var w = w, i = start
        while i < end {
            guard buf[i] == ASCII.percent else {
                buf[w] = buf[i]
                w += 1
                i += 1
                continue
            }
            let hi = ASCII.hexValue(buf[i + 1])!, lo = ASCII.hexValue(buf[i + 2])!
            if hi == 2 && lo == 0xE {
                buf[w] = ASCII.dot
                w += 1
            } else {
                buf[w] = ASCII.percent
                buf[w + 1] = ASCII.hexDigit(hi)
                buf[w + 2] = ASCII.hexDigit(lo)
                w += 3
            }
            i += 3
        }
        return w
    }
}
