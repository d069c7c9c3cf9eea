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
