/// Statement and clause shapes: the second word that makes a keyword SQL (DROP TABLE, INSERT
/// INTO, HAVING 1=, ORDER BY 1, CASE WHEN, FROM t WHERE), since each word alone is also English.
extension SQLDetector {
    /// The second word that makes a statement keyword a statement: DROP TABLE, INSERT INTO...
    @discardableResult
    static func statementShape(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, _ report: inout Report) -> Bool {
        let j = next(t, i)
        guard j < t.count else { return false }
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
            shaped = t[j].kind == .variable && t[j].end - t[j].start > 1
        } else if word(s, t, i, "shutdown") {
            shaped = t[j].kind == .semicolon || word(s, t, j, "with")
        } else if word(s, t, i, "load") {
            shaped = word(s, t, j, "data")
        } else if word(s, t, i, "grant") || word(s, t, i, "revoke") {
            // GRANT ALL, REVOKE SELECT ON: a privilege keyword, not "grant access to".
            shaped = word(s, t, j, "all") || word(s, t, j, "usage") || word(s, t, j, "privileges")
                || isWord(t, j, SQLKeywords.statement) && (kind(t, next(t, j)) == .comma || word(s, t, next(t, j), "on"))
        } else if word(s, t, i, "handler") {
            let k = next(t, j)
            shaped = t[j].kind == .word && (word(s, t, k, "open") || word(s, t, k, "read") || word(s, t, k, "close"))
        } else if word(s, t, i, "pragma") {
            shaped = t[j].kind == .word && (next(t, j) >= t.count || [.openParen, .op, .semicolon].contains(t[next(t, j)].kind))
        } else if word(s, t, i, "call") {
            // CALL proc(: the name glued to its parenthesis ("call me (555)" is a phone number).
            shaped = t[j].kind == .word && kind(t, next(t, j)) == .openParen && t[next(t, j)].start == t[j].end
        } else {
            shaped = false
        }
        guard shaped || (splitByComment && t[j].kind == .word) else { return false }
        report.add(statement, s, range(t, i, j))
        return true
    }

    /// `[name]`: an MSSQL identifier in brackets (the tokenizer reads `[` and `]` as parentheses).
    static func isBracketed(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ j: Int) -> Bool {
        j < t.count && t[j].kind == .openParen && s[Int(t[j].start)] == 0x5B && kind(t, next(t, j)) == .word
            && kind(t, next(t, next(t, j))) == .closeParen && s[Int(t[next(t, next(t, j))].start)] == 0x5D
    }

    /// LIKE and its pattern-matching siblings (not IS, IN, BETWEEN: "I'm in \"" is prose).
    static func isPatternMatch(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int) -> Bool {
        word(s, t, i, "like") || word(s, t, i, "rlike") || word(s, t, i, "ilike") || word(s, t, i, "regexp") || word(s, t, i, "glob")
    }

    /// HAVING COUNT(...), HAVING 1=
    static func havingShape(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ j: Int) -> Bool {
        if isWord(t, j, SQLKeywords.function | SQLKeywords.dangerousFunction) && kind(t, next(t, j)) == .openParen { return true }
        return isOperand(t, j) && t[j].kind != .word && isComparison(s, t, next(t, j))
    }

    /// FROM table [. table] WHERE/LIMIT/ORDER/GROUP/JOIN: critical with a quoted table or a condition.
    static func fromShape(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, _ j: Int, _ report: inout Report) {
        // `FROM DUAL` (Oracle's one-row table) ending a fragment; `COPY t FROM PROGRAM '...'` runs a command.
        if word(s, t, j, "dual"), next(t, j) >= t.count || t[next(t, j)].kind != .word || t[next(t, j)].keyword != 0 {
            report.add(strongClause, s, range(t, i, j))
            return
        }
        if word(s, t, j, "program"), kind(t, next(t, j)) == .string {
            report.add(statement, s, range(t, i, next(t, j)))
            return
        }
        var k = next(t, j)
        if kind(t, k) == .dot { k = next(t, next(t, k)) }
        guard word(s, t, k, "where") || word(s, t, k, "limit") || word(s, t, k, "join") || word(s, t, k, "order")
                || word(s, t, k, "group") else { return }
        let quoted = s[Int(t[j].start)] == 0x60
        // `FROM t GROUP BY c` not followed by prose, or `FROM t WHERE c =`.
        let grouped = word(s, t, k, "group") || word(s, t, k, "order")
        let condition = word(s, t, k, "where") && isComparison(s, t, next(t, next(t, k)))
            || grouped && word(s, t, next(t, k), "by") && kind(t, next(t, next(t, k))) == .word
                && kind(t, next(t, next(t, next(t, k)))) != .word
        report.add(quoted || condition ? strongClause : clause, s, range(t, i, k))
    }

    /// Clauses that appear in injected fragments: HAVING COUNT(, ORDER BY 1, CASE WHEN, INTO OUTFILE, LIKE '...
    static func clauseShape(_ s: UnsafeRawBufferPointer, _ t: [SQLToken], _ i: Int, previous: Int, _ report: inout Report) {
        let j = next(t, i)
        if word(s, t, i, "into"), word(s, t, j, "outfile") || word(s, t, j, "dumpfile") {
            report.add(statement, s, range(t, i, j))
        } else if word(s, t, i, "procedure"), word(s, t, j, "analyse") {
            report.add(statement, s, range(t, i, j))
        } else if word(s, t, i, "database"), previous >= 0, word(s, t, previous, "attach") || word(s, t, previous, "detach") {
            // SQLite's ATTACH DATABASE 'file' AS x writes a file.
            report.add(statement, s, range(t, previous, i))
        } else if word(s, t, i, "against"), previous >= 0, t[previous].kind == .closeParen, kind(t, j) == .openParen {
            // MATCH (col) AGAINST (...): full-text search syntax of MySQL.
            report.add(strongClause, s, range(t, previous, j))
        } else if word(s, t, i, "sounds"), word(s, t, j, "like"), previous >= 0,
                  [.number, .closeParen, .quoteBreak].contains(t[previous].kind) {
            // MySQL's SOUNDS LIKE after a closed expression: `' sounds like 'x`.
            report.add(strongComparison, s, range(t, i, j))
        } else if word(s, t, i, "between"), previous >= 0, t[previous].kind == .number, kind(t, j) == .number,
                  word(s, t, next(t, j), "and"), kind(t, next(t, next(t, j))) == .number {
            // `1 between 1 and 2`: a range test of literals.
            report.add(tautology, s, range(t, previous, next(t, next(t, j))))
        } else if word(s, t, i, "limit"), kind(t, j) == .number,
                  kind(t, next(t, j)) == .comma || word(s, t, next(t, j), "offset"), kind(t, next(t, next(t, j))) == .number {
            // LIMIT 1,1 and LIMIT 1 OFFSET 1 (a speed "limit 50" has one number).
            report.add(strongClause, s, range(t, i, next(t, next(t, j))))
        } else if word(s, t, i, "having"), havingShape(s, t, j) {
            report.add(strongClause, s, range(t, i, next(t, j)))
        } else if word(s, t, i, "from"), j < t.count, t[j].kind == .word, t[j].keyword == 0 || s[Int(t[j].start)] == 0x60 {
            fromShape(s, t, i, j, &report)
        } else if word(s, t, i, "order") || word(s, t, i, "group"), word(s, t, j, "by") {
            let o = next(t, j)
            var shaped = o >= t.count || t[o].kind == .number
            if !shaped && t[o].kind == .word {
                let following = kind(t, next(t, o))
                shaped = s[Int(t[o].start)] == 0x60 || following == .openParen || following == .comma
            }
            if shaped { report.add(strongClause, s, range(t, i, o)) }
        } else if word(s, t, i, "values"), kind(t, j) == .openParen, [.string, .number].contains(kind(t, next(t, j))),
                  kind(t, next(t, next(t, j))) == .comma || kind(t, next(t, next(t, j))) == .closeParen {
            report.add(values, s, range(t, i, next(t, next(t, j))))
        } else if word(s, t, i, "case"), word(s, t, j, "when") || [.number, .string].contains(kind(t, j)) && word(s, t, next(t, j), "when"),
                  previous < 0 || !word(s, t, previous, "in") {
            // CASE [x] WHEN y THEN: the whole conditional is SQL; the two words alone could be prose
            // ("in case when" is English).
            var k = next(t, word(s, t, j, "when") ? j : next(t, j))
            var steps = 0
            while k < t.count && steps < 6 && !word(s, t, k, "then") { k = next(t, k); steps += 1 }
            report.add(word(s, t, k, "then") ? strongClause : clause, s, range(t, i, min(k, t.count - 1)))
        } else if word(s, t, i, "when"), previous >= 0, t[previous].kind == .closeParen || t[previous].kind == .quoteBreak,
                  isOperand(t, j), word(s, t, next(t, j), "then") {
            // `) when 234 then`: a literal condition after a closed expression.
            report.add(t[j].kind == .word ? clause : strongClause, s, range(t, i, next(t, j)))
        } else if isPatternMatch(s, t, i), kind(t, j) == .string, next(t, j) >= t.count,
                  Int(t[j].end) - Int(t[j].start) == 1 || isBlank(s, Int(t[j].start) + 1, Int(t[j].end)) {
            // `something LIKE '`: the value ends on the quote that opens the operand.
            report.add(strongComparison, s, range(t, i, j))
        } else if SQLKeywords.has(t[i].keyword, SQLKeywords.comparison), previous >= 0,
                  [.number, .string, .closeParen, .quoteBreak].contains(t[previous].kind) || (word(s, t, i, "like") && t[previous].kind == .word),
                  j < t.count, [.number, .string, .openParen, .quoteBreak].contains(t[j].kind) || word(s, t, j, "null") {
            let closed = t[previous].kind == .closeParen || t[previous].kind == .quoteBreak
            report.add(closed ? strongComparison : comparison, s, range(t, previous, j))
        } else if word(s, t, i, "as"), previous >= 0,
                  [.closeParen, .number, .string, .quoteBreak].contains(t[previous].kind) || s[Int(t[previous].start)] == 0x60,
                  j < t.count, t[j].kind == .word || t[j].kind == .string || isBracketed(s, t, j) {
            // The alias, quoted, backticked or in MSSQL's brackets (`] AS [x] FROM`), then FROM.
            let after = t[j].kind == .openParen ? next(t, next(t, j)) : j
            if word(s, t, next(t, after), "from") { report.add(strongClause, s, range(t, previous, next(t, after))) }
        }
    }
}
