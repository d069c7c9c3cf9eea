/// `a=1&b=2` as in query strings and application/x-www-form-urlencoded bodies: calls `visit`
/// with the raw (still encoded) name and value of each pair, in order, without copying.
enum FormParser {
    static func forEachPair(_ s: UnsafeRawBufferPointer, separator: UInt8 = 0x26,
                            _ visit: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        var start = 0
        let n = s.count
        while start <= n {
            var end = start
            var equals = -1
            while end < n && s[end] != separator {
                if equals < 0 && s[end] == 0x3D { equals = end }
                end += 1
            }
            if end > start {
                if equals >= 0 {
                    visit(UnsafeRawBufferPointer(rebasing: s[start..<equals]), UnsafeRawBufferPointer(rebasing: s[(equals + 1)..<end]))
                } else {
                    visit(UnsafeRawBufferPointer(rebasing: s[start..<end]), UnsafeRawBufferPointer(rebasing: s[end..<end]))
                }
            }
            start = end + 1
        }
    }
}

/// `Cookie: a=1; b=2`: raw names and values, surrounding spaces and quotes around values removed.
enum CookieParser {
    static func forEachCookie(_ s: UnsafeRawBufferPointer,
                              _ visit: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        FormParser.forEachPair(s, separator: 0x3B) { name, value in
            visit(trim(name), trim(value))
        }
    }

    static func trim(_ s: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var a = 0, b = s.count
        while a < b && (s[a] == 0x20 || s[a] == 0x09) { a += 1 }
        while b > a && (s[b - 1] == 0x20 || s[b - 1] == 0x09) { b -= 1 }
        return UnsafeRawBufferPointer(rebasing: s[a..<b])
    }
}
