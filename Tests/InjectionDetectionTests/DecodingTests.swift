import Testing
@testable import InjectionDetection

private func percent(_ s: String, plus: Bool = true) -> (String, DecodeFlags) {
    var out: [UInt8] = []
    let flags = Array(s.utf8).withUnsafeBytes { PercentDecoding.decode($0, plusIsSpace: plus, into: &out) }
    return (String(decoding: out, as: UTF8.self), flags)
}

private func markup(_ s: String) -> String {
    var out: [UInt8] = []
    Array(s.utf8).withUnsafeBytes { MarkupDecoding.decode($0, into: &out) }
    return String(decoding: out, as: UTF8.self)
}

@Suite("decoding")
struct DecodingTests {
    @Test("percent decoding: %HH, + as space in forms only, %uHHHH, bad escapes kept and flagged")
    func percentDecoding() {
        #expect(percent("a%20b+c").0 == "a b c")
        #expect(percent("a+b", plus: false).0 == "a+b")
        #expect(percent("%27%3b").0 == "';")
        #expect(percent("%u003cscript").0 == "<script")
        #expect(percent("%u003c").1.contains(.unicodeEscape))
        let (bad, flags) = percent("100%zz%")
        #expect(bad == "100%zz%")
        #expect(flags.contains(.badEscape))
        #expect(!percent("plain").1.contains(.decoded))
    }

    @Test("UTF-8: overlong forms are told apart from legacy-charset bytes")
    func utf8() {
        func check(_ bytes: [UInt8]) -> UTF8Validation.Result { bytes.withUnsafeBytes { UTF8Validation.check($0) } }
        #expect(check(Array("héllo ✓".utf8)) == .valid)
        #expect(check([0xC0, 0xAE]) == .overlong)        // '.'
        #expect(check([0xE0, 0x80, 0xAF]) == .overlong)  // '/'
        #expect(check([0xE9, 0x20]) == .invalid)          // Latin-1 é
    }

    @Test("markup decoding: HTML references (with or without ;) and JS escapes")
    func markupDecoding() {
        #expect(markup("&lt;script&gt;") == "<script>")
        #expect(markup("&#106;&#x61;v&#0000097") == "jav" + "a")
        #expect(markup("ja&Tab;vascript&colon;") == "ja\tvascript:")
        #expect(markup(#"\u0027 or \x31=1 \u{61}"#) == "' or 1=1 a")
        #expect(markup("AT&T rocks") == "AT&T rocks")
    }

    @Test("fullwidth forms fold to ASCII")
    func fullwidth() {
        var out: [UInt8] = []
        let folded = Array("＜script＞".utf8).withUnsafeBytes { UnicodeFolding.fold($0, into: &out) }
        #expect(folded)
        #expect(String(decoding: out, as: UTF8.self) == "<script>")
        #expect(!Array("plain ✓".utf8).withUnsafeBytes { UnicodeFolding.fold($0, into: &out) })
    }

    @Test("base64: text is decoded and judged, words, numbers and binary are not")
    func base64() {
        var out: [UInt8] = []
        #expect(Array("d2hpbGUodHJ1ZSk7Cg==".utf8).withUnsafeBytes { Base64Decoding.decode($0, into: &out) })
        #expect(String(decoding: out, as: UTF8.self) == "while(true);\n")
        #expect(!Array("HelloWorldExample".utf8).withUnsafeBytes { Base64Decoding.decode($0, into: &out) })
        #expect(!Array("123456789012345678".utf8).withUnsafeBytes { Base64Decoding.decode($0, into: &out) })
        #expect(!Array("iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB".utf8).withUnsafeBytes { Base64Decoding.decode($0, into: &out) }, "PNG bytes")
        #expect(blocksQuery("d2hpbGUodHJ1ZSk7Cg=="))
        #expect(blocksQuery("JyBvciAnMSc9JzE="))  // ' or '1'='1
        #expect(!blocksQuery("SGVsbG8gd29ybGQh"))  // Hello world!
    }

    @Test("double-encoded and overlong payloads are decoded and judged")
    func encodedPayloads() {
        #expect(blocksQuery("%2527%2520or%25201%253D1--"))  // double encoding of ' or 1=1--
        #expect(judge(defaultTester, "GET", "/f?file=%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd").blocked)
        #expect(judge(defaultTester, "GET", "/f?q=%uff1cscript%uff1ealert(1)%uff1c/script%uff1e").blocked)
    }
}
