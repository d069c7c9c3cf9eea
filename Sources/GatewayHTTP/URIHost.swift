/// Validation of `uri-host [ ":" port ]` (RFC 3986 3.2.2-3.2.3), used for the Host field and absolute-form authorities.
enum URIHost {
    /// True for an IP-literal (IPv6 only) or a non-empty reg-name / IPv4 address, optionally followed by `:port`
    /// (1-5 digits, at most 65535). Userinfo, paths, whitespace and control bytes are rejected.
    static func isValid(_ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard start < end else { return false }
        var i = start
        if buf[i] == 0x5B {  // "[" IPv6address "]"
            i += 1
            let literalStart = i
            while i < end && buf[i] != 0x5D {
                let b = buf[i]
                guard ASCII.hexValue(b) != nil || b == ASCII.colon || b == ASCII.dot else { return false }
                i += 1
            }
            guard i < end, i > literalStart else { return false }
            i += 1
        } else {
            while i < end && buf[i] != ASCII.colon {
                if buf[i] == ASCII.percent {
                    guard i + 2 < end, ASCII.hexValue(buf[i + 1]) != nil, ASCII.hexValue(buf[i + 2]) != nil else {
                        return false
                    }
                    i += 3
                    continue
                }
                guard isRegNameByte(buf[i]) else { return false }
                i += 1
            }
            guard i > start else { return false }
        }
        if i == end { return true }
        guard buf[i] == ASCII.colon else { return false }
        i += 1
        guard end - i >= 1 && end - i <= 5 else { return false }
        var port = 0
        while i < end {
            guard ASCII.isDigit(buf[i]) else { return false }
            port = port * 10 + Int(buf[i] &- 0x30)
            i += 1
        }
        return port <= 65535
    }

    /// unreserved / sub-delims (RFC 3986 2.2-2.3) as `ASCII.isMember` masks; pct-encoded is handled by the caller.
    private static let regNameLow: UInt64 = 0x2BFF_7FD2_0000_0000
    private static let regNameHigh: UInt64 = 0x47FF_FFFE_87FF_FFFE

    @inline(__always)
    static func isRegNameByte(_ b: UInt8) -> Bool { ASCII.isMember(b, low: regNameLow, high: regNameHigh) }
}
