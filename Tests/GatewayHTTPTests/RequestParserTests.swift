import Testing
@testable import GatewayHTTP

@Suite("Request parser: valid requests")
struct RequestParserTests {
    @Test func simpleGet() {
        let text = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
        let (result, head) = parseRequest(text)
        #expect(result == .complete(headLength: text.utf8.count))
        #expect(head.method == .get)
        #expect(head.version == .http11)
        #expect(head.target == "/index.html")
        #expect(head.path == "/index.html")
        #expect(head.query == nil)
        #expect(head.framing == .none)
        #expect(head.keepAlive)
        #expect(!head.expectsContinue)
        #expect(!head.isUpgrade)
        #expect(head.headers.count == 2)
        #expect(head.headers.first("host") == "example.com")
        #expect(head.headers.first("ACCEPT") == "*/*")
    }

    @Test func pathAndQuery() {
        let (result, head) = parseRequest(request(requestLine: "GET /search?q=a%20b&x=?y HTTP/1.1"))
        #expect(result != .incomplete)
        #expect(head.path == "/search")
        #expect(head.query == "q=a%20b&x=?y")
        #expect(head.withPath { Array($0) } == Array("/search".utf8))
        #expect(head.withTarget { $0.count } == "/search?q=a%20b&x=?y".utf8.count)
    }

    @Test func emptyQueryIsNotNil() {
        let (_, head) = parseRequest(request(requestLine: "GET /a? HTTP/1.1"))
        #expect(head.path == "/a")
        #expect(head.query == "")
    }

    @Test func percentEncodedPathIsKeptRaw() {
        let (result, head) = parseRequest(request(requestLine: "GET /caf%C3%A9/%2e%2E/x%20y HTTP/1.1"))
        #expect(result != .incomplete)
        #expect(head.path == "/caf%C3%A9/%2e%2E/x%20y")
    }

    @Test func postWithContentLength() {
        let headText = request("Content-Length: 5", "Content-Type: text/plain", requestLine: "POST /submit HTTP/1.1")
        let (result, head) = parseRequest(headText + "hello")
        #expect(result == .complete(headLength: headText.utf8.count))
        #expect(head.method == .post)
        #expect(head.framing == .contentLength(5))
    }

    @Test func contentLengthZeroMeansNoBody() {
        let (result, head) = parseRequest(request("Content-Length: 0", requestLine: "POST / HTTP/1.1"))
        #expect(result != .incomplete)
        #expect(head.framing == .none)
        #expect(head.headers.first("content-length") == "0")
    }

    @Test func contentLengthEighteenDigits() {
        let (_, head) = parseRequest(request("Content-Length: 999999999999999999", requestLine: "PUT / HTTP/1.1"))
        #expect(head.framing == .contentLength(999_999_999_999_999_999))
    }

    @Test func contentLengthWithSurroundingWhitespace() {
        let (_, head) = parseRequest(request("Content-Length: \t 42 \t", requestLine: "PUT / HTTP/1.1"))
        #expect(head.framing == .contentLength(42))
    }

    @Test func chunkedRequest() {
        let headText = request("Transfer-Encoding: chunked", requestLine: "POST /upload HTTP/1.1")
        let (result, head) = parseRequest(headText + "5\r\nhello\r\n0\r\n\r\n")
        #expect(result == .complete(headLength: headText.utf8.count))
        #expect(head.framing == .chunked)
    }

    @Test func transferEncodingIsCaseInsensitiveAndTrimmed() {
        let (_, head) = parseRequest(request("transfer-encoding:  CHUNKED ", requestLine: "POST / HTTP/1.1"))
        #expect(head.framing == .chunked)
    }

    @Test func http10DefaultsToClose() {
        let (result, head) = parseRequest("GET / HTTP/1.0\r\n\r\n")
        #expect(result == .complete(headLength: 18))
        #expect(head.version == .http10)
        #expect(!head.keepAlive)
        #expect(head.headers.count == 0)
    }

