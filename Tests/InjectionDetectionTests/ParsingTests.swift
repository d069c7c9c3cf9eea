import Testing
@testable import InjectionDetection

private func pairs(_ s: String) -> [String] {
    var out: [String] = []
    Array(s.utf8).withUnsafeBytes { buf in
        FormParser.forEachPair(buf) { out.append(String(decoding: $0, as: UTF8.self) + "=" + String(decoding: $1, as: UTF8.self)) }
    }
    return out
}

private func walk(_ json: String) -> (ok: Bool, items: [String]) {
    var walker = JSONWalker()
    var items: [String] = []
    let ok = Array(json.utf8).withUnsafeBytes { buf in
        walker.walk(buf) { kind, path, text in
            items.append("\(kind == .key ? "k" : "v") \(String(decoding: path, as: UTF8.self))=\(String(decoding: text, as: UTF8.self))")
        }
    }
    return (ok, items)
}

@Suite("parsing")
struct ParsingTests {
    @Test("form pairs: raw names and values, empty values, names without '='")
    func form() {
        #expect(pairs("a=1&b=&c&&d=x=y") == ["a=1", "b=", "c=", "d=x=y"])
    }

    @Test("cookies: split on ';', spaces trimmed")
    func cookies() {
        var out: [String] = []
        Array("a=1;  b = 2 ;c".utf8).withUnsafeBytes { buf in
            CookieParser.forEachCookie(buf) { out.append(String(decoding: $0, as: UTF8.self) + "|" + String(decoding: $1, as: UTF8.self)) }
        }
        #expect(out == ["a|1", "b|2", "c|"])
    }

    @Test("JSON: keys and string values with their paths, escapes decoded, arrays transparent, numbers skipped")
    func json() {
        let (ok, items) = walk(#"{"a": {"b": "x\u0027y", "n": 1, "l": ["p", {"q": "\ud83d\ude00"}]}, "c": true}"#)
        #expect(ok)
        #expect(items == ["k a=a", "k a.b=b", "v a.b=x'y", "k a.n=n", "k a.l=l", "v a.l=p", "k a.l.q=q", "v a.l.q=😀", "k c=c"])
    }

    @Test("JSON: a body cut at max_body is walked up to the cut; non-JSON is refused")
    func truncatedJSON() {
        let (ok, items) = walk(#"{"text": {"div": "<p>hello</p>"}, "name": "abc"#)
        #expect(ok)
        #expect(items.contains("v text.div=<p>hello</p>"))
        #expect(!walk("name=value").ok)
    }

    @Test("multipart: field names, file names and contents, CRLF or LF")
    func multipart() {
        for newline in ["\r\n", "\n"] {
            let body = ["--XyZ", #"Content-Disposition: form-data; name="title""#, "", "hello",
                        "--XyZ", #"Content-Disposition: form-data; name="file"; filename="a.txt""#, "Content-Type: text/plain", "",
                        "file body", "--XyZ--", ""].joined(separator: newline)
            var parts: [String] = []
            Array(body.utf8).withUnsafeBytes { buf in
                Array("XyZ".utf8).withUnsafeBytes { boundary in
                    MultipartParser.forEachPart(buf, boundary: boundary) { part in
                        parts.append([part.name, part.fileName, part.content].map { $0.map { String(decoding: $0, as: UTF8.self) } ?? "-" }.joined(separator: "|"))
                    }
                }
            }
            #expect(parts == ["title|-|hello", "file|a.txt|file body"], "newline \(newline.debugDescription)")
        }
    }

    @Test("XML: attribute values and text, entities left for the decoder, external entities reported")
    func xml() {
        var items: [String] = []
        let doc = #"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><root><a probe="1 &amp; 2">text</a><![CDATA[raw]]></root>"#
        Array(doc.utf8).withUnsafeBytes { buf in
            XMLScanner.scan(buf) { item in
                switch item {
                case .text(let name, let value): items.append(String(decoding: name, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
                case .externalEntity: items.append("XXE")
                }
            }
        }
        #expect(items == ["XXE", "probe=1 &amp; 2", "a=text", "a=raw"])
    }
}
