/// Values that are SQL only as a whole: probes that test how an application builds its query
/// with a bare operator (`||`, `<=>`, `IS NULL`, `IN (1,2)`), a function or keyword left open
/// (`if (`, `concat (`, `version=(`), a quote followed by nothing but an expression (`'1'='10`,
/// `"2562*23`, `` `>65 ``) or closing a list item (`,varname"`), an escaped quote that defeats an
/// escaper (`\'and`, `\x27`), a stored procedure name after `EXECUTE`, a lone `@@variable`, text
/// as a hex literal (`0x726f6f74`), a comment fragment (`1--`, `/**/`), or an integer or float
/// boundary value. The same bytes inside prose are not a fragment: each rule looks at how the
/// value starts and ends.
extension SQLDetector {
    static let operatorFragment = Rule("sqli.operator-fragment", .sqli, .critical,
                                       "value that is only a SQL operator or comparison (||, <=>, IS NULL, IN (1,2))")
    static let openCall = Rule("sqli.open-call", .sqli, .critical, "SQL function or keyword left open: the value ends in its '(' (if (, concat ()")
    static let quoteProbe = Rule("sqli.quote-probe", .sqli, .critical, "quote followed only by operators and numbers ('1'='10, \"2*3, `>65)")
    static let escapedQuote = Rule("sqli.escaped-quote", .sqli, .critical, "backslash-escaped quote followed by SQL (\\'and, \\\"1 or)")
    static let systemVariable = Rule("sqli.system-variable", .sqli, .critical, "SQL server variable sent alone (@@version)")
    static let hexString = Rule("sqli.hex-string", .sqli, .critical, "text written as a SQL hex or bit literal (0x61646d696e, x'41', b'01')")
    static let commentFragment = Rule("sqli.comment-fragment", .sqli, .critical, "value that closes or opens a SQL comment (1--, /**/, */, /*+ hint */)")
    static let boundaryNumber = Rule("sqli.boundary-number", .sqli, .critical,
                                     "integer or floating-point boundary value (4294967296, 2.2250738585072011e-308)")

    /// Longest value judged as a whole fragment.
    static let maxFragment = 256

