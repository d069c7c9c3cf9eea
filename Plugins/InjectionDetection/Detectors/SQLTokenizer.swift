/// One lexical token of SQL-ish input.
struct SQLToken {
    enum Kind: UInt8 {
        case word, number, string, op, openParen, closeParen, comma, semicolon, dot, variable
        /// `/* */`, `-- `, `#`; `/*!` (MySQL runs its content) is ``executableComment``.
        case comment, executableComment
        /// The quote that ends the string the input was injected into.
        case quoteBreak
    }

    var kind: Kind
    var start: Int32
    var end: Int32
    /// For words: the keyword class (``SQLKeywords``), 0 for a plain identifier.
    var keyword: UInt8 = 0
}

/// A SQL lexer over bytes, in the dialect union of MySQL, PostgreSQL, MSSQL, Oracle and
/// SQLite: quoted strings with doubled-quote and backslash escapes, `[ident]` and backticks,
/// numbers (hex, binary, exponents), operators, `--`/`#`/`/* */` comments. Linear, no backtracking.
enum SQLTokenizer {
    /// Appends the tokens of `s[from...]` to `tokens` (cleared first). With `quote` set, the
    /// input is assumed to sit inside a string opened with that quote: everything up to its
    /// first unescaped occurrence is the literal, which becomes one ``SQLToken/Kind/quoteBreak``.
    static func tokenize(_ s: UnsafeRawBufferPointer, quote: UInt8?, into tokens: inout [SQLToken], limit: Int = 4096) {
        tokens.removeAll(keepingCapacity: true)
        let n = s.count
        var i = 0
        if let quote {
            // Backslashes do not protect the quote here: `\'` is how a value defeats an
            // application that escapes quotes by adding a backslash of its own.
            while i < n && s[i] != quote { i += 1 }
            guard i < n else { return }
            tokens.append(SQLToken(kind: .quoteBreak, start: Int32(i), end: Int32(i + 1)))
            i += 1
        }
        while i < n && tokens.count < limit {
            let b = s[i]
            let start = i
            var kind: SQLToken.Kind
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C, 0xA0:
                i += 1
                continue
            case 0x27, 0x22, 0x60:  // ' " `
                i = endOfQuoted(s, i, b)
                kind = b == 0x60 ? .word : .string
            case 0xE2 where i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] >= 0x98 && s[i + 2] <= 0x9F):
                // Typographic quotes (U+2018-U+201F): some databases and ORMs fold them to ASCII quotes.
                i += 3
                kind = .quoteBreak
            case 0xC2 where i + 1 < n && s[i + 1] == 0xB4:  // acute accent, same folding
                i += 2
                kind = .quoteBreak
            case 0x5B:  // [ident] (MSSQL) or an array subscript
                i += 1
                kind = .openParen
            case 0x5D:
                i += 1
                kind = .closeParen
            case 0x28, 0x7B:
                i += 1
                kind = .openParen
            case 0x29, 0x7D:
                i += 1
                kind = .closeParen
            case 0x2C:
                i += 1
                kind = .comma
            case 0x3B:
                i += 1
                kind = .semicolon
            case 0x2E where !(i + 1 < n && ByteClass.isDigit(s[i + 1])):
                i += 1
                kind = .dot
            case 0x23:  // # comment (MySQL)
                i = endOfLine(s, i)
                kind = .comment
            case 0x2D where i + 1 < n && s[i + 1] == 0x2D:  // --
                i = endOfLine(s, i)
                kind = .comment
            case 0x2F where i + 1 < n && s[i + 1] == 0x2A:  // /*
                kind = i + 2 < n && s[i + 2] == 0x21 ? .executableComment : .comment
                if kind == .executableComment {
                    // MySQL runs what follows `/*!NNNNN`: lex it as code, the `*/` is skipped as an operator.
                    i += 3
                    while i < n && ByteClass.isDigit(s[i]) { i += 1 }
                } else {
                    i = ByteClass.blockCommentEnd(s, from: i + 2, end: n)
                }
            case 0x40:  // @var, @@global
                i += 1
                if i < n && s[i] == 0x40 { i += 1 }
                while i < n && (ByteClass.isWord(s[i]) || s[i] == 0x24) { i += 1 }
                kind = .variable
            case _ where ByteClass.isDigit(b) || (b == 0x2E && i + 1 < n && ByteClass.isDigit(s[i + 1])):
                i = endOfNumber(s, i)
                kind = .number
            case _ where ByteClass.isWord(b) || b == 0x24:
                while i < n && (ByteClass.isWord(s[i]) || s[i] == 0x24) { i += 1 }
                kind = .word
            default:
                // Operators as the databases lex them: the longest known one (`<=>`, `||`, `::`,
                // `->>`), else one byte, so `=||` is `=` then `||`.
                i += operatorLength(s, i)
                kind = .op
            }
            var token = SQLToken(kind: kind, start: Int32(start), end: Int32(i))
            if kind == .word {
                if s[start] != 0x60 {
                    token.keyword = SQLKeywords.table.lookup(s, start, i) ?? 0
                } else if i - start > 2 {
                    // `information_schema` in backticks is still the catalog.
                    token.keyword = (SQLKeywords.table.lookup(s, start + 1, i - 1) ?? 0) & SQLKeywords.systemObject
                }
            }
            tokens.append(token)
        }
    }

    /// Multi-byte operators of the dialects (PostgreSQL's JSON and containment operators included).
    private static let operators: [StaticString] = ["<=>", "->>", "#>>", "!~*", "<=", ">=", "<>", "!=", "==", "||", "&&", "::",
                                                     "->", "#>", "@>", "<@", "<<", ">>", ":=", "!~", "~*", "?|", "?&", "@?", "#-"]

    private static func operatorLength(_ s: UnsafeRawBufferPointer, _ i: Int) -> Int {
        for op in operators where i + op.utf8CodeUnitCount <= s.count {
            let p = op.utf8Start
            var same = true
            for k in 0..<op.utf8CodeUnitCount where s[i + k] != p[k] { same = false; break }
            if same { return op.utf8CodeUnitCount }
        }
        return 1
    }

    private static func endOfQuoted(_ s: UnsafeRawBufferPointer, _ start: Int, _ q: UInt8) -> Int {
        var i = start + 1
        while i < s.count {
            if s[i] == 0x5C && q != 0x60 { i += 2; continue }
            if s[i] == q {
                if i + 1 < s.count && s[i + 1] == q { i += 2; continue }  // doubled quote
                return i + 1
            }
            i += 1
        }
        return s.count
    }

    private static func endOfLine(_ s: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var i = start
        while i < s.count && s[i] != 0x0A { i += 1 }
        return i
    }

    private static func endOfNumber(_ s: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var i = start
        let n = s.count
        if s[i] == 0x30, i + 1 < n, ByteClass.lower(s[i + 1]) == 0x78 || ByteClass.lower(s[i + 1]) == 0x62 {
            i += 2
            while i < n && ByteClass.hexValue(s[i]) != nil { i += 1 }
            return i
        }
        while i < n && (ByteClass.isDigit(s[i]) || s[i] == 0x2E) { i += 1 }
        if i < n, ByteClass.lower(s[i]) == 0x65 {
            var j = i + 1
            if j < n && (s[j] == 0x2B || s[j] == 0x2D) { j += 1 }
            if j < n && ByteClass.isDigit(s[j]) {
                i = j
                while i < n && ByteClass.isDigit(s[i]) { i += 1 }
            } else if j == i + 1 && (j >= n || !ByteClass.isWord(s[j])) {
                i = j  // "1.e" : MySQL reads it as a number
            }
        }
        return i
    }
}
