/// LDAP filter injection: a value that closes a filter it never opened and starts a new one,
/// `admin)(|(password=*)`, `*)(uid=*))(|(uid=*`. Balanced filters a user legitimately types
/// (`(objectClass=person)`) are not findings.
enum LDAPDetector {
    static let filterBreak = Rule("ldap.filter-break", .ldap, .critical, "LDAP filter closed and a new one opened")

    static func scan(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        let n = s.count
        var depth = 0
        var i = 0
        while i < n {
            switch s[i] {
            case 0x28: depth += 1
            case 0x29:
                if depth == 0 {
                    // `)` with nothing open, then `(` + attribute/operator: a new filter component.
                    var k = i + 1
                    while k < n && (ByteClass.isSpace(s[k]) || s[k] == 0x29) { k += 1 }
                    // The `)`s and spaces skipped lead to the same place: judged once (linear on `))))...`).
                    let runEnd = k
                    defer { i = runEnd - 1 }
                    // `x)&(cn=admin`: an operator joining the closed filter to a new one.
                    if k + 1 < n, s[k] == 0x26 || s[k] == 0x7C, s[k + 1] == 0x28 { k += 1 }
                    if k < n, s[k] == 0x28 {
                        k += 1
                        while k < n && ByteClass.isSpace(s[k]) { k += 1 }
                        if k < n, s[k] == 0x7C || s[k] == 0x26 || s[k] == 0x21 || ByteClass.isAlpha(s[k]) {
                            var a = k
                            while a < n && (ByteClass.isAlnum(s[a]) || s[a] == 0x2D || s[a] == 0x2E || s[a] == 0x3B) { a += 1 }
                            while a < n && ByteClass.isSpace(s[a]) { a += 1 }
                            let op = a < n && (s[a] == 0x3D || s[a] == 0x7E || s[a] == 0x3C || s[a] == 0x3E)
                            if !ByteClass.isAlpha(s[k]) || op {
                                report.add(filterBreak, s, max(0, i - 20)..<min(n, k + 30))
                                return
                            }
                        }
                    }
                } else {
                    depth -= 1
                }
            default: break
            }
            i += 1
        }
    }
}
