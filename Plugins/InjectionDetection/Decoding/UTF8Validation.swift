/// UTF-8 well-formedness, with overlong forms told apart: `%C0%AE` for `.` exists only to slip
/// past filters that compare bytes, so it is a finding of its own, unlike text in a legacy charset.
enum UTF8Validation {
    enum Result { case valid, invalid, overlong }

    static func check(_ bytes: UnsafeRawBufferPointer) -> Result {
        var result = Result.valid
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let need: Int
            var minSecond: UInt8 = 0x80
            switch b {
            case 0xC0, 0xC1: return .overlong
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; minSecond = 0xA0
            case 0xE1...0xEF: need = 2
            case 0xF0: need = 3; minSecond = 0x90
            case 0xF1...0xF4: need = 3
            default: result = .invalid; i += 1; continue
            }
            guard i + need < n else { return .invalid }
            if bytes[i + 1] < minSecond && bytes[i + 1] >= 0x80 && minSecond > 0x80 { return .overlong }
            for k in 1...need where bytes[i + k] & 0xC0 != 0x80 { result = .invalid }
            i += need + 1
        }
        return result
    }
}
