import GatewayTesting
import Testing
@testable import InjectionDetection

struct CodeDetectorTests {
    @Test("PHP open tags: short echo tags, XML lookalikes, BBCode and Smarty blocks", arguments: [
        "<?=1?>", "<?= 42;", "<?=`id`?>", "<?xml :system(1);", "<?XML\t;echo 1;", "<?xml\n$a=1;",
        "[php]echo 1[/php]", "{PHP}echo 1{/PHP}", "text [/php]", "[\\php]", "{/php}",
    ])
    func phpTags(_ payload: String) {
        #expect(rules(inValue: payload).contains("code.php-tag"), "\(payload) -> \(rules(inValue: payload))")
        #expect(blocksEverywhere(payload).isEmpty, "\(payload) missed in \(blocksEverywhere(payload))")
    }

    @Test("calls of PHP's function vocabulary, with the evasions between name and parenthesis", arguments: [
        "array_diff ($a,$b)", "tidy_parse_string()", "mysqli_query($c,'x')", "sodium_crypto_aead_chacha20poly1305_ietf_keygen (",
        "pi\u{0B}()", "FILE\r\n()", "Abs\n(1)", "exec /*x*/\n()", "serialize#x\n()", "XSHELL_EXEC('id')", "FOObase64_decode('aWQ=')",
        "Str_Rot13('x')", "fopen  (blah)", "exec\t(x)", "glob (id,id)", "file_get_contents (x)", "new SplFileObject('/etc/passwd')", "$r = new reflectionclass('x');", "require_once 'x.php';",
        "include $f;",
    ])
    func phpFunctions(_ payload: String) {
        #expect(rules(inValue: payload).contains("code.php-function"), "\(payload) -> \(rules(inValue: payload))")
        #expect(blocksEverywhere(payload).isEmpty, "\(payload) missed in \(blocksEverywhere(payload))")
    }

    @Test("calls through concatenated bare words and commented bracket chains", arguments: [
        "(sy.(st).em)('id')", "(ex.ec)(@ls)", "$_x[0]/*c*/[1] ()", "$a[@1] /* x */ [@2]('id')",
    ])
    func variableFunctions(_ payload: String) {
        #expect(rules(inValue: payload).contains("code.variable-function"), "\(payload) -> \(rules(inValue: payload))")
        #expect(blocksEverywhere(payload).isEmpty, "\(payload) missed in \(blocksEverywhere(payload))")
    }