    @Test func http10KeepAlive() {
        let (_, head) = parseRequest("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        #expect(head.version == .http10)
        #expect(head.keepAlive)
    }

    @Test func http11ConnectionClose() {
        let (_, head) = parseRequest(request("Connection: close"))
        #expect(!head.keepAlive)
    }

    @Test func connectionTokenListCloseWins() {
        let (_, head) = parseRequest(request("Connection: keep-alive, , X-Foo ,CLOSE"))
        #expect(!head.keepAlive)
        let (_, head10) = parseRequest("GET / HTTP/1.0\r\nConnection: foo\r\nConnection: keep-alive,close\r\n\r\n")
        #expect(!head10.keepAlive)
    }

    @Test func connectionTokenIsNotSubstringMatched() {
        let (_, head) = parseRequest(request("Connection: closed, x-close"))
        #expect(head.keepAlive)
    }

    @Test func expectContinue() {
        let (_, head) = parseRequest(request("Expect: 100-Continue", "Content-Length: 3", requestLine: "POST / HTTP/1.1"))
        #expect(head.expectsContinue)
    }

    @Test func expectContinueIgnoredForHTTP10() {
        let (result, head) = parseRequest("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        #expect(result != .incomplete)
        #expect(!head.expectsContinue)
    }

    @Test func upgradeRequest() {
        let (_, head) = parseRequest(request("Connection: keep-alive, Upgrade", "Upgrade: websocket"))
        #expect(head.isUpgrade)
        let (_, noHeader) = parseRequest(request("Connection: Upgrade"))
        #expect(!noHeader.isUpgrade)
        let (_, noToken) = parseRequest(request("Upgrade: websocket"))
        #expect(!noToken.isUpgrade)
    }

    @Test func absoluteFormBecomesOriginForm() {
        let (result, head) = parseRequest(request(requestLine: "GET http://backend.local:8080/a/b?c=d HTTP/1.1"))
        #expect(result != .incomplete)
        #expect(head.target == "/a/b?c=d")
        #expect(head.headers.all("Host") == ["backend.local:8080"])
    }

    @Test func absoluteFormHTTPSAndCaseInsensitiveScheme() {
        let (_, head) = parseRequest(request(requestLine: "GET HTTPS://Example.org/x HTTP/1.1"))
        #expect(head.target == "/x")
        #expect(head.headers.first("host") == "Example.org")
    }

    @Test func absoluteFormWithoutPath() {
        let (_, head) = parseRequest(request(requestLine: "GET http://h HTTP/1.1"))
        #expect(head.target == "/")
        let (_, withQuery) = parseRequest(request(requestLine: "GET http://h?x=1 HTTP/1.1"))
        #expect(withQuery.target == "/?x=1")
        #expect(withQuery.query == "x=1")
    }

    @Test func absoluteFormOptionsWithoutPathIsAsterisk() {
        let (_, head) = parseRequest(request(requestLine: "OPTIONS http://h:81 HTTP/1.1"))
        #expect(head.target == "*")
        #expect(head.headers.first("Host") == "h:81")
    }

    @Test func absoluteFormHTTP10AddsHost() {
        let (result, head) = parseRequest("GET http://[::1]:8080/p HTTP/1.0\r\n\r\n")
        #expect(result != .incomplete)
        #expect(head.headers.first("Host") == "[::1]:8080")
        #expect(head.target == "/p")
    }

    @Test func optionsAsterisk() {
        let (result, head) = parseRequest(request(requestLine: "OPTIONS * HTTP/1.1"))
        #expect(result != .incomplete)
        #expect(head.method == .options)
        #expect(head.target == "*")
        #expect(head.path == "*")
    }

    @Test func customMethodKeepsItsBytes() {
        let (_, head) = parseRequest(request(requestLine: "PURGE /cache HTTP/1.1"))
        #expect(head.method == HTTPMethod("PURGE"))
        #expect(head.method.description == "PURGE")
        #expect(!head.method.isIdempotent)
    }

    @Test func leadingEmptyLinesAreSkipped() {
        let text = "\r\n\r\n" + request()
        let (result, head) = parseRequest(text)
        #expect(result == .complete(headLength: text.utf8.count))
        #expect(head.target == "/")
    }

    @Test func pipelinedRequestsReportOnlyTheFirstHead() {
        let first = request(requestLine: "GET /one HTTP/1.1")
        let second = request("Content-Length: 2", requestLine: "POST /two HTTP/1.1") + "ok"
        let (result, head) = parseRequest(first + second)
        #expect(result == .complete(headLength: first.utf8.count))
        #expect(head.target == "/one")

        let bytes = Array((first + second).utf8)
        let (next, nextHead) = parseRequest(bytes: Array(bytes[first.utf8.count...]))
        #expect(next == .complete(headLength: second.utf8.count - 2))
        #expect(nextHead.target == "/two")
        #expect(nextHead.framing == .contentLength(2))
    }

    @Test func fieldValuesAreTrimmedAndMayBeEmptyOrObsText() {
        var bytes = Array("GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Tabs:\t a\tb \t\r\nX-Latin: ".utf8)
        bytes += [0xE9, 0xFF]
        bytes += Array("\r\n\r\n".utf8)
        let (result, head) = parseRequest(bytes: bytes)
        #expect(result == .complete(headLength: bytes.count))
        #expect(head.headers.first("x-empty") == "")
        #expect(head.headers.first("x-tabs") == "a\tb")
        #expect(head.headers.withFirst("x-latin") { Array($0) } == [0xE9, 0xFF])
    }

    @Test func headerOrderAndNameCaseArePreserved() {
        let (_, head) = parseRequest(request("X-B: 1", "x-a: 2", "X-B: 3"))
        #expect(head.headers.map(\.name) == ["Host", "X-B", "x-a", "X-B"])
        #expect(head.headers.all("x-b") == ["1", "3"])
    }

    @Test func incompleteAtEveryByteBoundary() {
        let messages = [
            "GET /a?b HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
            "\r\n\r\nPOST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET / HTTP/1.0\r\n\r\n",
            "OPTIONS http://h:1/ HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n",
        ]
        for text in messages {
            let bytes = Array(text.utf8)
            for length in 0..<bytes.count {
                let (result, _) = parseRequest(bytes: Array(bytes[..<length]))
                #expect(result == .incomplete, "prefix \(length) of \(text.debugDescription)")
            }
            #expect(parseRequest(bytes: bytes).result == .complete(headLength: bytes.count))
        }
    }

    @Test func headIsReusableAcrossRequests() {
        var head = HTTPRequestHead()
        let parser = HTTPRequestParser()
        let first = Array(request("X-Long: \(String(repeating: "v", count: 200))", requestLine: "PURGE /first?x HTTP/1.1").utf8)
        let second = Array("GET /2 HTTP/1.0\r\n\r\n".utf8)
        _ = first.withUnsafeBytes { parser.parse($0, into: &head) }
        let capacity = head.headers.storage.capacity
        let result = second.withUnsafeBytes { parser.parse($0, into: &head) }
        #expect(result == .complete(headLength: second.count))
        #expect(head.method == .get)
        #expect(head.target == "/2")
        #expect(head.version == .http10)
        #expect(head.headers.count == 0)
        #expect(head.headers.storage.capacity == capacity)
    }

    @Test func headersAreEmptyAfterIncompleteOrFailure() {
        var head = HTTPRequestHead()
        let parser = HTTPRequestParser()
        let partial = Array("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n".utf8)
        #expect(partial.withUnsafeBytes { parser.parse($0, into: &head) } == .incomplete)
        #expect(head.headers.count == 0)
        let bad = Array("GET / HTTP/1.1\r\nHost: h\r\nX A: 1\r\n\r\n".utf8)
        #expect(bad.withUnsafeBytes { parser.parse($0, into: &head) } != .incomplete)
        #expect(head.headers.count == 0)
        head.headers.forEach { _, _ in Issue.record("no fields expected") }
    }

    @Test func limitsAreConfigurable() {
        let limits = HTTPParserLimits(maxHeadBytes: 64, maxHeaderCount: 2, maxURIBytes: 4)
        #expect(parseRequest(request(requestLine: "GET /abc HTTP/1.1"), limits: limits).result != .incomplete)
        #expect(parseRequest(request(requestLine: "GET /abcd HTTP/1.1"), limits: limits).result
            == .failure(HTTPParseError(.uriTooLong)))
        #expect(HTTPParserLimits() == HTTPParserLimits(maxHeadBytes: 16384, maxHeaderCount: 100, maxURIBytes: 8192))
    }
}
