/// HTTP-level injection carried in values: CR/LF followed by a header or a request line
/// (response splitting, header injection, request smuggling), a request line pasted into a
/// value, mail protocol commands after a line break (SMTP/IMAP/POP3 injection).
enum ProtocolDetector {
    static let headerInjection = Rule("protocol.header-injection", .protocol, .critical, "CR/LF followed by a header")
    static let requestLine = Rule("protocol.request-line", .protocol, .critical, "HTTP request line inside a value")
    static let lineBreakInName = Rule("protocol.crlf-name", .protocol, .critical, "CR/LF in a parameter name or the path")
    static let parameterInjection = Rule("protocol.parameter-injection", .protocol, .critical, "CR/LF then name= in a query value")
    static let mailCommand = Rule("protocol.mail-command", .protocol, .critical, "CR/LF followed by an SMTP, IMAP or POP3 command")
    static let responseSplit = Rule("protocol.response-split", .protocol, .critical, "CR/LF then a status line, or a blank line then markup (response splitting)")
    static let arrayName = Rule("protocol.array-name", .protocol, .critical, "parameter name with text after an array index (a[1]b), cut differently by parsers")
    static let legacyCookie = Rule("protocol.legacy-cookie", .protocol, .critical, "RFC 2109 cookie attribute ($Version, $Path) that old and new parsers read differently")
    static let range = Rule("protocol.range", .protocol, .critical, "Range header without a unit, or with many ranges (Apache Killer)")
    static let contentType = Rule("protocol.content-type", .protocol, .critical, "Content-Type with a second media type in its parameters")

