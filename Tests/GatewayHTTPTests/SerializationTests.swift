import Testing
@testable import GatewayHTTP

@Suite("Serialization, methods and status phrases")
struct SerializationTests {
    @Test func requestRoundTrip() {
        let text = "POST /api/v1/items?id=7 HTTP/1.1\r\nHost: api.local\r\nContent-Type: application/json\r\n"
            + "X-Multi: a\r\nX-Multi: b\r\nContent-Length: 2\r\n\r\n"
        let (result, head) = parseRequest(text)
        #expect(result == .complete(headLength: text.utf8.count))
        var out: [UInt8] = []
        head.serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == text)

        let (again, reparsed) = parseRequest(bytes: out)
        #expect(again == .complete(headLength: out.count))
        #expect(reparsed.method == head.method)
        #expect(reparsed.target == head.target)
        #expect(reparsed.framing == head.framing)
        #expect(Array(reparsed.headers).map { "\($0.name)=\($0.value)" } == Array(head.headers).map { "\($0.name)=\($0.value)" })
    }

    @Test func requestSerializationNormalisesWhitespaceAndVersion() {
        let (_, head) = parseRequest("GET /x HTTP/1.0\r\nHost:h\r\nX-A: \t v \t\r\n\r\n")
        var out: [UInt8] = []
        head.serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "GET /x HTTP/1.1\r\nHost: h\r\nX-A: v\r\n\r\n")
    }

    @Test func constructedRequest() {
        var head = HTTPRequestHead()
        head.method = HTTPMethod("PROPFIND")
        head.setTarget("/dav/a b#c?d=é")
        head.headers.add("Host", "dav.local")
        head.headers.add("Depth", "1")
        var out: [UInt8] = []
        head.serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self)
            == "PROPFIND /dav/a%20b%23c?d=%C3%A9 HTTP/1.1\r\nHost: dav.local\r\nDepth: 1\r\n\r\n")
        #expect(head.path == "/dav/a%20b%23c")
        #expect(head.query == "d=%C3%A9")
    }

    @Test func setTargetCannotSplitTheRequestLine() {
        var head = HTTPRequestHead()
        head.setTarget("/x HTTP/1.1\r\nEvil: 1\r\n\r\nGET /")
        #expect(head.target == "/x%20HTTP/1.1%0D%0AEvil:%201%0D%0A%0D%0AGET%20/")
        head.setTarget("")
        #expect(head.target == "/")
    }

    @Test func resetRequestHead() {
        var (_, head) = parseRequest(request("Connection: close", "Expect: 100-continue", requestLine: "DELETE /x?y HTTP/1.1"))
        head.reset()
        var out: [UInt8] = []
        head.serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "GET / HTTP/1.1\r\n\r\n")
        #expect(head.keepAlive && !head.expectsContinue && !head.isUpgrade && head.framing == .none)
    }

    @Test func responseRoundTrip() {
        let text = "HTTP/1.1 404 Not Here\r\nContent-Length: 3\r\nX-A: b\r\n\r\n"
        let (_, head) = parseResponse(text)
        var out: [UInt8] = []
        head.serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == text)
    }

    @Test func responseFromHTTP10UpstreamIsSentAsHTTP11() {
        let (_, head) = parseResponse("HTTP/1.0 200\r\nContent-Length: 0\r\n\r\n")
        var out: [UInt8] = []
        head.serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func constructedResponse() {
        var head = HTTPResponseHead(status: 503)
        #expect(head.reason == "Service Unavailable")
        head.headers.add("Retry-After", "5")
        var out: [UInt8] = []
        head.serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n")

        head.status = 502
        out.removeAll()
        head.serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self).hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
    }

    @Test func reasonSetterDropsControlBytes() {
        var head = HTTPResponseHead(status: 200)
        head.reason = "Fine\r\nSet-Cookie: x=1"
        #expect(head.reason == "FineSet-Cookie: x=1")
        head.reason = ""
        #expect(head.reason == "OK")
    }

    @Test func resetResponseHead() {
        var (_, head) = parseResponse("HTTP/1.0 500 Oops\r\nX: 1\r\n\r\n")
        head.reset()
        #expect(head.status == 200 && head.reason == "OK" && head.version == .http11)
        #expect(head.headers.count == 0 && head.keepAlive && head.framing == .none)
    }

    @Test func statusPhrases() {
        #expect(HTTPStatus.reasonPhrase(200) == "OK")
        #expect(HTTPStatus.reasonPhrase(413) == "Content Too Large")
        #expect(HTTPStatus.reasonPhrase(431) == "Request Header Fields Too Large")
        #expect(HTTPStatus.reasonPhrase(505) == "HTTP Version Not Supported")
        #expect(HTTPStatus.reasonPhrase(299) == "Unknown")
        #expect(HTTPStatus.reasonPhrase(-1) == "Unknown")
    }

    @Test func methods() {
        let all: [HTTPMethod] = [.get, .head, .post, .put, .delete, .options, .patch, .trace, .connect]
        for method in all {
            #expect(HTTPMethod(method.description) == method)
        }
        #expect(all.map(\.description) == ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"])
        #expect(all.filter(\.isIdempotent) == [.get, .head, .put, .delete, .options, .trace])
        #expect(HTTPMethod("get") != .get)
        #expect(HTTPMethod("MKCOL") == HTTPMethod("MKCOL"))
        #expect(HTTPMethod("MKCOL").description == "MKCOL")
        #expect(Set([HTTPMethod("GET"), .get, HTTPMethod("X")]).count == 2)
    }

    @Test func statusCodesAreWrittenInDecimal() {
        for status in [0, 7, 99, 599, 65535, Int.max, -42] {
            var out: [UInt8] = []
            HTTPResponseHead(status: status).serialize(into: &out)
            #expect(String(decoding: out, as: UTF8.self) == "HTTP/1.1 \(status) Unknown\r\n\r\n")
            #expect(ByteCursor.decimalCount(status) == String(status).utf8.count)
        }
    }
}
