import GatewayHTTP

/// UTF-8 well-formedness, with overlong forms told apart: `%C0%AE` for `.` exists only to slip
/// past filters that compare bytes, so it is a finding of its own, unlike text in a legacy charset.
enum UTF8Validation {
    enum Result { case valid, invalid, overlong }

    static func check(_ bytes: UnsafeRawBufferPointer) -> Result {
        var result = Result.valid
        var i = 0
        let n = bytes.count
        while i < n {
            let (scalar, length) = UTF8Sequence.decode(bytes, at: i, end: n)
            if scalar == nil {
                if isOverlong(bytes, i) { return .overlong }
                result = .invalid
            }
            i += length
        }
        return result
    }

    /// `C0`/`C1` leads, and `E0`/`F0` leads whose second byte is a continuation below the range
    /// that the shortest form would need.
    private static func isOverlong(_ bytes: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        let lead = bytes[i]
        if lead == 0xC0 || lead == 0xC1 { return true }
        guard i + 1 < bytes.count, lead == 0xE0 || lead == 0xF0 else { return false }
        let second = bytes[i + 1]
        return second >= 0x80 && second < (lead == 0xE0 ? 0xA0 : 0x90)
    }
}
