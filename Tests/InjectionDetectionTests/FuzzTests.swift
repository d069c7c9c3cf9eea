import Testing
@testable import InjectionDetection

/// Random and adversarial input never crashes the parsers or detectors, and the work done
/// (bytes handed to the detectors, every decoded form included) grows linearly with the input.
@Suite("fuzz")
struct FuzzTests {
    /// A deterministic generator, so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Bytes biased towards the syntax the scanners react to.
    static let alphabet = Array("'\"`<>/\\;|&$(){}[]%=:#-*!?.,+~@_ \t\r\n\u{0}abcdefORSELECTunionscript0123456789ｘ".utf8)
        + [0xC0, 0xAE, 0xE0, 0x80, 0xFF, 0xEF, 0xBC]

    static func randomBytes(_ count: Int, _ rng: inout SplitMix) -> [UInt8] {
        (0..<count).map { _ in Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))] }
    }

    static let contentTypes: [String?] = [nil, "application/json", "multipart/form-data; boundary=-", "application/xml", "text/plain"]

    /// Runs `body` as every body type plus as a query, a cookie and a path; returns the work.
    static func inspectEverywhere(_ body: [UInt8]) -> Int {
        let inspector = Inspector(report: Report(exclusions: [], route: nil), detectors: .all)
        body.withUnsafeBytes { b in
            for type in contentTypes {
                if let type { Array(type.utf8).withUnsafeBytes { inspector.inspectBody(b, contentType: $0) } }
                else { inspector.inspectBody(b, contentType: nil) }
            }
            inspector.inspectPairs(b, source: .query)
            inspector.inspectCookies(b)
            inspector.inspect(b, fieldName: UnsafeRawBufferPointer(start: nil, count: 0), source: .path, encoding: .percent)
        }
        return inspector.examinedBytes
    }

    @Test("2000 random inputs of up to 2 KiB: no crash, every score consistent with its findings")
    func randomInputs() {
        var rng = SplitMix(state: 0x5EED)
        for _ in 0..<2000 {
            let bytes = Self.randomBytes(Int(rng.next() % 2048), &rng)
            let inspector = Inspector(report: Report(exclusions: [], route: nil), detectors: .all)
            bytes.withUnsafeBytes { inspector.inspectBody($0, contentType: nil) }
            let sum = inspector.report.findings.reduce(0) { $0 + $1.rule.severity.rawValue }
            #expect(inspector.report.score <= sum)
            #expect(inspector.report.findings.isEmpty == (inspector.report.score == 0))
        }
    }

    /// Syntax fragments the scanners react to: values built from them reach deeper states than
    /// random bytes (a fuzzer built like this found the JSON walker's crash).
    static let tokens = [
        "'", "\"", "`", "\\", "%", "%2", "%u12", "%25", "%C0%AE", "\\u00", "\\x4", "&#x3c", "&lt;", "&", "<?php ", "<%=", "%>",
        "${", "{{", "}}", "$((", "))", "/*", "*/", "--", "#", "//", "::", "http:", "https://", "unix:", "data:", "jar:", "@", "../",
        "..\\", "[", "]", "(", ")", "{", "}", ";", "|", "&&", "=", "0x", "1", "2147483648", " ", "\n", "\r\n", "\t", "\u{0}",
        "select", "union", " or ", "from", "while", "for /f %i in (x) do", "env ", "nohup ", "sudo ", "constructor", ".prototype",
        "__proto__", "javascript:", "127.0.0.1", "[::1]", "@{[", "%x(", "cat", "id", "$IFS", "{a,b}", "~+", "!1", "-->", "<!--",
        "<svg/onload=", "onerror=", "¼", "＜", "①", "。", "é", "😀", "GET / HTTP/1.1", "Set-Cookie:", "O:8:\"", "php://",
        "is null", "in (1,2)", "concat (", "case when", "/etc/passwd", "/???/?s", "/dev/tcp/", "w'h'o", "${jndi:ldap://x}", "!![]",
        "\"a\":", "{}", "[]", ",",
    ]

    @Test("3000 values built from syntax fragments, in every carrier: no crash")
    func structuredInputs() {
        var rng = SplitMix(state: 0x70C3)
        for _ in 0..<3000 {
            var value = ""
            let parts = [0, 1, 2, 3, 5, 8, 15, 30][Int(rng.next() % 8)]
            for _ in 0..<parts { value += Self.tokens[Int(rng.next() % UInt64(Self.tokens.count))] }
            if rng.next() % 20 == 0 { value = String(repeating: Self.tokens[Int(rng.next() % UInt64(Self.tokens.count))], count: 200) }
            _ = Self.inspectEverywhere(Array(value.utf8))
            _ = Self.inspectEverywhere(Array(("{\"a\":" + value).utf8))  // JSON cut anywhere
        }
    }

    @Test("JSON with text after its root, or cut short, is judged, never a crash", arguments: [
        #"{}"x""#, #"{"a":1,}"x""#, #"[{},"x"]"#, #"{a,b},x""#, #"[]]"#, #"{"q":"' union select password from users-- aaaa"#,
    ])
    func brokenJSON(_ body: String) {
        for type in ["application/json", "text/plain"] {
            let inspector = Inspector(report: Report(exclusions: [], route: nil), detectors: .all)
            Array(body.utf8).withUnsafeBytes { b in Array(type.utf8).withUnsafeBytes { inspector.inspectBody(b, contentType: $0) } }
            if body.contains("union") { #expect(inspector.report.score >= 5, "a string cut short is still judged (\(type))") }
        }
    }

    /// Inputs that once made one scan restart at every position, or recurse once per word
    /// (`env env env ...` overflowed the stack). Their time is measured by `bench/injection-cpu.py --worst`;
    /// here they must simply complete, and only linear work reaches the detectors.
    @Test("work is linear in the input size, for random and for pathological inputs", arguments: [
        "random", "'", "<", "%25", "&#", "$(", "/..", "{{", "(", "\\u00", "; cat ", "<a onx=", "union select ",
        "env ", "nohup ", ")", "http:1.2.3.4/", "http:", "=/", "`id+x", "// (\n", "f;", "unix:", "http://a/",
    ])
    func linearWork(_ unit: String) {
        var rng = SplitMix(state: 42)
        func input(_ size: Int) -> [UInt8] {
            if unit == "random" { return Self.randomBytes(size, &rng) }
            let u = Array(unit.utf8)
            return Array((0..<(size / u.count + 1)).flatMap { _ in u }.prefix(size))
        }
        let small = Self.inspectEverywhere(input(4_096))
        let large = Self.inspectEverywhere(input(65_536))
        // 16 times the input: at most ~16 times the work (decoded copies shrink, never grow beyond a constant factor).
        #expect(large <= small * 16 + 65_536 * 4, "\(unit): \(small) -> \(large)")
        #expect(large <= 65_536 * 8 * 8, "\(unit): more than a constant number of passes per byte")
    }
}
