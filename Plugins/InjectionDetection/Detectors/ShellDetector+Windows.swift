/// Windows batch grammar (`FOR /F ... IN (...) DO`, `IF [NOT] EXIST`) and the bounded look-aheads
/// the scan shares.
extension ShellDetector {
    /// Windows batch keywords whose grammar is unmistakable: `FOR /F %i IN (...) DO`, `IF [/I] [NOT] EXIST x cmd`.
    static func batchStatement(_ s: UnsafeRawBufferPointer, _ start: Int, _ report: inout Report) -> Bool {
        let n = s.count
        func skipSpaces(_ i: inout Int) { i = skipBlanks(s, i) }
        // Keywords are short: a word is read up to 16 bytes (this runs at every command start).
        func word(_ i: inout Int) -> Range<Int> {
            let a = i
            while i < n && i - a < 16 && !ByteClass.isSpace(s[i]) && s[i] != 0x2B && s[i] != 0x28 { i += 1 }
            return a..<i
        }
        func isWord(_ r: Range<Int>, _ w: StaticString) -> Bool { r.count == w.utf8CodeUnitCount && ByteClass.hasPrefix(s, at: r.lowerBound, w) }
        var i = start
        let first = word(&i)
        if isWord(first, "for") {
            // FOR [/D|/R path|/L|/F "options"] %var IN (set) DO command: an IN ( ... ) DO after a %variable.
            guard let percent = ByteClass.firstIndex(of: 0x25, in: s, from: i, within: 120), let inAt = findWithin(s, "in", from: percent, within: 40),
                  inAt > 0, ByteClass.isSpace(s[inAt - 1]) || s[inAt - 1] == 0x2B else { return false }
            var k = inAt + 2
            skipSpaces(&k)
            guard k < n, s[k] == 0x28, let close = ByteClass.firstIndex(of: 0x29, in: s, from: k, within: 300),
                  let doAt = findWithin(s, "do", from: close, within: 8) else { return false }
            report.add(windows, s, start..<min(n, doAt + 20))
            return true
        } else if isWord(first, "if") || (first.count > 2 && ByteClass.hasPrefix(s, at: first.lowerBound, "if/")) {
            if first.count > 2 { i = first.lowerBound + 2 }
            skipSpaces(&i)
            if i + 1 < n, s[i] == 0x2F, ByteClass.lower(s[i + 1]) == 0x69 { i += 2; skipSpaces(&i) }
            var w = word(&i)
            if isWord(w, "not") { skipSpaces(&i); w = word(&i) }
            if isWord(w, "exist") || isWord(w, "defined") || isWord(w, "errorlevel") || isWord(w, "cmdextversion") {
                report.add(windows, s, start..<min(n, i + 40))
                return true
            }
            // IF a==b, IF %x% EQU 1, IF (2 GEQ 15)
            if let eq = findWithin(s, "==", from: w.lowerBound, within: 60), eq + 2 < n, !ByteClass.isSpace(s[eq + 2]) {
                report.add(windows, s, start..<min(n, eq + 30))
                return true
            }
            var k = w.lowerBound
            var steps = 0
            while k < n && steps < 6 {
                if k + 1 < n && s[k] == 0x3D && s[k + 1] == 0x3D { report.add(windows, s, start..<min(n, k + 30)); return true }
                var m = k
                let next = word(&m)
                for op: StaticString in ["equ", "neq", "lss", "leq", "gtr", "geq"] where isWord(next, op) {
                    report.add(windows, s, start..<min(n, m + 30))
                    return true
                }
                if m == k { m += 1 }
                k = m
                skipSpaces(&k)
                steps += 1
            }
        }
        return false
    }

    /// `needle` starting within `within` bytes of `from`: look-aheads stay bounded, so the scan stays linear.
    static func findWithin(_ s: UnsafeRawBufferPointer, _ needle: StaticString, from: Int, within: Int) -> Int? {
        guard from < s.count else { return nil }
        let window = UnsafeRawBufferPointer(rebasing: s[from..<min(s.count, from + within + needle.utf8CodeUnitCount)])
        return ByteClass.find(window, needle).map { $0 + from }
    }

}