    /// Whole-value fragments, judged on the bare token stream `t` of `s`. Probes are short: a
    /// longer value is only checked for escaped quotes.
    static func fragments(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], isName: Bool, _ report: inout Report) {
        escapedQuote(s, &report)
        guard s.count <= maxFragment else { return }
        // The first two non-comment tokens, and how many there are (counting stops past two).
        var first = -1, second = -1, count = 0
        for i in 0..<t.count where t[i].kind != .comment {
            if first < 0 { first = i } else if second < 0 { second = i }
            count += 1
            if count > 2 { break }
        }
        // The value without its surrounding spaces: the byte-level probes look at how it starts and ends.
        var start = 0, end = s.count
        while start < end && ByteClass.isSpace(s[start]) { start += 1 }
        while end > start && ByteClass.isSpace(s[end - 1]) { end -= 1 }
        guard end > start else { return }
        if s[start] == 0x2F || s[start] == 0x2A { commentOnly(s, start, end, &report) }
        if s[end - 1] == 0x28 { openCall(s, end, &report) }
        if isQuote(s[start]) { quoteProbe(s, start, end, &report) }
        if s[0] == 0x2C { listProbe(s, &report) }
        if s[0] == 0x5C { hexEscapes(s, &report) }
        // A parameter name in single quotes (`?'bla'`): names are the application's identifiers,
        // and one that is quoted probes a query built from them (ORDER BY, column lists).
        if isName, s.count >= 3, s[0] == 0x27, s[s.count - 1] == 0x27 { report.add(quoteProbe, s, 0..<s.count) }
        guard first >= 0 else { return }
        let a = t[first]
        // `1--`, `7 #`, `1))#`: a number (and the parentheses it closes) and the comment that
        // cuts the rest of the query.
        if a.kind == .number {
            var c = first + 1
            while c < t.count && t[c].kind == .closeParen && c - first <= 4 { c += 1 }
            if c < t.count, t[c].kind == .comment, s[Int(t[c].start)] != 0x2F, next(t, c) >= t.count {
                report.add(commentFragment, s, range(t, first, c))
            }
        }
        if count == 1 {
            loneToken(s, a, isName: isName, &report)
        } else if count == 2, a.kind == .word, a.end - a.start == 1, t[second].kind == .string, t[second].start == a.end,
                  isHexOrBitString(s, a, t[second]) {
            report.add(hexString, s, range(t, first, second))
        } else if a.kind == .word, count == 2, t[second].kind == .word, word(s, t, first, "execute")
                    || word(s, t, first, "exec") && ByteClass.contains(UnsafeRawBufferPointer(rebasing: s[Int(t[second].start)..<Int(t[second].end)]), 0x5F) {
            // `EXECUTE procedure_name`: a statement naming what it runs and nothing else (`exec`
            // is also an abbreviation, "exec summary": with it the name must look like one).
            report.add(statement, s, range(t, first, second))
        } else if count == 2, a.kind == .op, a.end - a.start == 1, s[Int(a.start)] == 0x2D, t[second].kind == .number,
                  isBoundary(s, Int(t[second].start), Int(t[second].end)) {
            report.add(boundaryNumber, s, range(t, first, second))
        } else if SQLKeywords.has(a.keyword, SQLKeywords.comparison), a.kind == .word {
            comparisonFragment(s, t, first, &report)
        }
    }

    /// A value that is one operator (`||`, `<=>`, `->`) or one comparison word (`regexp`,
    /// `notnull`), or one boundary number. Comparison operators (`>=`, `!=`, `<>`, `==`) are also
    /// what query builders and FHIR's `comparator` send as values, so they count as names only.
    private static func loneToken(_ s: UnsafeRawBufferPointer, _ a: SQLToken, isName: Bool, _ report: inout Report) {
        let start = Int(a.start), end = Int(a.end)
        switch a.kind {
        case .op where end - start >= 2:
            if isName || !isComparisonOperator(s, start, end) { report.add(operatorFragment, s, start..<end) }
        case .word where SQLKeywords.has(a.keyword, SQLKeywords.comparison) && !SQLKeywords.has(a.keyword, SQLKeywords.english):
            // `glob` is also a file-pattern mode; the others are SQL's own.
            if !ByteClass.hasPrefix(s, at: start, "glob") { report.add(operatorFragment, s, start..<end) }
        case .number where isBoundary(s, start, end):
            report.add(boundaryNumber, s, start..<end)
        case .number where isHexText(s, start, end):
            report.add(hexString, s, start..<end)
        case .variable where end - start > 3 && s[start + 1] == 0x40:
            report.add(systemVariable, s, start..<end)
        default:
            break
        }
    }

    /// A value that starts with a comparison and ends with its operand: `IS NULL`, `like null`,
    /// `IS NOT NULL`, `in (1, 2)`, ` IN (815914, 815913)`. A list needs a comma or literals only,
    /// so "in (brackets)" stays prose.
    private static func comparisonFragment(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ first: Int, _ report: inout Report) {
        var j = next(t, first)
        if word(s, t, j, "not") { j = next(t, j) }
        if word(s, t, j, "null") || word(s, t, j, "true") || word(s, t, j, "false") || word(s, t, j, "unknown") {
            if next(t, j) >= t.count { report.add(operatorFragment, s, range(t, first, j)) }
            return
        }
        guard word(s, t, first, "in"), kind(t, j) == .openParen, s[Int(t[j].start)] == 0x28 else { return }
        var k = next(t, j)
        var commas = 0, literalsOnly = true, steps = 0
        while k < t.count && t[k].kind != .closeParen && steps < 64 {
            switch t[k].kind {
            case .comma: commas += 1
            case .number, .string, .op: break
            default: literalsOnly = false
            }
            k = next(t, k)
            steps += 1
        }
        guard k < t.count, next(t, k) >= t.count, commas > 0 || (literalsOnly && k > next(t, j)) else { return }
        report.add(operatorFragment, s, range(t, first, k))
    }

    /// The value ends in `(` right after a SQL keyword and a little punctuation: `if (`,
    /// `concat (`, `version=(`, `ln) (`, `left')?$(`. Prose does not end on an opening
    /// parenthesis; an emoticon (`date :(`) is not a call.
    private static func openCall(_ s: UnsafeRawBufferPointer, _ end: Int, _ report: inout Report) {
        guard end > 1, s[end - 1] == 0x28 else { return }
        var j = end - 1
        while j > 0 && end - j <= 6 && !ByteClass.isWord(s[j - 1]) {
            if s[j - 1] == 0x3A { return }
            j -= 1
        }
        guard j > 0, ByteClass.isWord(s[j - 1]) else { return }
        var w = j
        while w > 0 && ByteClass.isWord(s[w - 1]) && j - w <= 40 { w -= 1 }
        guard w == 0 || !ByteClass.isWord(s[w - 1]), SQLKeywords.table.lookup(s, w, j) != nil else { return }
        report.add(openCall, s, w..<end)
    }

    /// A value that opens with a quote and is then only an expression of numbers: `'1001'='10`,
    /// `"2562*23`, `` `>9e7 ``, `' ', 10`, `'0:0:6`. It must end on a number (a quoted date,
    /// `'2020-01-01'`, ends on its quote) and hold an operator or a comma.
    private static func quoteProbe(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ report: inout Report) {
        guard end - start >= 3, end - start <= 64, isQuote(s[start]), ByteClass.isDigit(s[end - 1]) else { return }
        var operators = 0
        for i in (start + 1)..<end {
            let b = s[i]
            if ByteClass.isDigit(b) || isQuote(b) || ByteClass.isSpace(b) || b == 0x2E { continue }
            if ByteClass.isAlpha(b) {
                // Only as part of a number: `9e7`, `0x1f`.
                guard ByteClass.isDigit(s[i - 1]) || (ByteClass.isAlnum(s[i - 1]) && ByteClass.hexValue(b) != nil) else { return }
                continue
            }
            guard isOperatorByte(b) else { return }
            operators += 1
        }
        if operators > 0 { report.add(quoteProbe, s, start..<end) }
    }

    /// `,varname"`: a list item closed by a quote, the value starting with the comma that
    /// continues the application's list and ending on the one quote that closes its string.
    private static func listProbe(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        guard s.count >= 3, s.count <= 64, s[0] == 0x2C, isQuote(s[s.count - 1]) else { return }
        var i = 1
        while i < s.count - 1 && ByteClass.isSpace(s[i]) { i += 1 }
        let word = i
        while i < s.count - 1 && ByteClass.isWord(s[i]) { i += 1 }
        if i > word && i == s.count - 1 { report.add(quoteProbe, s, 0..<s.count) }
    }

    /// `\x27`, `\x23\x22`: a value that is only hex escapes of quotes and comment marks, a probe for
    /// a backend that unescapes them.
    private static func hexEscapes(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        guard s.count >= 4, s.count <= 32, s.count % 4 == 0 else { return }
        var i = 0
        while i < s.count {
            guard s[i] == 0x5C, ByteClass.lower(s[i + 1]) == 0x78, let hi = ByteClass.hexValue(s[i + 2]), let lo = ByteClass.hexValue(s[i + 3]) else { return }
            let b = hi << 4 | lo
            guard isQuote(b) || b == 0x23 || b == 0x2D || b == 0x3B || b == 0x5C else { return }
            i += 4
        }
        report.add(escapedQuote, s, 0..<s.count)
    }

    /// `\'and`, `` \`or`1 ``, `\"1 or 1`: an application that escapes quotes by adding a
    /// backslash is defeated by one sent before the quote. A keyword must end at a word
    /// boundary that is not another escape (`{\"or\":1}` is escaped JSON).
    private static func escapedQuote(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        guard ByteClass.contains(s, 0x5C) else { return }
        var i = 0
        while i + 2 < s.count {
            guard s[i] == 0x5C, isQuote(s[i + 1]) else { i += 1; continue }
            var j = i + 2
            while j < s.count && ByteClass.isDigit(s[j]) { j += 1 }
            if j > i + 2 { while j < s.count && ByteClass.isSpace(s[j]) { j += 1 } }
            var e = j
            while e < s.count && ByteClass.isWord(s[e]) && e - j <= 20 { e += 1 }
            if e > j, SQLKeywords.has(SQLKeywords.table.lookup(s, j, e) ?? 0, SQLKeywords.logical | SQLKeywords.statement),
               e == s.count || s[e] != 0x5C {
                report.add(escapedQuote, s, i..<e)
                return
            }
            i += 2
        }
    }

    /// An empty comment (`/**/`), an optimizer hint (`/*+ ... */`) or a comment's end alone (`*/`):
    /// nothing but comment syntax. `#` and `--` lines are also markdown headings and signatures.
    private static func commentOnly(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ report: inout Report) {
        let n = end - start
        let closer = n == 2 && s[start] == 0x2A && s[start + 1] == 0x2F
        let comment = n >= 4 && s[start] == 0x2F && s[start + 1] == 0x2A && s[end - 2] == 0x2A && s[end - 1] == 0x2F
        if closer || comment && (n == 4 || s[start + 2] == 0x2B) { report.add(commentFragment, s, start..<end) }
    }

    /// `0x61646d696e`: an even number of hex digits (two or more bytes) that are all printable
    /// ASCII, the way injections spell strings without quotes. Colours and masks (`0xFF00FF`) are not text.
    private static func isHexText(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        let digits = end - start - 2
        guard digits >= 4, digits % 2 == 0, s[start] == 0x30, ByteClass.lower(s[start + 1]) == 0x78 else { return false }
        var i = start + 2
        while i < end {
            guard let hi = ByteClass.hexValue(s[i]), let lo = ByteClass.hexValue(s[i + 1]) else { return false }
            let b = hi << 4 | lo
            guard b >= 0x20 && b < 0x7F else { return false }
            i += 2
        }
        return true
    }

    /// `x'41'`, `X'4142'`, `b'0101'`: SQL's hex and bit string literals.
    private static func isHexOrBitString(_ s: UnsafeRawBufferPointer, _ prefix: SQLToken, _ string: SQLToken) -> Bool {
        let p = ByteClass.lower(s[Int(prefix.start)])
        guard p == 0x78 || p == 0x62, string.end - string.start >= 3, s[Int(string.start)] == 0x27, s[Int(string.end) - 1] == 0x27 else { return false }
        for i in (Int(string.start) + 1)..<(Int(string.end) - 1) {
            let b = s[i]
            guard p == 0x78 ? ByteClass.hexValue(b) != nil : (b == 0x30 || b == 0x31) else { return false }
        }
        return true
    }

    /// `==`, `!=`, `<>`, `<=`, `>=`: comparisons that filter languages share with SQL.
    static func isComparisonOperator(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard end - start == 2 else { return false }
        let a = s[start], b = s[start + 1]
        return b == 0x3D && (a == 0x3D || a == 0x21 || a == 0x3C || a == 0x3E) || a == 0x3C && b == 0x3E
    }

    @inline(__always) static func isQuote(_ b: UInt8) -> Bool { b == 0x27 || b == 0x22 || b == 0x60 }

    /// Binary arithmetic, comparison, bitwise and list punctuation of SQL expressions (`!` and `~`
    /// alone are unary: `` `!1 `` is not an expression continuing a string).
    @inline(__always) private static func isOperatorByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x3D, 0x3C, 0x3E, 0x2A, 0x2B, 0x2D, 0x2F, 0x25, 0x5E, 0x7C, 0x26, 0x2C, 0x3A: return true
        default: return false
        }
    }

    /// Integers one past a limit (2^31, 2^32, 2^63, 2^64) and the double that hung PHP and Java
    /// parsers (2.2250738585072011e-308): values that probe overflow handling. The maxima
    /// themselves (2147483647, 4294967295) are common "no limit" sentinels.
    private static let limits: [StaticString] = ["2147483648", "4294967296", "9223372036854775808", "18446744073709551616"]

    static func isBoundary(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        let n = end - start
        if n >= 10 && n <= 20 {
            for limit in limits where limit.utf8CodeUnitCount == n && ByteClass.hasPrefix(s, at: start, limit) { return true }
        }
        guard n > 20, ByteClass.hasPrefix(s, at: start, "2.225073858507201") else { return false }
        var i = start + 17
        while i < end && ByteClass.isDigit(s[i]) { i += 1 }
        guard i + 2 < end, ByteClass.lower(s[i]) == 0x65, s[i + 1] == 0x2D else { return false }
        i += 2
        while i < end && s[i] == 0x30 { i += 1 }
        return end - i == 3 && ByteClass.hasPrefix(s, at: i, "308")
    }
}
