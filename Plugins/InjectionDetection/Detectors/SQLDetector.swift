/// SQL injection: tokenizes the value three ways (as a bare expression, and as the rest of a
/// `'`- or `"`-quoted string it was pasted into) and looks for syntax that only makes sense as
/// SQL: a quote closed and followed by SQL, UNION SELECT, stacked statements, boolean
/// tautologies, calls of SQL functions, catalog names, comments splitting keywords.
enum SQLDetector {
    static let union = Rule("sqli.union", .sqli, .critical, "UNION SELECT")
    static let selectFrom = Rule("sqli.select", .sqli, .critical, "SELECT ... FROM or SELECT of a function")
    static let statement = Rule("sqli.statement", .sqli, .critical, "SQL statement (DROP TABLE, INSERT INTO, EXEC, WAITFOR ...)")
    static let stacked = Rule("sqli.stacked", .sqli, .critical, "stacked query after ';'")
    static let tautology = Rule("sqli.tautology", .sqli, .critical, "boolean condition injected (OR 1=1)")
    static let quoteBreak = Rule("sqli.quote-break", .sqli, .critical, "string closed and followed by SQL")
    static let quoteOperator = Rule("sqli.quote-operator", .sqli, .high, "string closed and followed by an operator")
    static let dangerousCall = Rule("sqli.function", .sqli, .critical, "call of a SQL time, file or metadata function")
    static let functionCall = Rule("sqli.function-call", .sqli, .critical, "call of a SQL function")
    static let functionCallSpaced = Rule("sqli.function-call-spaced", .sqli, .medium, "word that is also a SQL function, then '('")
    static let systemObject = Rule("sqli.catalog", .sqli, .critical, "SQL catalog, system table or procedure")
    static let catalogColumn = Rule("sqli.catalog-column", .sqli, .critical, "SQL catalog column name (table_name, schema_name)")
    static let executableComment = Rule("sqli.mysql-comment", .sqli, .critical, "MySQL executable comment /*!")
    static let commentObfuscation = Rule("sqli.comment-split", .sqli, .critical, "comment between SQL keywords")
    static let clause = Rule("sqli.clause", .sqli, .high, "SQL clause (HAVING COUNT(, ORDER BY n, CASE WHEN, INTO OUTFILE)")
    static let comparison = Rule("sqli.comparison", .sqli, .high, "SQL comparison keyword on literals")
    static let castOperator = Rule("sqli.cast", .sqli, .high, "PostgreSQL cast '::type'")
    static let globalVariable = Rule("sqli.variable", .sqli, .high, "SQL server variable @@name")

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, tokens: inout [SQLToken], _ report: inout Report) {
        guard s.count >= 2 else { return }
        SQLTokenizer.tokenize(s, quote: nil, into: &tokens)
        analyze(s, tokens, &report)
        for quote: UInt8 in [0x27, 0x22] where ByteClass.contains(s, quote) {
            SQLTokenizer.tokenize(s, quote: quote, into: &tokens)
            analyze(s, tokens, &report)
        }
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

    static func hasComment(_ t: [SQLToken], after i: Int) -> Bool {
        var j = i + 1
        while j < t.count { if t[j].kind == .comment { return true }; j += 1 }
        return false
    }

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
                if token.end - token.start == 2, s[Int(token.start)] == 0x3A, s[Int(token.start) + 1] == 0x3A,
                   kind(t, i + 1) == .word, previous >= 0 {
                    report.add(castOperator, s, range(t, previous, i + 1))
                }
            case .word:
                word(s, t, i, previous: previous, &report)
            default:
                break
            }
            if token.kind != .comment { previous = i }
        }
    }

    static func quoteBreak(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, _ report: inout Report) {
        var j = next(t, i)
        // `')` closes a parenthesised expression too.
        while kind(t, j) == .closeParen { j = next(t, j) }
        let commentFollows = j > i + 1 && t[i + 1].kind == .comment
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
            if !SQLKeywords.has(k, SQLKeywords.english) || SQLKeywords.has(k, SQLKeywords.dangerousFunction | SQLKeywords.systemObject) {
                report.add(quoteBreak, s, range(t, i, j + 1))
            } else if SQLKeywords.has(k, SQLKeywords.logical) {
                // `' or 1=1`, `' and sleep(`, `'or'a`, `' or true--`: an operand that is code, not prose.
                let o = next(t, j)
                if isOperand(t, o) && t[o].kind != .word || isWord(t, o, SQLKeywords.clause | SQLKeywords.logical)
                    || (isOperand(t, o) && (isComparison(s, t, next(t, o)) || kind(t, next(t, o)) == .openParen))
                    || hasComment(t, after: j) {
                    report.add(quoteBreak, s, range(t, i, o))
                }
            } else if isCodeFollowing(s, t, j) || hasComment(t, after: j) {
                report.add(quoteBreak, s, range(t, i, j + 2))
            }
        case .op:
            if hasComment(t, after: j) || isOperand(t, next(t, j)) && kind(t, next(t, j)) != .word {
                report.add(quoteBreak, s, range(t, i, j + 1))
            } else if j + 1 < t.count {
                report.add(quoteOperator, s, range(t, i, j + 1))
            }
        case .comment:
            report.add(quoteBreak, s, range(t, i, j))
        case .comma where isOperand(t, next(t, j)) && kind(t, next(t, j)) != .word:
            report.add(quoteOperator, s, range(t, i, next(t, j)))
        default:
            if commentFollows { report.add(quoteBreak, s, range(t, i, i + 1)) }
        }
    }

    /// After an English-looking keyword: is what follows code (a literal, an operator, a call)?
    static func isCodeFollowing(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ j: Int) -> Bool {
        var k = next(t, j)
        var steps = 0
        while k < t.count && steps < 3 {
            switch t[k].kind {
            case .number, .string, .op, .openParen, .semicolon, .variable, .executableComment, .quoteBreak: return true
            case .word where t[k].keyword != 0 && !SQLKeywords.has(t[k].keyword, SQLKeywords.english): return true
            default: break
            }
            k = next(t, k)
            steps += 1
        }
        return false
    }

    static func word(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, previous: Int, _ report: inout Report) {
        let k = t[i].keyword
        let n1 = next(t, i)
        let callFollows = kind(t, n1) == .openParen && s[Int(t[n1].start)] == 0x28
        if SQLKeywords.has(k, SQLKeywords.systemObject) {
            // `mysql` and the *_name columns are ordinary words unless qualified or quoted.
            let plain = word(s, t, i, "mysql") || ByteClass.find(UnsafeRawBufferPointer(rebasing: s[Int(t[i].start)..<Int(t[i].end)]), "_name") != nil
            if !plain || kind(t, n1) == .dot || (previous >= 0 && t[previous].kind == .dot) {
                report.add(systemObject, s, range(t, i, n1))
            } else {
                report.add(catalogColumn, s, range(t, i, i))
            }
        }
        if callFollows {
            if SQLKeywords.has(k, SQLKeywords.dangerousFunction) {
                report.add(dangerousCall, s, range(t, i, n1))
            } else if SQLKeywords.has(k, SQLKeywords.function) {
                let adjacent = t[n1].start == t[i].end
                if !SQLKeywords.has(k, SQLKeywords.english) || adjacent {
                    report.add(functionCall, s, range(t, i, n1))
                } else {
                    report.add(functionCallSpaced, s, range(t, i, n1))
                }
            }
        }
        guard k != 0 else { return }
        if word(s, t, i, "union") {
            var j = n1
            if word(s, t, j, "all") || word(s, t, j, "distinct") { j = next(t, j) }
            while kind(t, j) == .openParen { j = next(t, j) }
            if word(s, t, j, "select") { report.add(union, s, range(t, i, j)) }
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
            while j < t.count && steps < 8 {
                if word(s, t, j, "from") && next(t, j) < t.count { report.add(selectFrom, s, range(t, i, next(t, j))); return }
                if t[j].kind == .semicolon { break }
                j = next(t, j)
                steps += 1
            }
            if previous >= 0, t[previous].kind == .semicolon || t[previous].kind == .openParen {
                report.add(stacked, s, range(t, previous, n1))
            }
            return
        }
        if SQLKeywords.has(k, SQLKeywords.statement) {
            if previous >= 0, t[previous].kind == .semicolon, n1 < t.count {
                report.add(stacked, s, range(t, previous, n1))
            }
            statementShape(s, t, i, &report)
            return
        }
        if SQLKeywords.has(k, SQLKeywords.logical), !word(s, t, i, "not") {
            // <operand> OR <operand> <comparison> <operand>: `1 or 1=1`, `x' or 'a'='a'`.
            let o = n1
            if previous >= 0, [.number, .string, .closeParen, .quoteBreak].contains(t[previous].kind),
               isOperand(t, o), isComparison(s, t, next(t, o)), isOperand(t, next(t, next(t, o))) || word(s, t, next(t, next(t, o)), "not") || isWord(t, next(t, next(t, o)), SQLKeywords.clause) {
                report.add(tautology, s, range(t, previous, next(t, next(t, o))))
            }
            return
        }
        clauseShape(s, t, i, previous: previous, &report)
    }

    /// The second word that makes a statement keyword a statement: DROP TABLE, INSERT INTO...
    static func statementShape(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, _ report: inout Report) {
        let j = next(t, i)
        guard j < t.count else { return }
        let splitByComment = j > i + 1
        let shaped: Bool
        if word(s, t, i, "insert") || word(s, t, i, "replace") {
            shaped = word(s, t, j, "into")
        } else if word(s, t, i, "delete") {
            shaped = word(s, t, j, "from")
        } else if word(s, t, i, "drop") || word(s, t, i, "create") || word(s, t, i, "alter") || word(s, t, i, "truncate") {
            shaped = word(s, t, j, "table") || word(s, t, j, "database") || word(s, t, j, "function") || word(s, t, j, "procedure")
                || word(s, t, j, "user") || word(s, t, j, "view") || word(s, t, j, "trigger") || word(s, t, j, "schema") || word(s, t, j, "index")
                || (t[j].kind == .word && (kind(t, next(t, j)) == .semicolon || hasComment(t, after: j)))
        } else if word(s, t, i, "exec") || word(s, t, i, "execute") {
            shaped = t[j].kind == .variable || t[j].kind == .openParen || word(s, t, j, "immediate") || isWord(t, j, SQLKeywords.systemObject)
                || (t[j].kind == .word && kind(t, next(t, j)) == .semicolon)
        } else if word(s, t, i, "declare") {
            shaped = t[j].kind == .variable
        } else if word(s, t, i, "waitfor") {
            shaped = word(s, t, j, "delay") || word(s, t, j, "time")
        } else if word(s, t, i, "update") {
            shaped = t[j].kind == .word && word(s, t, next(t, j), "set")
        } else if word(s, t, i, "set") {
            shaped = t[j].kind == .variable
        } else if word(s, t, i, "shutdown") {
            shaped = t[j].kind == .semicolon || word(s, t, j, "with")
        } else if word(s, t, i, "load") {
            shaped = word(s, t, j, "data")
        } else {
            shaped = false
        }
        if shaped || (splitByComment && t[j].kind == .word) { report.add(statement, s, range(t, i, j)) }
    }

    /// Clauses that appear in injected fragments: HAVING COUNT(, ORDER BY 1, CASE WHEN, INTO OUTFILE, LIKE '...
    static func clauseShape(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, previous: Int, _ report: inout Report) {
        let j = next(t, i)
        if word(s, t, i, "into"), word(s, t, j, "outfile") || word(s, t, j, "dumpfile") {
            report.add(statement, s, range(t, i, j))
        } else if word(s, t, i, "having"), isWord(t, j, SQLKeywords.function | SQLKeywords.dangerousFunction), kind(t, next(t, j)) == .openParen {
            report.add(clause, s, range(t, i, next(t, j)))
        } else if word(s, t, i, "order") || word(s, t, i, "group"), word(s, t, j, "by") {
            let o = next(t, j)
            if o >= t.count || t[o].kind == .number || (t[o].kind == .word && (s[Int(t[o].start)] == 0x60 || kind(t, next(t, o)) == .openParen || kind(t, next(t, o)) == .comma)) {
                report.add(clause, s, range(t, i, o))
            }
        } else if word(s, t, i, "case"), word(s, t, j, "when") {
            report.add(clause, s, range(t, i, j))
        } else if word(s, t, i, "when"), previous >= 0, t[previous].kind == .closeParen || t[previous].kind == .quoteBreak,
                  isOperand(t, j), word(s, t, next(t, j), "then") {
            report.add(clause, s, range(t, i, next(t, j)))
        } else if SQLKeywords.has(t[i].keyword, SQLKeywords.comparison), previous >= 0,
                  [.number, .string, .closeParen, .quoteBreak].contains(t[previous].kind) || (word(s, t, i, "like") && t[previous].kind == .word),
                  j < t.count, [.number, .string, .openParen, .quoteBreak].contains(t[j].kind) || word(s, t, j, "null") || word(s, t, j, "not") {
            report.add(comparison, s, range(t, previous, j))
        } else if word(s, t, i, "as"), previous >= 0, [.closeParen, .number, .string].contains(t[previous].kind) || s[Int(t[previous].start)] == 0x60,
                  j < t.count, t[j].kind == .word || t[j].kind == .string, word(s, t, next(t, j), "from") {
            report.add(clause, s, range(t, previous, next(t, j)))
        }
    }
}
