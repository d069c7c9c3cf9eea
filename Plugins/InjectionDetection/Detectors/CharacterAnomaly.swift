/// A value with no data in it: nothing but the punctuation SQL (and shells) give meaning to,
/// `!@#$%^`, `((((()))))`, `~~~~~~~~`, `"'`, `‘ -`. Scanners send these to see which
/// characters an application lets through unescaped; people type words, numbers or at most
/// one such character. Empty containers (`{}`, `[]`, `()`, `""`), emoticons (`:-)`) and the
/// range comparators `<=`/`>=` (a FHIR Quantity's `comparator`) are data.
enum CharacterAnomaly {
    static let rule = Rule("sqli.special-characters", .sqli, .critical,
                           "value made only of special characters (!@#$%^, ((((())))), ~~~~~~~~): a probe")

    static func scan(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        guard s.count >= 2, s.count <= 256 else { return }
        var specials = 0
        var i = 0
        while i < s.count {
            let b = s[i]
            if special[Int(b)] {
                specials += 1
                i += 1
            } else if ByteClass.isSpace(b) {
                i += 1
            } else if b == 0xC2, i + 1 < s.count, s[i + 1] == 0xB4 {  // acute accent used as a quote
                specials += 1
                i += 2
            } else if b == 0xE2, i + 2 < s.count, s[i + 1] == 0x80, s[i + 2] >= 0x98 && s[i + 2] <= 0x9F {  // typographic quotes
                specials += 1
                i += 3
            } else {
                return
            }
        }
        guard specials >= 2, !isData(s), !isMarkupOrTemplate(s) else { return }
        report.add(rule, s, 0..<s.count)
    }

    /// Two-character containers and comparators, and emoticons: eyes, an optional nose, a mouth.
    private static func isData(_ s: UnsafeRawBufferPointer) -> Bool {
        let n = s.count
        if n == 2 {
            let a = s[0], b = s[1]
            if (a == 0x7B && b == 0x7D) || (a == 0x5B && b == 0x5D) || (a == 0x28 && b == 0x29) || (a == b && (a == 0x22 || a == 0x27)) {
                return true
            }
            if (a == 0x3C || a == 0x3E) && b == 0x3D { return true }
        }
        guard n <= 3, s[0] == 0x3A || s[0] == 0x3B || s[0] == 0x3D else { return false }
        if n == 3 && s[1] != 0x2D && s[1] != 0x27 { return false }
        let mouth = s[n - 1]
        return mouth == 0x29 || mouth == 0x28 || mouth == 0x5D || mouth == 0x5B || mouth == 0x7C || mouth == 0x2A
    }

    /// Braces are templates and JSON (`${}`, `{{}}`), not SQL; `<!--` and `-->` delimit an HTML
    /// comment, the markup detector's business.
    private static func isMarkupOrTemplate(_ s: UnsafeRawBufferPointer) -> Bool {
        ByteClass.contains(s, 0x7B) || ByteClass.contains(s, 0x7D) || ByteClass.find(s, "<!--") != nil || ByteClass.find(s, "-->") != nil
    }

    /// `~!@#$%^&*()-+={}[]|:;"'<>` and the backtick.
    private static let special: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for b in Array("~!@#$%^&*()-+={}[]|:;\"'`<>".utf8) { t[Int(b)] = true }
        return t
    }()
}
