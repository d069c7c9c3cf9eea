import GatewayTesting
import Testing
@testable import InjectionDetection

/// The SQL rules for fragments and probes (operators alone, functions left open, quote-break
/// probes, escaped quotes, boundary numbers, literal tautologies, special-character values):
/// each payload must be found by its rule and blocked in every carrier, each near miss must pass.
@Suite("SQL detector")
struct SQLDetectorTests {
    /// Where `payload` is not blocked: query, form body, JSON, cookie, multipart field,
    /// double-encoded query (empty when blocked everywhere).
    static func missedCarriers(_ payload: String) -> [String] {
        let t = defaultTester
        var missed: [String] = []
        if !blocksQuery(payload, t) { missed.append("query") }
        let form = judge(t, "POST", "/form", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "a=1&v=" + formEncode(payload))
        if !form.blocked { missed.append("form") }
        if !blocksJSON(payload, t) { missed.append("json") }
        if !judge(t, "GET", "/", headers: [("Cookie", "theme=dark; pref=" + percentEncode(payload))]).blocked { missed.append("cookie") }
        let multipart = ["--B", #"Content-Disposition: form-data; name="comment""#, "", payload, "--B--", ""].joined(separator: "\r\n")
        if !judge(t, "POST", "/upload", headers: [("Content-Type", "multipart/form-data; boundary=B")], body: multipart).blocked {
            missed.append("multipart")
        }
        if !judge(t, "GET", "/search?q=" + percentEncode(percentEncode(payload))).blocked { missed.append("double-encoded") }
        return missed
    }

    /// Every byte but letters and digits as `%HH` (cookies and paths do not read `+` as a space).
    static func percentEncode(_ s: String) -> String {
        formEncode(s).replacingOccurrences(of: "+", with: "%20")
    }

    @Test("fragments and probes are found by their rule and blocked in every carrier", arguments: [
        // Operators and comparisons alone.
        ("&&", "sqli.operator-fragment"), ("<=>", "sqli.operator-fragment"), (" || ", "sqli.operator-fragment"),
        ("Is Not NULL", "sqli.operator-fragment"), ("like null", "sqli.operator-fragment"), ("RLike", "sqli.operator-fragment"),
        ("notnull", "sqli.operator-fragment"), ("in ( 7, 8 )", "sqli.operator-fragment"), ("IN('x','y')", "sqli.operator-fragment"),
        ("in (-5)", "sqli.operator-fragment"),
        // A function or keyword left open.
        ("Concat  (", "sqli.open-call"), ("SUBSTR/**/(", "sqli.open-call"), ("ascii !(", "sqli.open-call"), ("char]=(", "sqli.open-call"),
        ("benchmark\t(", "sqli.open-call"), ("user')(", "sqli.open-call"), ("exists (", "sqli.open-call"), ("LN\\(", "sqli.open-call"),
        // Quote-break probes.
        ("'7'='70", "sqli.quote-probe"), ("\"31*7", "sqli.quote-probe"), ("`<=8", "sqli.quote-probe"), ("' ,5 ,6", "sqli.quote-probe"),
        ("'0:0:9", "sqli.quote-probe"), ("\"0x1f|3", "sqli.quote-probe"),
        // Escaped quotes.
        ("\\'or", "sqli.escaped-quote"), ("\\\"AND", "sqli.escaped-quote"), ("\\`xor`1", "sqli.escaped-quote"), ("\\'5 or 5", "sqli.escaped-quote"),
        // Boundary numbers.
        ("2147483648", "sqli.boundary-number"), ("-9223372036854775808", "sqli.boundary-number"),
        ("18446744073709551616", "sqli.boundary-number"), ("2.2250738585072012e-00308", "sqli.boundary-number"),
        // EXECUTE of a procedure, databases and remote sources.
        ("EXECUTE ReportJob", "sqli.statement"), ("exec my_proc", "sqli.statement"), ("exec master..", "sqli.catalog"),
        ("Northwind", "sqli.catalog"), ("msdb.dbo.backupset", "sqli.catalog"), ("OPENQUERY", "sqli.catalog"),
        // Always-true comparisons of literals.
        ("5 != 6", "sqli.literal-equality"), ("'ab' <> 'cd'", "sqli.literal-equality"), ("9 LIKE 9", "sqli.literal-equality"),
        ("'x' NOT RLIKE 'y'", "sqli.literal-equality"), ("3 is not 4", "sqli.literal-equality"), ("'q' = 'q'", "sqli.literal-equality"),
        // Clause shapes.
        ("CASE WHEN a=1 THEN", "sqli.clause-fragment"), (") WHEN 5 THEN", "sqli.clause-fragment"),
        ("FROM orders GROUP BY region", "sqli.clause-fragment"), ("` as `alias` FrOm", "sqli.clause-fragment"), ("] AS [total] FROM", "sqli.clause-fragment"), ("`,`name` FROM", "sqli.quote-break"),
        ("name LIKE '", "sqli.comparison-fragment"),
        // Breaks out of a string or an identifier.
        ("' or name!", "sqli.quote-break"), ("' OR foo 1", "sqli.quote-break"), ("x' MOD 3--", "sqli.quote-break"),
        ("7' ' 8", "sqli.quote-break"), ("? AS' FROM", "sqli.quote-break"), ("x'  where", "sqli.quote-break"), ("` RLIKE ", "sqli.quote-break"), ("col\"=other", "sqli.quote-break"), ("'  notnull#", "sqli.quote-break"),
        ("2 or '3", "sqli.tautology"), ("9='9' or-- x", "sqli.tautology"), ("and '1'x", "sqli.tautology"),
        (";truncate", "sqli.stacked"), (";update accounts", "sqli.stacked"),
        ("'[1,2]' > '$[0]'", "sqli.json-operand"), ("price = 'x', 0x41", "sqli.values"), ("'abc', (1)", "sqli.values"),
        ("username::int", "sqli.cast-literal"), ("lower(name)::integer", "sqli.cast-literal"), ("mod (10 , 3)", "sqli.function-call"),
        // Server variables, hex and bit strings, comment fragments.
        ("@@hostname", "sqli.system-variable"), ("0x726f6f74", "sqli.hex-string"), ("X'6869'", "sqli.hex-string"),
        ("b'1010'", "sqli.hex-string"), ("42--", "sqli.comment-fragment"), ("3))#", "sqli.comment-fragment"), ("x')--", "sqli.quote-break"), ("7 #", "sqli.comment-fragment"),
        ("/**/", "sqli.comment-fragment"), (" */ ", "sqli.comment-fragment"), ("/*+ NO_INDEX(t) */", "sqli.comment-fragment"),
        // Statements and clauses of one dialect.
        ("MATCH(body) AGAINST ('x')", "sqli.clause-fragment"), ("3 PROCEDURE ANALYSE", "sqli.statement"),
        ("attach database '/tmp/x.db' as y", "sqli.statement"), ("2 between 2 and 9", "sqli.tautology"),
        ("x' sounds like 'y", "sqli.comparison-fragment"), ("LIMIT 0,1", "sqli.clause-fragment"), ("limit 5 offset 10", "sqli.clause-fragment"),
        ("from DUAL", "sqli.clause-fragment"), ("copy t from program 'id'", "sqli.statement"), ("GRANT ALL ON db.* TO u", "sqli.statement"),
        ("revoke select, insert on t from u", "sqli.statement"), ("handler t read first", "sqli.statement"), ("pragma table_info(users)", "sqli.statement"),
        ("case 3 when 3 then 1 end", "sqli.clause-fragment"), ("4 xor 5", "sqli.tautology"), ("8 DIV 0", "sqli.tautology"),
        ("5 or ?--", "sqli.tautology"), (") OR (7)", "sqli.tautology"), ("current_setting('x')", "sqli.function"), ("sleep (5)", "sqli.function"), ("version ()", "sqli.function"),
        ("find_in_set(1,x)", "sqli.function-call"), ("Timestampdiff (", "sqli.open-call"),
        (",colname'", "sqli.quote-probe"), (", item\"", "sqli.quote-probe"), ("\\x27", "sqli.escaped-quote"), ("\\x23\\x2D", "sqli.escaped-quote"),
        // Values made only of special characters.
        ("!@#$", "sqli.special-characters"), ("(((())))", "sqli.special-characters"), ("\"'", "sqli.special-characters"),
        ("^'", "sqli.special-characters"), ("~~~~~~~~~~", "sqli.special-characters"), ("\u{2018} =", "sqli.special-characters"),
    ])
    func fragments(_ payload: String, _ rule: String) {
        #expect(rules(inValue: payload).contains(rule), "\(payload) -> \(rules(inValue: payload))")
        #expect(Self.missedCarriers(payload).isEmpty, "\(payload) missed in \(Self.missedCarriers(payload))")
    }

    @Test("prose, names and data near the fragments pass", arguments: [
        "Weitere Bezeichnungen sind Harsle (1319) und Haßelt (1599).", "flying to an altitude of convert (0.46 miles) before landing",
        "Left (WA, RR), following wood edge south", "One quarter (24%) of people", "in (Paris, France) we met", "Results (2024)",
        "having fun", "except selecting", "and 7 oranges", "bob's or alice's", "O'Reilly's book", "Smith's and Jones' shops",
        "Just in case when needed then call", "step 1 is not 2", "11!=11", "1 is not 1", "'1' not regexp '1'",
        "Code 'VK' = 'VK', given as 'Verkauf'", "'2021-03-04'", "\"5\"", "exec summary", "execute order 66 now", "2147483647",
        "Pay 4294967296 bytes later", "4294967295", "=====", "!!!", "###", "* * *", "***********", ":-)", ">:(", ";)", "[ ]", "{}", "''", "\"\"",
        "\u{2019}\u{2019}", "${}", "!", #"{\"or\":1}"#, #"a \"quoted\" word"#, "use `select` here", "`code` and more",
        "it's 5' or so", "Rock 'n' roll", "sad :(", "date :(", "ok; update me later", "; set @", "x'~email--", "`!1",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMe--KKF2QT4fwpMeJf36POk6yJV_adQssw-5c",
        "SGVsbG9Xb3JsZFRoaXNJc0FCYXNlNjRFbmNvZGVkU3RyaW5n", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "550e8400-e29b-41d4-a716-446655440000", "andy.surname@somedomain.com", "https://example.com/a?b=c&d=e",
        "# Notes\n\n- dose (mg) twice daily\n- see `values` below", "order[filters][date_add][from]",
        "# Heading", "-- John", "/* note */", "0x336699", "0xFF", "room 12 #4", "speed limit 50", "between 2 and 3 days",
        "from dual citizenship to", "grant access to the team", "The event handler opens", "a pragmatic pragma", "Ruby's @@count",
        "Total(5)", "changes(2)", "Database (prod)", "Sleep (well)", "Smiths', Jones and more", "[Draft] as [final] version", "he said: \"I'm in\"", "Call me (555) 123-4567", "call me (", "the Smiths' table", "the kids' group", "see the users' order", "x'y'", "box'1010'", "case 3: when done, then stop", ", and then 'so'", ",x", "\\x41\\x42", "C:\\x27s",
    ])
    func nearMisses(_ text: String) {
        #expect(!blocksQuery(text), "\(text) -> \(rules(inValue: text))")
        #expect(!blocksJSON(text), "JSON: \(text)")
    }

    @Test("a comparison operator is data as a value (FHIR's comparator, a query builder's op) and a probe as a parameter name")
    func comparisonOperators() {
        for op in [">=", "<=", "!=", "<>", "=="] {
            #expect(!blocksJSON(op, key: "comparator"), "\(op)")
            #expect(!blocksQuery(op), "\(op)")
            let name = judge(defaultTester, "POST", "/form", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                             body: formEncode(op))
            #expect(name.blocked, "\(op) as a name")
        }
        #expect(blocksQuery("<=>") && blocksQuery("||") && blocksQuery("->>"))
    }

    @Test("a password made of special characters is a password, in a form and in JSON; elsewhere a probe")
    func credentialFields() {
        let walk = "!@#$%^&*()"
        for key in ["password", "new_password", "passwd", "pwd", "pw", "client_secret", "pin"] {
            #expect(!blocksJSON(walk, key: key), "\(key)")
            let form = judge(defaultTester, "POST", "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                             body: "user=ann&\(key)=" + formEncode(walk))
            #expect(!form.blocked, "\(key) in a form")
        }
        #expect(blocksJSON(walk, key: "comment") && blocksJSON(walk, key: "spinner"))
        #expect(blocksJSON("' or 1=1--", key: "password"), "other rules still judge a password")
    }

    @Test("a parameter name in single quotes and a run of one special character in a cookie are probes")
    func namesAndCookies() {
        let t = defaultTester
        #expect(judge(t, "GET", "/list?'sort'=1").blocked)
        #expect(judge(t, "POST", "/api", headers: [("Content-Type", "application/json")], body: #"{"'col'": 1}"#).blocked)
        #expect(!judge(t, "GET", "/list?sort='name'").blocked, "a quoted value is data")
        #expect(judge(t, "GET", "/", headers: [("Cookie", "pref=~~~~~~~~~~%26a%3Db")]).blocked)
        #expect(judge(t, "GET", "/", headers: [("Cookie", "pref=@@@@@@@@x")]).blocked)
        #expect(!judge(t, "GET", "/", headers: [("Cookie", "sid=ab--cd==; pw=**********")]).blocked)
        #expect(!judge(t, "GET", "/search?q=" + formEncode("notes ~~~~~~~~~~ here")).blocked, "a run inside typed text is not a cookie's")
    }

    @Test("a union in a path segment joined by '+' is found")
    func unionInPath() {
        #expect(judge(defaultTester, "GET", "/items/7+union+all/x").blocked)
        #expect(judge(defaultTester, "GET", "/items/7+UNION+select/x").blocked)
        #expect(!judge(defaultTester, "GET", "/stations/union+station/map").blocked)
    }
}
