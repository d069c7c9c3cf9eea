import Testing
@testable import GatewayHTTP

@Suite("HTTPHeaders")
struct HeadersTests {
    private func headers(_ pairs: (String, String)...) -> HTTPHeaders {
        var h = HTTPHeaders()
        for (name, value) in pairs { #expect(h.add(name, value) == true) }
        return h
    }

    @Test func lookupsAreCaseInsensitive() {
        let h = headers(("Content-Type", "text/html"), ("X-Multi", "1"), ("x-multi", "2"))
        #expect(h.count == 3)
        #expect(h.contains("content-type"))
        #expect(h.contains("CONTENT-TYPE"))
        #expect(!h.contains("Content-Typ"))
        #expect(!h.contains(""))
        #expect(h.first("content-TYPE") == "text/html")
        #expect(h.first("missing") == nil)
        #expect(h.all("X-MULTI") == ["1", "2"])
        #expect(h.all("missing") == [])
        #expect(h.withFirst("x-multi") { $0.count } == 1)
        #expect(h.withFirst("nope") { $0.count } == nil)
    }

    @Test func caseFoldingOnlyAffectsLetters() {
        // '@'/'`' and '^'/'~' differ only in bit 0x20 but are not letters.
        let h = headers(("X-`", "1"), ("X-^", "2"))
        #expect(!h.contains("X-@"))
        #expect(!h.contains("x-~"))
        #expect(h.contains("x-`"))
    }

    @Test func addRefusesInjection() {
        var h = HTTPHeaders()
        #expect(h.add("X-A", "a\r\nInjected: 1") == false)
        #expect(h.add("X-A", "a\rb") == false)
        #expect(h.add("X-A", "a\nb") == false)
        #expect(h.add("X-A", "a\u{0}b") == false)
        #expect(h.add("X-A", "a\u{1}b") == false)
        #expect(h.add("X-A", "a\u{7F}b") == false)
        #expect(h.add("", "v") == false)
        #expect(h.add("X A", "v") == false)
        #expect(h.add("X-A:", "v") == false)
        #expect(h.add("X-A\r\n", "v") == false)
        #expect(h.add("Ñame", "v") == false)
        #expect(h.count == 0)
        #expect(h.add("X-Tab", "a\tb") == true)
        #expect(h.add("X-UTF8", "café") == true)
        #expect(h.add("X-Empty", "") == true)
        #expect(h.count == 3)
        #expect(h.first("x-utf8") == "café")
    }

    @Test func addWithRawBytes() {
        var h = HTTPHeaders()
        let ok = Array("X-Raw".utf8).withUnsafeBytes { name in
            [UInt8]([0x61, 0xFF, 0x62]).withUnsafeBytes { value in h.add(name: name, value: value) }
        }
        #expect(ok)
        #expect(h.withFirst("x-raw") { Array($0) } == [0x61, 0xFF, 0x62])
        let bad = Array("X-Raw".utf8).withUnsafeBytes { name in
            [UInt8]([0x61, 0x0A]).withUnsafeBytes { value in h.add(name: name, value: value) }
        }
        #expect(!bad)
        #expect(h.count == 1)
    }

    @Test func setReplacesAllAtTheFirstPosition() {
        var h = headers(("A", "1"), ("X-Forwarded-For", "evil"), ("B", "2"), ("x-forwarded-for", "more"))
        #expect(h.set("X-Forwarded-For", "10.0.0.1") == true)
        #expect(h.count == 3)
        #expect(h.map(\.name) == ["A", "X-Forwarded-For", "B"])
        #expect(h.all("x-forwarded-for") == ["10.0.0.1"])
    }

    @Test func setAddsWhenAbsentAndRefusesInvalid() {
        var h = headers(("A", "1"))
        h.set("Via", "1.1 gateway")
        #expect(h.map(\.name) == ["A", "Via"])
        #expect(h.set("Via", "x\r\ny") == false)
        #expect(h.first("via") == "1.1 gateway")
    }

    @Test func removeReturnsHowMany() {
        var h = headers(("Cookie", "a"), ("X", "1"), ("cookie", "b"))
        #expect(h.remove("COOKIE") == 2)
        #expect(h.remove("cookie") == 0)
        #expect(h.count == 1)
        #expect(!h.contains("cookie"))
        #expect(h.map(\.name) == ["X"])
    }

    @Test func removeHopByHopStandardFields() {
        var h = headers(
            ("Host", "h"), ("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"), ("Proxy-Connection", "x"),
            ("TE", "trailers"), ("Trailer", "X-Sum"), ("Transfer-Encoding", "chunked"), ("Upgrade", "websocket"),
            ("Proxy-Authorization", "Basic x"), ("Proxy-Authenticate", "Basic"), ("Accept", "*/*"), ("Content-Length", "3")
        )
        h.removeHopByHop()
        #expect(h.map(\.name) == ["Host", "Accept", "Content-Length"])
        #expect(h.count == 3)
    }

    @Test func removeHopByHopNamesListedInConnection() {
        var h = headers(
            ("X-Secret", "1"), ("Connection", "X-Secret, x-other"), ("X-Other", "2"), ("X-Keep", "3"),
            ("connection", " X-Late ,close"), ("x-late", "4")
        )
        h.removeHopByHop()
        #expect(h.map(\.name) == ["X-Keep"])
    }

    @Test func connectionCannotStripHostOrContentLength() {
        var h = headers(("Host", "h"), ("Content-Length", "5"), ("Connection", "host, content-length, connection"),
                        ("Connection", "x-a"), ("X-A", "1"))
        h.removeHopByHop()
        #expect(h.map(\.name) == ["Host", "Content-Length"])
    }

    @Test func hasToken() {
        let h = headers(("Connection", "keep-alive, Upgrade"), ("Upgrade", "websocket"))
        #expect(h.hasToken("upgrade", in: "connection"))
        #expect(h.hasToken("KEEP-ALIVE", in: "Connection"))
        #expect(!h.hasToken("close", in: "Connection"))
        #expect(!h.hasToken("upgrad", in: "Connection"))
        #expect(!h.hasToken("websocket", in: "Connection"))
    }

    @Test func forEachSkipsRemovedFieldsInOrder() {
        var h = headers(("A", "1"), ("B", "2"), ("C", "3"))
        h.remove("b")
        var seen: [String] = []
        h.forEach { name, value in
            seen.append(String(decoding: name, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
        }
        #expect(seen == ["A=1", "C=3"])
        #expect(Array(h).map { "\($0.name)=\($0.value)" } == ["A=1", "C=3"])
        #expect(h.underestimatedCount == 2)
    }

    @Test func writeFormatsFields() {
        var h = headers(("Host", "example.com"), ("X-Drop", "x"), ("Accept", ""))
        h.remove("x-drop")
        var out = Array("prefix|".utf8)
        h.write(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "prefix|Host: example.com\r\nAccept: \r\n")
    }

    @Test func removeAllKeepsCapacity() {
        var h = HTTPHeaders()
        for i in 0..<50 { h.add("X-\(i)", String(repeating: "v", count: 20)) }
        let storage = h.storage.capacity, fields = h.fields.capacity
        h.removeAll()
        #expect(h.count == 0)
        #expect(Array(h).isEmpty)
        #expect(h.storage.capacity == storage)
        #expect(h.fields.capacity == fields)
        #expect(h.add("A", "b") == true)
        #expect(h.first("a") == "b")
    }

    @Test func parsedHeadersCanBeEdited() {
        let (_, parsed) = parseRequest(request("Connection: X-Hop", "X-Hop: 1", "X-Keep: 2"))
        var h = parsed.headers
        h.removeHopByHop()
        h.add("X-Forwarded-For", "192.0.2.1")
        h.set("Host", "backend")
        #expect(Array(h).map { "\($0.name): \($0.value)" } == ["Host: backend", "X-Keep: 2", "X-Forwarded-For: 192.0.2.1"])
        #expect(parsed.headers.count == 4)  // value semantics: the parsed head is untouched
    }
}