    private static let methods = KeywordTable(["get", "post", "put", "delete", "head", "options", "patch", "trace", "connect", "propfind"])
    private static let mailCommands = KeywordTable(["mail", "rcpt", "data", "helo", "ehlo", "quit", "rset", "vrfy", "expn",
                                                    "auth", "starttls", "select", "examine", "fetch", "search", "login",
                                                    "logout", "list", "retr", "dele", "user", "pass", "stat", "uidl", "top",
                                                    "capability", "append", "store", "copy", "create", "delete", "rename",
                                                    "subscribe", "lsub", "noop", "apop", "authenticate", "status", "uid",
                                                    "idle", "close", "expunge", "check", "namespace", "move"])

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        var i = 0
        var sawBreak = false
        while i < n {
            let b = s[i]
            if b == 0x0D || b == 0x0A {
                // A line end closing a body value (forms often end with one) splits nothing.
                var last = i
                while last < n && (s[last] == 0x0D || s[last] == 0x0A) { last += 1 }
                if last == n && ctx.source == .body { break }
                if (ctx.isName || ctx.source == .path || ctx.source == .header) && !sawBreak {
                    report.add(lineBreakInName, s, max(0, i - 20)..<min(n, i + 40))
                }
                sawBreak = true
                var k = i + 1
                var carriageReturn = b == 0x0D
                while k < n && (s[k] == 0x0D || s[k] == 0x0A) { carriageReturn = carriageReturn || s[k] == 0x0D; k += 1 }
                // A body's text has lines (`Id: 123`); only a CR there is the HTTP line end that splits headers.
                // A line must end in LF for any HTTP parser to start a new one (`\n\rName:` starts none).
                let lineStart = s[k - 1] == 0x0A
                afterBreak(s, k, headers: lineStart && (carriageReturn || ctx.source != .body), parameters: ctx.source != .body, &report)
                // Outside a body's text: `HTTP/1.1 200` starts a second response; an empty line then
                // markup is a response body after the headers.
                if lineStart && ctx.source != .body {
                    let blankLine = k - i >= 2 && (ByteClass.find(UnsafeRawBufferPointer(rebasing: s[i..<k]), "\n\n") != nil
                                                   || ByteClass.find(UnsafeRawBufferPointer(rebasing: s[i..<k]), "\n\r\n") != nil)
                    if (ByteClass.hasPrefix(s, at: k, "http/") && k + 5 < n && ByteClass.isDigit(s[k + 5]))
                        || (blankLine && k + 1 < n && s[k] == 0x3C && (ByteClass.isAlpha(s[k + 1]) || s[k + 1] == 0x21)) {
                        report.add(responseSplit, s, i..<min(n, k + 30))
                    }
                }
                i = k
                continue
            }
            // `嘍嘊Set-Cookie:`: CJK characters whose low byte is CR or LF, which servers that keep
            // only the low byte of each character turn into a line break.
            if b >= 0xE3, b <= 0xEF, lowByteBreak(s, i) {
                var k = i
                while lowByteBreak(s, k) { k += 3 }
                afterBreak(s, k, headers: true, parameters: false, &report)
                i = k
                continue
            }
            // `GET http://x HTTP/1.1` or `GET / HTTP/1.1` anywhere.
            if b == 0x48, ByteClass.hasPrefix(s, at: i, "http/"), i + 6 < n, ByteClass.isDigit(s[i + 5]), i > 3, s[i - 1] == 0x20 {
                var k = i - 2
                while k > 0 && s[k] != 0x20 { k -= 1 }
                var m = k - 1
                while m >= 0 && ByteClass.isAlpha(s[m]) { m -= 1 }
                if k > 0, methods.contains(s, m + 1, k) { report.add(requestLine, s, (m + 1)..<min(n, i + 8)) }
            }
            i += 1
        }
    }

    /// A parameter or cookie name: `a[1]b` (PHP drops what follows the index, other parsers keep
    /// it) and `$Version`-style cookie attributes.
    static func scanName(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        if ctx.source == .cookie, s.count > 1, s[0] == 0x24, legacyCookieAttributes.contains(s, 1, s.count) {
            report.add(legacyCookie, s, 0..<s.count)
        }
        var open = false
        for k in 0..<s.count {
            if s[k] == 0x5B { open = true } else if s[k] == 0x5D, open {
                open = false
                if k + 1 < s.count, s[k + 1] != 0x5B, s[k + 1] != 0x2E {  // `a[0].b` is Spring's binding syntax
                    report.add(arrayName, s, 0..<s.count)
                    return
                }
            }
        }
    }

    private static let legacyCookieAttributes = KeywordTable(["version", "path", "domain", "port"])

    /// `Range: bytes=0-99,200-`: a unit, `=`, and a handful of ranges of digits. Other units
    /// (`items=0-24`, some REST APIs) are the application's; a range with no unit, or the
    /// hundreds of overlapping ranges that exhaust a server, are not requests a client makes.
    static func scanRange(_ value: UnsafeRawBufferPointer, _ report: inout Report) {
        var k = 0
        while k < value.count && value[k] == 0x20 { k += 1 }
        let unit = k
        while k < value.count && (ByteClass.isAlpha(value[k]) || value[k] == 0x2D) { k += 1 }
        let unitEnd = k
        while k < value.count && value[k] == 0x20 { k += 1 }
        var valid = unitEnd > unit && k < value.count && value[k] == 0x3D
        var ranges = 1
        if valid {
            for b in UnsafeRawBufferPointer(rebasing: value[(k + 1)...]) {
                if b == 0x2C { ranges += 1 } else if !ByteClass.isDigit(b) && b != 0x2D && b != 0x20 { valid = false }
            }
        }
        if !valid || ranges > 16 { report.add(range, value, 0..<min(value.count, 60)) }
    }

    /// A three-byte character from U+3000 up whose code point ends in 0x0A or 0x0D.
    private static func lowByteBreak(_ s: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        guard i + 2 < s.count, s[i] >= 0xE3, s[i] <= 0xEF, s[i + 1] & 0xC0 == 0x80 else { return false }
        let last = s[i + 2]
        return last & 0xC0 == 0x80 && (last & 0x3F == 0x0A || last & 0x3F == 0x0D) && s[i + 1] & 0x03 == 0
    }

    private static func afterBreak(_ s: UnsafeRawBufferPointer, _ start: Int, headers: Bool, parameters: Bool,
                                   _ report: inout Report) {
        let n = s.count
        var k = start
        while k < n && (ByteClass.isAlnum(s[k]) || s[k] == 0x2D || s[k] == 0x5F) { k += 1 }
        guard k > start else { return }
        // `Name:` right after the break: a header (a space before the colon is tolerated by some parsers).
        var c = k
        while c < n && c - k < 4 && (s[c] == 0x20 || s[c] == 0x0D) { c += 1 }
        if headers, c < n, s[c] == 0x3A, ByteClass.isAlpha(s[start]) {
            report.add(headerInjection, s, start..<min(n, c + 30))
            return
        }
        // `\nnext=more` in a query value: a second parameter smuggled past the first parser.
        if parameters, c < n, s[c] == 0x3D, ByteClass.isAlpha(s[start]) {
            report.add(parameterInjection, s, start..<min(n, c + 30))
            return
        }
        // `GET /x HTTP/1.1` on the new line: a second request for a smuggling backend.
        if methods.contains(s, start, k), k < n, s[k] == 0x20 {
            var e = k
            while e < n && s[e] != 0x0A && s[e] != 0x0D { e += 1 }
            if ByteClass.find(UnsafeRawBufferPointer(rebasing: s[k..<e]), "http/") != nil {
                report.add(requestLine, s, start..<min(n, k + 30))
            }
        }
        // SMTP `MAIL FROM:`, IMAP `A1 SEARCH`, POP3 `LIST 3`: a command word (after an optional tag).
        var w = start, e = k
        if ByteClass.isAlnum(s[start]), e < n, s[e] == 0x20, !mailCommands.contains(s, w, e) {
            w = e + 1
            e = w
            while e < n && ByteClass.isAlpha(s[e]) { e += 1 }
        }
        if e > w, mailCommands.contains(s, w, e), e == n || s[e] == 0x20 || s[e] == 0x0D || s[e] == 0x0A,
           e - start <= 24 || w == start {
            // An upper-case command, or one followed by mail syntax (`<`, `:`, a number, quotes).
            var a = e
            while a < n && s[a] == 0x20 { a += 1 }
            // Upper case, or after an IMAP tag (`a001 login`), or followed by mail syntax.
            let upper = (s[w] >= 0x41 && s[w] <= 0x5A) || w != start
            if upper || a == n || s[a] == 0x3C || s[a] == 0x22 || ByteClass.isDigit(s[a]) || ByteClass.hasPrefix(s, at: a, "from:") {
                report.add(mailCommand, s, start..<min(n, e + 30))
            }
        }
    }
}