    @Test("serialized objects, also with a signed length")
    func serializedObjects() {
        for payload in ["O:+8:\"stdClass\":0:{}", "a:+1:{i:0;s:1:\"x\";}", "C:11:\"ArrayObject\":0:{}"] {
            #expect(rules(inValue: payload).contains("code.php-object"), "\(payload)")
            #expect(blocksEverywhere(payload).isEmpty, "\(payload) missed in \(blocksEverywhere(payload))")
        }
        for text in ["Note: +8 hours", "ratio a:+1", "O: 8 \"items\""] { #expect(!blocksQuery(text), "\(text)") }
    }

    @Test("a superglobal named by a string")
    func superglobalByString() {
        for payload in ["${'_GET'}['a']", "${\"_SERVER\"}"] {
            #expect(rules(inValue: payload).contains("code.php-superglobal"), "\(payload)")
            #expect(blocksEverywhere(payload).isEmpty, "\(payload) missed in \(blocksEverywhere(payload))")
        }
        #expect(!blocksQuery("${'name'}"))
    }

    @Test("php.ini directives set as a value or a line", arguments: [
        "allow_url_include=1", "auto_prepend_file=/tmp/x", "OPCACHE.enable=0", "session.save_path=/tmp", "a=1\nopen_basedir=/",
        "precision = 17", "Disable_Functions=",
    ])
    func phpIni(_ payload: String) {
        #expect(rules(inValue: payload).contains("code.php-ini"), "\(payload) -> \(rules(inValue: payload))")
        #expect(blocksEverywhere(payload).isEmpty, "\(payload) missed in \(blocksEverywhere(payload))")
    }

    @Test("stream wrappers: SSH2 file transfer, data:// holding PHP", arguments: [
        "ssh2.sftp://u:p@h/x", "SSH2.SCP://u:p@h:22/etc/x", "data://text/plain;base64,PD9waHAgc3lzdGVtKCdpZCcpOz8+",
        "data://text/plain,<?php phpinfo()?>",
    ])
    func wrappers(_ payload: String) {
        #expect(rules(inValue: payload).contains("code.stream-wrapper"), "\(payload) -> \(rules(inValue: payload))")
        #expect(blocksEverywhere(payload).isEmpty, "\(payload) missed in \(blocksEverywhere(payload))")
    }

    @Test("uploads of server and application configuration files")
    func configUploads() {
        let t = defaultTester
        for name in [".htaccess", "WEB.CONFIG", "wp-config.php.bak", "config.yml ", "x/.user.ini", "config.yml."] {
            #expect(judge(t, "PUT", "/upload", headers: [("X-Filename", name)]).blocked, "\(name)")
            let body = ["--B", #"Content-Disposition: form-data; name="f"; filename="\#(name)""#, "Content-Type: text/plain", "", "x",
                        "--B--", ""].joined(separator: "\r\n")
            #expect(judge(t, "POST", "/upload", headers: [("Content-Type", "multipart/form-data; boundary=B")], body: body).blocked, "\(name)")
        }
        for name in ["config.yml.example", "my_config.yml", "htaccess.txt", "report.pdf", "web-config.png"] {
            #expect(!judge(t, "PUT", "/upload", headers: [("X-Filename", name)]).blocked, "\(name)")
        }
    }

    @Test("script uploads: the extensions a server maps to PHP, not look-alikes")
    func scriptUploads() {
        let t = defaultTester
        for name in ["a.PHP", "x.php907", "x.phtml...", "x.phar ", "test.phpt", "test.php5.gif", "photo. php"] {
            #expect(judge(t, "PUT", "/upload", headers: [("X-Filename", name)]).blocked, "\(name)")
        }
        for name in ["x.phtml987", "photos.zip", "php-guide.pdf", "x.phpinfo.txt"] {
            #expect(!judge(t, "PUT", "/upload", headers: [("X-Filename", name)]).blocked, "\(name)")
        }
    }

    @Test("templates: a scriptlet holding code, not a placeholder")
    func scriptlets() {
        #expect(blocksQuery("<%= 7*7 %>"))
        #expect(blocksQuery("<% if x %>49<% end %>"))
        #expect(!blocksQuery("<%=title%>"))
    }

    @Test("PHP-looking prose, markup and data pass", arguments: [
        "filemtime($foo)", "sodium_add_to_recipe(foo)", "openlogfile(foo)", "xcheckdate()", "checkdate", "array_diff",
        "the files (yep)", "(foo)bar or foo(bar)", "(e.g.)(1)", "(see fig. 1)(a)", "file(s)", "[a link](https://example.com)",
        "[system](/docs/system)",
        "(userAccountControl:1.2.840.113556.1.4.803:=2)(objectCategory=group)", "<?xml version=\"1.0\"?><a/>",
        "<?xml-stylesheet type=\"text/xsl\" href=\"s.xsl\"?>", "<?xpacket begin=\"\" id=\"x\"?>",
        "<?xml:namespace prefix = o ns = \"urn:schemas-microsoft-com:office:office\" />", "<?xb echo 1;",
        "data://text/plain;base64,SGVsbG8gd29ybGQ=", "precision is key", "extension 42", "the session.timeout is 5",
        "name=value", "a=b&c=d", "Date: 2024-01-01", "reset (all)", "key(s)", "sort (by name)", "the DirectoryIterator class",
        "please include 'the notes'", "Please find attached the file (report.pdf)", "the system (v2) is down",
        "copy (see fig. 2, left)", "report Copy (2).pdf", "Header (top)", "Define (term)", "include \"extras\" in the box",
    ])
    func benign(_ text: String) {
        #expect(passesEverywhere(text).isEmpty, "\(text) -> \(rules(inValue: text)) blocked in \(passesEverywhere(text))")
    }

    @Test("a FHIR resource with a narrative passes")
    func fhir() {
        let body = #"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"#
            + #""text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Heart rate (bpm): 72; see the chart (fig. 2).</p></div>"},"#
            + #""valueQuantity":{"value":72,"unit":"beats/minute","system":"http://unitsofmeasure.org","code":"/min"}}"#
        #expect(!judge(defaultTester, "POST", "/fhir/Observation", headers: [("Content-Type", "application/fhir+json")], body: body).blocked)
    }
}
