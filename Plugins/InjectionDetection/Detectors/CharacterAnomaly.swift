/// A value with no data in it: nothing but the punctuation SQL (and shells) give meaning to,
/// `!@#$%^`, `((((()))))`, `"'`, `‘ -`, or a long run of one of them (`@@@@@@@@@@@@`).
/// Scanners send these to see which characters an application lets through unescaped; people
/// type words and numbers, or repeat one mark (`!!!`, `***`, `---`). Empty containers
/// (`{}`, `[ ]`, `""`), emoticons (`:-)`, `>:(`), password masks, template braces, HTML comment
/// delimiters and comparison operators (`>=`, `!=`, `<>`: a FHIR Quantity's `comparator`, a query
/// builder's operator) are data.
enum CharacterAnomaly {
    static let rule = Rule("sqli.special-characters", .sqli, .critical,
                           "value made only of special characters (!@#$%^, ((((())))), @@@@@@@@@@): a probe")

    /// Bytes of a run of one character that count as a probe on their own.
    static let longRun = 8

    static func scan(_ s: UnsafeRawBufferPointer, inCookie: Bool, _ report: inout Report) {
        guard s.count >= 2, s.count <= 256 else { return }
        if inCookie { cookieRun(s, &report) }
        var specials = 0
        var kinds: UInt32 = 0
        var run = 0, longest = 0
        var last = -1
        var i = 0
        while i < s.count {
            let b = s[i]
            var kind: Int
            if let k = special[Int(b)] {
                kind = Int(k)
                i += 1
            } else if ByteClass.isSpace(b) {
                i += 1
                continue
            } else if b == 0xC2, i + 1 < s.count, s[i + 1] == 0xB4 {  // acute accent used as a quote
                kind = quoteKind
                i += 2
            } else if b == 0xE2, i + 2 < s.count, s[i + 1] == 0x80, s[i + 2] >= 0x98 && s[i + 2] <= 0x9F {  // typographic quotes
                kind = quoteKind
                i += 3
            } else {
                return
            }
            specials += 1
            kinds |= 1 << UInt32(kind)
            run = kind == last ? run + 1 : 1
            longest = max(longest, run)
            last = kind
        }
        guard specials >= 2, kinds.nonzeroBitCount >= 2 || longest >= longRun, !isData(s) else { return }
        // A password may be any characters (`!@#$%^&*()` is a keyboard walk people use): judged
        // by the other rules only, or a patient could not log in.
        if isCredential(report.fieldName) { return }
        report.add(rule, s, 0..<s.count)
    }

    /// Cookies are written by the application, not typed: a run of one special character in one
    /// (`~~~~~~~~~&x=y`) is a probe even with data around it.
    private static func cookieRun(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        var run = 0
        for i in 0..<s.count {
            run = special[Int(s[i])] != nil && i > 0 && s[i] == s[i - 1] ? run + 1 : 1
            if run >= longRun && s[i] != 0x2A {
                report.add(rule, s, (i + 1 - run)..<s.count)
                return
            }
        }
    }

    /// A field named like a password, passphrase, PIN or secret (the last key of a JSON path).
    static func isCredential(_ name: UnsafeRawBufferPointer) -> Bool {
        var start = name.count
        while start > 0 && name[start - 1] != 0x2E { start -= 1 }
        let last = UnsafeRawBufferPointer(rebasing: name[start...])
        for word: StaticString in ["pass", "pwd", "secret"] where ByteClass.find(last, word) != nil { return true }
        return (last.count == 3 && ByteClass.hasPrefix(last, at: 0, "pin")) || (last.count == 2 && ByteClass.hasPrefix(last, at: 0, "pw"))
    }

    /// Containers and comparison operators of two characters (spaces aside), emoticons (an optional
    /// brow, eyes, an optional nose, a mouth), masks, template braces, HTML comment delimiters.
    private static func isData(_ s: UnsafeRawBufferPointer) -> Bool {
        if ByteClass.contains(s, 0x7B) || ByteClass.contains(s, 0x7D) || ByteClass.find(s, "<!--") != nil || ByteClass.find(s, "-->") != nil {
            return true
        }
        // The first four marks, spaces left out; a mask is `*` only.
        var m0: UInt8 = 0, m1: UInt8 = 0, m2: UInt8 = 0, m3: UInt8 = 0
        var n = 0
        var mask = true
        for b in s where !ByteClass.isSpace(b) {
            switch n {
            case 0: m0 = b
            case 1: m1 = b
            case 2: m2 = b
            case 3: m3 = b
            default: break
            }
            mask = mask && b == 0x2A
            n += 1
        }
        if mask { return true }
        if n == 2 && ((m0 == 0x5B && m1 == 0x5D) || (m0 == 0x28 && m1 == 0x29) || (m0 == m1 && (m0 == 0x22 || m0 == 0x27))
                      || (m1 == 0x3D && (m0 == 0x3C || m0 == 0x3E || m0 == 0x21)) || (m0 == 0x3C && m1 == 0x3E)) {
            return true
        }
        // Emoticons: [>] eyes [nose] mouth.
        guard n >= 2 && n <= 4 else { return false }
        var marks = (m0, m1, m2, m3)
        if m0 == 0x3E && n > 2 { marks = (m1, m2, m3, 0); n -= 1 }
        let eyes = marks.0 == 0x3A || marks.0 == 0x3B || marks.0 == 0x3D
        let nose = n == 3 && (marks.1 == 0x2D || marks.1 == 0x27)
        guard eyes, n == 2 || (n == 3 && nose) else { return false }
        let mouth = n == 2 ? marks.1 : marks.2
        return mouth == 0x29 || mouth == 0x28 || mouth == 0x5D || mouth == 0x5B || mouth == 0x7C || mouth == 0x2A
    }

    /// `~!@#$%^&*()-+={}[]|:;"'<>` and the backtick, each its own kind.
    private static let special: [UInt8?] = {
        var t = [UInt8?](repeating: nil, count: 256)
        for (k, b) in Array("~!@#$%^&*()-+={}[]|:;<>\"'`".utf8).enumerated() { t[Int(b)] = UInt8(k) }
        return t
    }()

    /// Typographic quotes and the acute accent are the kind of `'`: `’’` and `„“` are one mark repeated.
    private static let quoteKind = Int(special[0x27]!)
}
