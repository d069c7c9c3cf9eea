/// Validation of `uri-host [ ":" port ]` (RFC 3986 3.2.2-3.2.3), used for the Host field and absolute-form authorities.
enum URIHost {
    /// True for an IP-literal (IPv6 only) or a non-empty reg-name / IPv4 address, optionally followed by `:port`
    /// (1-5 digits, at most 65535). Userinfo, paths, whitespace and control bytes are rejected.
    static func isValid(_ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard start < end, let base = buf.baseAddress else { return false }
        let p = base.assumingMemoryBound(to: UInt8.self)
        var i = start
        if p[i] == 0x5B {  // "[" IPv6address "]"
            i &+= 1
            let literalStart = i
            while i < end && p[i] != 0x5D {
                let b = p[i]
                guard ASCII.hasClass(b, ASCII.hexClass) || b == ASCII.colon || b == ASCII.dot else { return false }
                i &+= 1
            }
            guard i < end, i > literalStart else { return false }
            i &+= 1
        } else {
            while i < end {
                let b = p[i]
                if isRegNameByte(b) {
                    i &+= 1
                    continue
                }
                if b == ASCII.percent {
                    guard i &+ 2 < end, ASCII.hasClass(p[i &+ 1], ASCII.hexClass),
                          ASCII.hasClass(p[i &+ 2], ASCII.hexClass) else { return false }
                    i &+= 3
                } else if b == ASCII.colon {
                    break
                } else {
                    return false
                }
            }
            guard i > start else { return false }
        }
        if i == end { return true }
        guard p[i] == ASCII.colon else { return false }
        i &+= 1
        guard end - i >= 1 && end - i <= 5 else { return false }
        var port = 0
        while i < end {
            guard ASCII.isDigit(p[i]) else { return false }
            port = port &* 10 &+ Int(p[i] &- 0x30)
            i &+= 1
        }
        return port <= 65535
    }

    /// unreserved / sub-delims (RFC 3986 2.2-2.3); pct-encoded is handled by the caller.
    @inline(__always)
    static func isRegNameByte(_ b: UInt8) -> Bool { ASCII.hasClass(b, ASCII.regNameClass) }
}
