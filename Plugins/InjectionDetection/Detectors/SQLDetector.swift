/// SQL injection: tokenizes the value three ways (as a bare expression, and as the rest of a
/// `'`- or `"`-quoted string it was pasted into) and looks for syntax that only makes sense as
/// SQL: a quote closed and followed by SQL, UNION SELECT, stacked statements, boolean
/// tautologies, calls of SQL functions, catalog names, comments splitting keywords.
enum SQLDetector {
    static let union = Rule("sqli.union", .sqli, .critical, "UNION SELECT")
    static let selectFrom = Rule("sqli.select", .sqli, .critical, "SELECT ... FROM or SELECT of a function")
    static let statement = Rule("sqli.statement", .sqli, .critical, "SQL statement (DROP TABLE, INSERT INTO, EXEC, WAITFOR, EXECUTE proc, GRANT ALL, PRAGMA ...)")
    static let stacked = Rule("sqli.stacked", .sqli, .critical, "stacked query after ';'")
    static let tautology = Rule("sqli.tautology", .sqli, .critical, "boolean condition injected (OR 1=1, ) OR (1), 1 XOR 1, 1 BETWEEN 1 AND 2)")
    static let quoteBreak = Rule("sqli.quote-break", .sqli, .critical, "string closed and followed by SQL")
    static let quoteOperator = Rule("sqli.quote-operator", .sqli, .high, "string closed and followed by an operator")
    static let dangerousCall = Rule("sqli.function", .sqli, .critical, "call of a SQL time, file or metadata function")
    static let functionCall = Rule("sqli.function-call", .sqli, .critical, "call of a SQL function")
    static let functionCallSpaced = Rule("sqli.function-call-spaced", .sqli, .low, "SQL function name, a space, then '(' (or an empty call)")
    static let systemObject = Rule("sqli.catalog", .sqli, .critical, "SQL catalog, system table, procedure or database name (information_schema, Northwind, OPENROWSET)")
    static let executableComment = Rule("sqli.mysql-comment", .sqli, .critical, "MySQL executable comment /*!")
    static let commentObfuscation = Rule("sqli.comment-split", .sqli, .critical, "comment between SQL keywords")
    static let clause = Rule("sqli.clause", .sqli, .high, "SQL clause (HAVING COUNT(, ORDER BY n, CASE WHEN, INTO OUTFILE)")
    static let strongClause = Rule("sqli.clause-fragment", .sqli, .critical, "SQL clause fragment (HAVING 1=, ) AS x FROM, ORDER BY 1, FROM `t` WHERE, CASE WHEN x THEN, LIMIT 1,1, FROM DUAL)")
    static let strongComparison = Rule("sqli.comparison-fragment", .sqli, .critical, "SQL comparison keyword after a closed expression (')like(', ' sounds like, LIKE ' ending the value)")
    static let literalTautology = Rule("sqli.literal-equality", .sqli, .critical, "comparison of two literals that is always true (1=1, 42<=>42, 1!=2, '1' not regexp '2')")
    static let numberSyntax = Rule("sqli.number-syntax", .sqli, .critical, "number written as an identifier prefix (1.e(...)), a MySQL parser trick")
    static let comparison = Rule("sqli.comparison", .sqli, .high, "SQL comparison keyword on literals")
    static let castOperator = Rule("sqli.cast", .sqli, .high, "PostgreSQL cast '::type'")
    static let castLiteral = Rule("sqli.cast-literal", .sqli, .critical, "PostgreSQL cast of a literal, call or column to an integer ('...'::jsonb, password::int)")
    static let jsonLiteral = Rule("sqli.json-operand", .sqli, .critical, "JSON document literal put to an operator ('{\"a\":1}' < '$.a')")
    static let values = Rule("sqli.values", .sqli, .critical, "VALUES list or SET list of literals (VALUES (1,2), hash = 'abc', 0x1a)")
    static let globalVariable = Rule("sqli.variable", .sqli, .high, "SQL server variable @@name")

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, tokens: inout [SQLToken], _ report: inout Report) {
        guard s.count >= 2 else { return }
        SQLTokenizer.tokenize(s, quote: nil, into: &tokens)
        analyze(s, tokens, &report)
        // Plain flags, not the context: copying it would retain its host array for every value.
        fragments(s, tokens, isName: ctx.isName, &report)
        CharacterAnomaly.scan(s, inCookie: ctx.source == .cookie, &report)
        for quote: UInt8 in [0x27, 0x22, 0x60] where ByteClass.contains(s, quote) && !opensQuotation(s, quote) {
            // A backtick closes an identifier only when no word follows it: `` `name` `` opening a
            // code span in markdown is not a break.
            if quote == 0x60, let at = ByteClass.firstIndex(of: quote, in: s), at + 1 < s.count, ByteClass.isWord(s[at + 1]) { continue }
            SQLTokenizer.tokenize(s, quote: quote, into: &tokens)
            analyze(s, tokens, &report)
        }
    }

    /// Prose that quotes (`stated as 'User Authentication'`): the first quote follows a space
    /// and precedes a letter, so it opens a quotation rather than closing an injected string.
    static func opensQuotation(_ s: UnsafeRawBufferPointer, _ quote: UInt8) -> Bool {
        guard let i = ByteClass.firstIndex(of: quote, in: s), i > 0, i + 1 < s.count else { return false }
        return ByteClass.isSpace(s[i - 1]) && ByteClass.isAlpha(s[i + 1])
    }

    // MARK: Token stream analysis

    /// Index of the next token after `i` that is not a comment (tokens.count at the end).
    @inline(__always)
    static func next(_ t: [SQLToken], _ i: Int) -> Int {
        var j = i + 1
        while j < t.count && t[j].kind == .comment { j += 1 }
        return j
    }

    static func isWord(_ t: [SQLToken], _ i: Int, _ flag: UInt8) -> Bool {
        i < t.count && t[i].kind == .word && SQLKeywords.has(t[i].keyword, flag)
    }

    static func word(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, _ lowercased: StaticString) -> Bool {
        guard i < t.count, t[i].kind == .word, Int(t[i].end - t[i].start) == lowercased.utf8CodeUnitCount else { return false }
        return ByteClass.hasPrefix(s, at: Int(t[i].start), lowercased)
    }

    static func kind(_ t: [SQLToken], _ i: Int) -> SQLToken.Kind? { i < t.count ? t[i].kind : nil }

    static func isPlus(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int) -> Bool {
        i < t.count && t[i].kind == .op && t[i].end - t[i].start == 1 && s[Int(t[i].start)] == 0x2B
    }

    /// A string token that runs to the end of the value without its closing quote.
    static func isUnterminated(_ s: UnsafeRawBufferPointer, _ x: SQLToken) -> Bool {
        x.end - x.start == 1 || s[Int(x.end) - 1] != s[Int(x.start)] || Int(x.end) == s.count && s[Int(x.end) - 2] == 0x5C
    }

    static func isAssignment(_ s: UnsafeRawBufferPointer, _ x: SQLToken) -> Bool {
        x.kind == .op && x.end - x.start == 1 && s[Int(x.start)] == 0x3D
    }

    static func hasLetter(_ s: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Bool {
        for i in from..<max(from, to) where ByteClass.isAlpha(s[i]) { return true }
        return false
    }

    static func isBlank(_ s: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Bool {
        for i in from..<max(from, to) where !ByteClass.isSpace(s[i]) { return false }
        return true
    }

    static func range(_ t: [SQLToken], _ i: Int, _ j: Int) -> Range<Int> {
        Int(t[i].start)..<Int(t[min(j, t.count - 1)].end)
    }

    /// An operand of a comparison: literal, identifier, variable, or a parenthesis.
    static func isOperand(_ t: [SQLToken], _ i: Int) -> Bool {
        guard i < t.count else { return false }
        switch t[i].kind {
        case .number, .string, .variable, .openParen, .quoteBreak: return true
        case .word: return !SQLKeywords.has(t[i].keyword, SQLKeywords.logical | SQLKeywords.comparison)
        default: return false
        }
    }

    static func isComparison(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int) -> Bool {
        guard i < t.count else { return false }
        if t[i].kind == .word { return SQLKeywords.has(t[i].keyword, SQLKeywords.comparison) }
        guard t[i].kind == .op else { return false }
        let b = s[Int(t[i].start)]
        return b == 0x3D || b == 0x3C || b == 0x3E || (b == 0x21 && t[i].end - t[i].start > 1)
    }

    /// A comment within the next 16 tokens (bounded, so the analysis stays linear).
    static func hasComment(_ t: [SQLToken], after i: Int) -> Bool {
        var j = i + 1
        while j < t.count && j - i <= 16 { if t[j].kind == .comment { return true }; j += 1 }
        return false
    }

    /// PostgreSQL type names a `::` cast names (an IPv6 `fe80::1` is not a cast).
    static let castTypes = KeywordTable(["int", "int2", "int4", "int8", "integer", "bigint", "smallint", "text", "json", "jsonb",
                                         "varchar", "char", "numeric", "decimal", "bool", "boolean", "date", "time", "timestamp",
                                         "timestamptz", "interval", "regclass", "regproc", "oid", "bytea", "float", "float4",
                                         "float8", "real", "uuid", "inet", "cidr", "xml", "money", "bit", "name"])

    static func analyze(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ report: inout Report) {
        var previous = -1  // previous non-comment token
        for i in 0..<t.count {
            let token = t[i]
            switch token.kind {
            case .quoteBreak:
                quoteBreak(s, t, i, &report)
            case .executableComment:
                report.add(executableComment, s, range(t, i, i + 2))
            case .comment:
                if previous >= 0, t[previous].kind == .word, t[previous].keyword != 0, isWord(t, next(t, i), 0xFF),
                   !SQLKeywords.has(t[previous].keyword, SQLKeywords.english) || !SQLKeywords.has(t[next(t, i)].keyword, SQLKeywords.english) {
                    report.add(commentObfuscation, s, range(t, previous, next(t, i)))
                }
            case .variable:
                if token.end - token.start > 3, s[Int(token.start) + 1] == 0x40, ByteClass.isAlpha(s[Int(token.start) + 2]) {
                    report.add(globalVariable, s, range(t, i, i))
                }
            case .op:
                // `::type` after a value: PostgreSQL casts are never prose.
                let length = Int(token.end) - Int(token.start)
                if length == 2, s[Int(token.start)] == 0x3A, s[Int(token.start) + 1] == 0x3A, kind(t, i + 1) == .word, previous >= 0,
                   castTypes.contains(s, Int(t[i + 1].start), Int(t[i + 1].end)) {
                    // Casting a literal, or a metadata function (`current_user::int`), is SQL written by the client.
                    // So is casting a call's result or a column to an integer (`unistr(x)::int`, `password::int`):
                    // the error-based trick that prints a value in the conversion error.
                    let numeric = ByteClass.hasPrefix(s, at: Int(t[i + 1].start), "int") && !ByteClass.hasPrefix(s, at: Int(t[i + 1].start), "interval")
                    let literal = t[previous].kind == .string || t[previous].kind == .number || t[previous].kind == .quoteBreak
                        || (t[previous].kind == .word && SQLKeywords.has(t[previous].keyword, SQLKeywords.dangerousFunction))
                        || (numeric && (t[previous].kind == .closeParen || t[previous].kind == .word))
                    report.add(literal ? castLiteral : castOperator, s, range(t, previous, i + 1))
                }
                // `||` and `&&` connect conditions like OR and AND.
                if length == 2, s[Int(token.start)] == 0x7C && s[Int(token.start) + 1] == 0x7C
                    || s[Int(token.start)] == 0x26 && s[Int(token.start) + 1] == 0x26 {
                    logical(s, t, i, previous: previous, &report)
                }
            case .word:
                word(s, t, i, previous: previous, &report)
            case .number:
                number(s, t, i, &report)
            case .string:
                literalComparison(s, t, i, &report)
                assignmentList(s, t, i, previous: previous, &report)
                jsonOperand(s, t, i, &report)
            default:
                break
            }
            if token.kind != .comment { previous = i }
        }
    }

    /// `1.e(` and `1.e.tables` (MySQL reads `1.e` as a number glued to the next token).
    static func number(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, _ report: inout Report) {
        let token = t[i]
        let length = Int(token.end) - Int(token.start)
        let k = next(t, i)
        if ByteClass.lower(s[Int(token.end) - 1]) == 0x65, length >= 2, k < t.count, t[k].start == token.end,
           t[k].kind == .openParen || t[k].kind == .dot {
            report.add(numberSyntax, s, range(t, i, k))
        }
        literalComparison(s, t, i, &report)
        // `1 div 0`, `7 mod 2`: arithmetic with SQL's word operators on literals.
        if word(s, t, k, "div") || word(s, t, k, "mod"), kind(t, next(t, k)) == .number {
            report.add(tautology, s, range(t, i, next(t, k)))
        }
    }

    /// A comparison of two literals that is always true: equal literals compared for equality
    /// (`1=1`, `42<=>42`, `'a'='a'`, `42 like 42`), different ones compared with a negation
    /// (`1!=2`, `3<>4`, `'1' not regexp '2'`, `1 is not 2`). `11!=11` is false and passes. A
    /// comparison spelled in words, or of strings, must end the value or be followed by syntax
    /// ("step 1 is not 2 hours" is prose); `is` between strings is prose ("'yes' is not 'no'").
    static func literalComparison(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, _ report: inout Report) {
        let k = next(t, i)
        guard k < t.count else { return }
        var negated = false
        var rhs: Int
        var spelled = false
        if t[k].kind == .op {
            let o = s[Int(t[k].start)]
            let length = Int(t[k].end) - Int(t[k].start)
            if (length <= 2 && o == 0x3D) || (length == 3 && o == 0x3C) {
                negated = false
            } else if length == 2, (o == 0x21 || o == 0x3C) && s[Int(t[k].start) + 1] == (o == 0x21 ? 0x3D : 0x3E) {
                negated = true
            } else {
                return
            }
            rhs = next(t, k)
        } else {
            var w = k
            if word(s, t, w, "not") { negated = true; w = next(t, w) }
            let isWord = word(s, t, w, "is")
            guard isWord || word(s, t, w, "like") || word(s, t, w, "regexp") || word(s, t, w, "rlike") || word(s, t, w, "glob") else { return }
            guard !isWord || t[i].kind == .number else { return }
            rhs = next(t, w)
            if isWord && word(s, t, rhs, "not") { negated.toggle(); rhs = next(t, rhs) }
            spelled = true
        }
        guard rhs < t.count, t[rhs].kind == t[i].kind else { return }
        // Strings must also end the condition: a FHIR narrative says "Code 'VK' = 'VK', given as".
        if spelled || t[i].kind == .string {
            let after = next(t, rhs)
            guard after >= t.count || [.closeParen, .semicolon, .op].contains(t[after].kind) || isWord(t, after, SQLKeywords.logical) else { return }
        }
        // In words, the condition must also start where one can: "step 1 is not 2" is prose.
        if spelled {
            var p = i - 1
            while p >= 0 && t[p].kind == .comment { p -= 1 }
            guard p < 0 || [.openParen, .comma, .semicolon, .quoteBreak].contains(t[p].kind) || isAssignment(s, t[p])
                    || isWord(t, p, SQLKeywords.logical) else { return }
        }
        let same = sameLiteral(s, t[i], t[rhs])
        if same != negated { report.add(literalTautology, s, range(t, i, rhs)) }
    }

    /// Numbers byte for byte; strings by their content (an unterminated one has no closing quote).
    static func sameLiteral(_ s: UnsafeRawBufferPointer, _ a: SQLToken, _ b: SQLToken) -> Bool {
        func content(_ x: SQLToken) -> Range<Int> {
            var lo = Int(x.start), hi = Int(x.end)
            guard x.kind == .string else { return lo..<hi }
            let q = s[lo]
            lo += 1
            if hi > lo && s[hi - 1] == q { hi -= 1 }
            return lo..<hi
        }
        let ra = content(a), rb = content(b)
        guard ra.count == rb.count else { return false }
        for d in 0..<ra.count where s[ra.lowerBound + d] != s[rb.lowerBound + d] { return false }
        return true
    }

    /// `hash = 'abc', 0x1a`, `name = 'x', (5)`: an assignment (or a value that starts with the
    /// string, the `=` having split a form pair) continued by a list of SQL literals, as in an
    /// UPDATE's SET list or a VALUES row; prose lists words ("address=999, rue d'Arlon").
    static func assignmentList(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, previous: Int, _ report: inout Report) {
        let assigned = previous >= 1 && isAssignment(s, t[previous]) && t[previous - 1].kind == .word
        guard assigned || previous < 0 else { return }
        let comma = next(t, i)
        guard kind(t, comma) == .comma else { return }
        let item = next(t, comma)
        guard item < t.count else { return }
        let hex = t[item].kind == .number && ByteClass.hasPrefix(s, at: Int(t[item].start), "0x")
        let parenthesised = t[item].kind == .openParen && [.number, .string].contains(kind(t, next(t, item)))
        let listed = t[item].kind == .number && (kind(t, next(t, item)) == .comma || next(t, item) >= t.count)
        guard hex || parenthesised || (assigned && listed) else { return }
        report.add(values, s, range(t, assigned ? previous - 1 : i, item))
    }

    /// `'{"a":2}' < '$.c' = 7`: a JSON document written as a string literal and put to an
    /// operator is a query on JSON, never text.
    static func jsonOperand(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, _ report: inout Report) {
        let start = Int(t[i].start), end = Int(t[i].end)
        guard end - start >= 4, s[end - 1] == s[start], s[start + 1] == 0x7B || s[start + 1] == 0x5B,
              s[end - 2] == (s[start + 1] == 0x7B ? 0x7D : 0x5D) else { return }
        let k = next(t, i)
        guard kind(t, k) == .op, isOperand(t, next(t, k)) else { return }
        report.add(jsonLiteral, s, range(t, i, next(t, k)))
    }

    static func quoteBreak(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, _ report: inout Report) {
        var j = next(t, i)
        // `')` closes a parenthesised expression too.
        while kind(t, j) == .closeParen { j = next(t, j) }
        // A comment right after the break or after the parentheses it closes: `x'--`, `x')--`.
        let commentFollows = j > i + 1 && t[j - 1].kind == .comment
        guard j < t.count else {
            if commentFollows { report.add(quoteBreak, s, range(t, i, i + 1)) }
            return
        }
        let after = t[j]
        switch after.kind {
        case .semicolon:
            report.add(quoteBreak, s, range(t, i, j + 1))
        case .word where after.keyword != 0:
            let k = after.keyword
            let called = kind(t, next(t, j)) == .openParen
            let onlyFunction = k & ~(SQLKeywords.function | SQLKeywords.english) == 0
            if onlyFunction && !called {
                // A word that is only a function name (`user`, `left`) is prose unless called;
                // `mod` is also MySQL's remainder operator: `x' mod id--`.
                if word(s, t, j, "mod"), isOperand(t, next(t, j)) || hasComment(t, after: j) {
                    report.add(quoteBreak, s, range(t, i, j + 1))
                }
            } else if !SQLKeywords.has(k, SQLKeywords.english) || SQLKeywords.has(k, SQLKeywords.dangerousFunction | SQLKeywords.systemObject) {
                report.add(quoteBreak, s, range(t, i, j + 1))
            } else if SQLKeywords.has(k, SQLKeywords.logical) {
                // `' or 1=1`, `' and sleep(`, `'or'a`, `' or true--`: an operand that is code, not prose.
                let o = next(t, j)
                // `' or xyz!`, `' or homer 9`: a name then an operator or a number is an expression.
                let expression = kind(t, next(t, o)) == .op || kind(t, next(t, o)) == .number
                if isOperand(t, o) && t[o].kind != .word || isWord(t, o, SQLKeywords.clause | SQLKeywords.logical)
                    || (isOperand(t, o) && (isComparison(s, t, next(t, o)) || kind(t, next(t, o)) == .openParen || expression))
                    || hasComment(t, after: j) {
                    report.add(quoteBreak, s, range(t, i, o))
                }
            } else if isCodeFollowing(s, t, j) || hasComment(t, after: j) {
                report.add(quoteBreak, s, range(t, i, j + 2))
            } else if next(t, j) >= t.count, word(s, t, j, "from") || word(s, t, j, "where") || word(s, t, j, "having")
                        || word(s, t, j, "as") || word(s, t, j, "into") || word(s, t, j, "when") || word(s, t, j, "then") {
                // `! As' from`, `x' where`: the value ends on the clause the break opens (a noun that
                // is also a keyword, "the Smiths' table", ends prose).
                report.add(quoteBreak, s, range(t, i, j))
            }
        case .op:
            // `~` and `!` alone are unary (`'~email--`): no binary expression continues the string.
            let unary = after.end - after.start == 1 && (s[Int(after.start)] == 0x7E || s[Int(after.start)] == 0x21)
            if unary {
                if j + 1 < t.count { report.add(quoteOperator, s, range(t, i, j + 1)) }
            } else if hasComment(t, after: j) || isOperand(t, next(t, j)) && kind(t, next(t, j)) != .word
                        || isAssignment(s, after) && kind(t, next(t, j)) == .word && t[j].start == t[i].end {
                // `,varname"=somedata`: the closing quote glued to `=` and a name compares a column.
                report.add(quoteBreak, s, range(t, i, j + 1))
            } else if j + 1 < t.count {
                report.add(quoteOperator, s, range(t, i, j + 1))
            }
        case .comment:
            report.add(quoteBreak, s, range(t, i, j))
        case .string where next(t, j) >= t.count && isUnterminated(s, after) && !hasLetter(s, Int(after.start), Int(after.end))
                && !isBlank(s, Int(after.start) + 1, Int(after.end)):
            // `3' ' 1`: a second literal opened after the break, closed by the application's own
            // quote (adjacent literals concatenate in MySQL).
            report.add(quoteBreak, s, range(t, i, j))
        case .comma where isOperand(t, next(t, j)) && kind(t, next(t, j)) != .word:
            report.add(quoteOperator, s, range(t, i, next(t, j)))
        case .comma where kind(t, next(t, j)) == .word && word(s, t, next(t, next(t, j)), "from"):
            // `` `,`b` from ``: the break continues a select list.
            report.add(quoteBreak, s, range(t, i, next(t, next(t, j))))
        default:
            if commentFollows { report.add(quoteBreak, s, range(t, i, i + 1)) }
        }
    }

    /// After an English-looking keyword: is the next token code (a literal, an operator, a call)?
    static func isCodeFollowing(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ j: Int) -> Bool {
        let k = next(t, j)
        guard k < t.count else { return false }
        switch t[k].kind {
        case .number, .op, .openParen, .semicolon, .variable, .executableComment, .quoteBreak: return true
        case .word: return t[k].keyword != 0 && !SQLKeywords.has(t[k].keyword, SQLKeywords.english)
        default: return false
        }
    }

    static func word(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, previous: Int, _ report: inout Report) {
        let k = t[i].keyword
        let n1 = next(t, i)
        let callFollows = kind(t, n1) == .openParen && s[Int(t[n1].start)] == 0x28
        if SQLKeywords.has(k, SQLKeywords.systemObject) {
            // `mysql` and `master` are also a product and a word: only qualified (mysql.user, master..) they count.
            if !(word(s, t, i, "mysql") || word(s, t, i, "master")) || kind(t, n1) == .dot {
                report.add(systemObject, s, range(t, i, n1))
            }
        }
        if callFollows {
            if SQLKeywords.has(k, SQLKeywords.dangerousFunction) {
                // Spaced from its parenthesis, a plain word inside is prose: "Database (prod)".
                let inside = next(t, n1)
                let prose = t[n1].start > t[i].end && inside < t.count && t[inside].kind == .word && t[inside].keyword == 0
                    && kind(t, next(t, inside)) == .closeParen
                report.add(prose ? functionCallSpaced : dangerousCall, s, range(t, i, n1))
            } else if SQLKeywords.has(k, SQLKeywords.function) {
                let adjacent = t[n1].start == t[i].end
                // `now()` with nothing inside is also how FHIRPath and spreadsheet formulas read.
                let inside = next(t, n1)
                // `count(s)`, `dose(s)`: the plural notation of prose.
                let plural = inside < t.count && t[inside].kind == .word && kind(t, next(t, inside)) == .closeParen
                    && (t[inside].end - t[inside].start == 1 && ByteClass.lower(s[Int(t[inside].start)]) == 0x73
                        || t[inside].end - t[inside].start == 2 && ByteClass.hasPrefix(s, at: Int(t[inside].start), "es"))
                let empty = kind(t, inside) == .closeParen || plural
                if adjacent && !empty || literalArguments(t, n1) {
                    report.add(functionCall, s, range(t, i, n1))
                } else {
                    report.add(functionCallSpaced, s, range(t, i, n1))
                }
            }
        }
        guard k != 0 else { return }
        if word(s, t, i, "union") {
            var j = n1
            // `union+all`: a path keeps `+`, which some backends read as a space.
            if isPlus(s, t, j) { j = next(t, j) }
            if word(s, t, j, "all") || word(s, t, j, "distinct") { j = next(t, j); if isPlus(s, t, j) { j = next(t, j) } }
            while kind(t, j) == .openParen { j = next(t, j) }
            if word(s, t, j, "select") || (j > n1 && (j >= t.count || t[j].kind != .word)) { report.add(union, s, range(t, i, j)) }
            return
        }
        if word(s, t, i, "select") {
            var j = n1
            var steps = 0
            if isWord(t, j, SQLKeywords.dangerousFunction) || (isWord(t, j, SQLKeywords.function) && kind(t, next(t, j)) == .openParen)
                || word(s, t, j, "distinct") {
                report.add(selectFrom, s, range(t, i, next(t, j)))
                return
            }
            // A select list: items separated by commas (`a, b`, `*`, `f(x)`, `t.c`, `x AS y`); two
            // plain words in a row ("select the best option from") are prose.
            var previousWasPlainWord = false
            while j < t.count && steps < 8 {
                if word(s, t, j, "from") && next(t, j) < t.count { report.add(selectFrom, s, range(t, i, next(t, j))); return }
                if t[j].kind == .semicolon { break }
                let plainWord = t[j].kind == .word && t[j].keyword == 0 && s[Int(t[j].start)] != 0x60
                if plainWord && previousWasPlainWord { break }
                previousWasPlainWord = plainWord
                j = next(t, j)
                steps += 1
            }
            if previous >= 0, t[previous].kind == .semicolon || t[previous].kind == .openParen {
                report.add(stacked, s, range(t, previous, n1))
            }
            return
        }
        if SQLKeywords.has(k, SQLKeywords.statement) {
            let shaped = statementShape(s, t, i, &report)
            // `;drop` ending the value is a statement; a word that is also English (`; update me`,
            // `;set @`) needs the statement's shape (`; update t set`, `; set @x`) or, glued to
            // the `;` as prose never writes it, an object name (`;update users`).
            let glued = previous >= 0 && t[previous].end == t[i].start && kind(t, n1) == .word
            if previous >= 0, t[previous].kind == .semicolon, SQLKeywords.has(k, SQLKeywords.english) ? shaped || glued : true {
                report.add(stacked, s, range(t, previous, n1))
            }
            return
        }
        if SQLKeywords.has(k, SQLKeywords.logical), !word(s, t, i, "not") {
            logical(s, t, i, previous: previous, &report)
            return
        }
        clauseShape(s, t, i, previous: previous, &report)
    }

    /// `div (23.23 , 2)`: two or more literal arguments separated by commas are a call even
    /// with a space before the parenthesis; prose in parentheses has words ("convert (0.46 miles)").
    static func literalArguments(_ t: [SQLToken], _ open: Int) -> Bool {
        var k = next(t, open)
        var literals = 0
        while k < t.count && literals < 16 {
            guard t[k].kind == .number || t[k].kind == .string else { return false }
            literals += 1
            k = next(t, k)
            if kind(t, k) == .closeParen { return literals >= 2 }
            guard kind(t, k) == .comma else { return false }
            k = next(t, k)
        }
        return false
    }

    /// `1 or 1=1`, `x' or 'a'='a'`, `9999 or true`, and a value that starts with a connective
    /// (`AND deleted = 0)`, `or 88`, `|| langCode ==`): injected into a numeric or boolean context.
    static func logical(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, previous: Int, _ report: inout Report) {
        let o = next(t, i)
        let after = next(t, o)
        let literalBefore = previous >= 0 && [.number, .string, .closeParen, .quoteBreak].contains(t[previous].kind)
        // The value's first token, or the first after `name=` (a pair whose `=` was encoded).
        var atStart = previous < 0
        // `(` opening or `)` closing the expression the value was pasted into.
        if previous == 0 { atStart = t[0].kind == .openParen || t[0].kind == .closeParen }
        // In a path each segment is a value of its own: `/post/OR 1=1`.
        if previous >= 0, t[previous].kind == .op, t[previous].end - t[previous].start == 1, s[Int(t[previous].start)] == 0x2F,
           Int(t[previous].end) == Int(t[i].start) { atStart = true }
        if previous == 1 && t[0].kind == .word && t[1].kind == .op {
            let length = Int(t[1].end) - Int(t[1].start)
            atStart = length == 1 && s[Int(t[1].start)] == 0x3D
        }
        let boolean = word(s, t, o, "true") || word(s, t, o, "false") || word(s, t, o, "null")
        // `status in {...}` after a string is how query languages (FHIRPath) read: an identifier
        // operand needs a symbolic comparison to count.
        let identifier = o < t.count && t[o].kind == .word && t[o].keyword == 0
        let symbolic = after < t.count && t[after].kind == .op
        let compared = isComparison(s, t, after) && (!identifier || symbolic)
        if literalBefore && isOperand(t, o) && (compared || boolean) {
            report.add(tautology, s, range(t, previous, after))
            return
        }
        // `= 1 or '9`: the application's own closing quote completes the operand.
        if literalBefore, t[previous].kind == .number, kind(t, o) == .string, after >= t.count, isUnterminated(s, t[o]) {
            report.add(tautology, s, range(t, previous, o))
            return
        }
        // `1='1' or-- -`, `1 or?--`: a connective whose condition is a bind parameter or commented away.
        let parameter = kind(t, i + 1) == .op && (i + 2 < t.count && t[i + 2].kind == .comment)
        let commented = i + 1 < t.count && t[i + 1].kind == .comment && (t[i + 1].start == t[i].end || s[Int(t[i + 1].start)] == 0x2D)
        if literalBefore, commented || parameter {
            report.add(tautology, s, range(t, previous, i + 1))
            return
        }
        // `1 xor 1`: XOR is only SQL's.
        if literalBefore, word(s, t, i, "xor"), [.number, .string].contains(kind(t, o)) {
            report.add(tautology, s, range(t, previous, o))
            return
        }
        guard atStart, o < t.count, isOperand(t, o) || boolean else { return }
        var shaped = after >= t.count || isComparison(s, t, after)
        if !shaped { shaped = [.op, .closeParen, .semicolon].contains(t[after].kind) }
        // `&&(l=!0)`, `and (x = 1`, `or (1)`: a parenthesised condition opened right after the connective.
        if !shaped, t[o].kind == .openParen, isOperand(t, after),
           isComparison(s, t, next(t, after)) || kind(t, next(t, after)) == .op || t[after].kind == .number && kind(t, next(t, after)) == .closeParen {
            shaped = true
        }
        if !shaped { shaped = after > o + 1 && t[o + 1].kind == .comment }
        // `and '5'orig`: a string glued to the next token is code, not a quotation.
        if !shaped { shaped = t[o].kind == .string && t[after].start == t[o].end }
        // The operand must not be a plain word at the very end ("or else" is prose).
        if shaped && (t[o].kind != .word || after < t.count || boolean) {
            report.add(tautology, s, range(t, i, after))
        }
    }
}
