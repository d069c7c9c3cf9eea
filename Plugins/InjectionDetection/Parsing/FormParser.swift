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
