import Testing
@testable import GatewayHTTP

@Suite("Response parser")
struct ResponseParserTests {
    @Test func okWithContentLength() {
        let headText = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\n"
        let (result, head) = parseResponse(headText + "hello")
        #expect(result == .complete(headLength: headText.utf8.count))
        #expect(head.status == 200)
        #expect(head.version == .http11)
        #expect(head.reason == "OK")
        #expect(head.framing == .contentLength(5))
        #expect(head.keepAlive)
        #expect(head.headers.first("content-type") == "text/plain")
    }

    @Test func chunked() {
        let (_, head) = parseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(head.framing == .chunked)
        #expect(head.keepAlive)
    }

    @Test func noFramingMeansUntilClose() {
        let (_, head) = parseResponse("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
        #expect(head.framing == .untilClose)
        #expect(!head.keepAlive)
    }

    @Test func contentLengthZero() {
        let (_, head) = parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(head.framing == .none)
        #expect(head.keepAlive)
    }

    @Test(arguments: [
        // (status line, method, headers, expected framing)
        ("HTTP/1.1 200 OK", HTTPMethod.head, "Content-Length: 100", HTTPBodyFraming.none),
        ("HTTP/1.1 200 OK", .head, "Transfer-Encoding: chunked", .none),
        ("HTTP/1.1 200 OK", .head, "", .none),
        ("HTTP/1.1 204 No Content", .get, "", .none),
        ("HTTP/1.1 204 No Content", .delete, "Content-Length: 0", .none),
        ("HTTP/1.1 304 Not Modified", .get, "Content-Length: 1234", .none),
        ("HTTP/1.1 100 Continue", .post, "", .none),
        ("HTTP/1.1 101 Switching Protocols", .get, "Upgrade: websocket\r\nConnection: Upgrade", .none),
        ("HTTP/1.1 103 Early Hints", .get, "Link: </s.css>; rel=preload", .none),
        ("HTTP/1.1 200 OK", .get, "Content-Length: 7", .contentLength(7)),
        ("HTTP/1.1 404 Not Found", .post, "Transfer-Encoding: chunked", .chunked),
        ("HTTP/1.1 500 Internal Server Error", .get, "", .untilClose),
        ("HTTP/1.0 200 OK", .get, "", .untilClose),
        ("HTTP/1.1 205 Reset Content", .get, "Content-Length: 0", .none),
    ])
    func framingTable(statusLine: String, method: HTTPMethod, headers: String, framing: HTTPBodyFraming) {
        let text = statusLine + "\r\n" + (headers.isEmpty ? "" : headers + "\r\n") + "\r\n"
        let (result, head) = parseResponse(text, method: method)
        #expect(result == .complete(headLength: text.utf8.count))
        #expect(head.framing == framing)
    }

    @Test func keepAliveRules() {
        #expect(!parseResponse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n").head.keepAlive)
        #expect(!parseResponse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n").head.keepAlive)
        #expect(parseResponse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n").head.keepAlive)
        #expect(!parseResponse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n").head.keepAlive)  // until close
        #expect(parseResponse("HTTP/1.1 204 No Content\r\n\r\n").head.keepAlive)
    }

    @Test func reasonPhrases() {
        #expect(parseResponse("HTTP/1.1 404 Nope, gone\r\n\r\n").head.reason == "Nope, gone")
        #expect(parseResponse("HTTP/1.1 404 \r\n\r\n").head.reason == "Not Found")
        #expect(parseResponse("HTTP/1.1 404\r\n\r\n").head.reason == "Not Found")
        #expect(parseResponse("HTTP/1.1 599\r\n\r\n").head.reason == "Unknown")
        let (result, head) = parseResponse(bytes: Array("HTTP/1.1 200 O\tK ".utf8) + [0xC3, 0xA9] + Array("\r\n\r\n".utf8))
        #expect(result != .incomplete)
        #expect(head.reason == "O\tK é")
    }

    @Test func oneHundredContinueThenFinalResponse() {
        let interim = "HTTP/1.1 100 Continue\r\n\r\n"
        let final = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
        let bytes = Array((interim + final).utf8)
        let (first, head) = parseResponse(bytes: bytes, method: .post)
        #expect(first == .complete(headLength: interim.utf8.count))
        #expect(head.status == 100)
        let (second, finalHead) = parseResponse(bytes: Array(bytes[interim.utf8.count...]), method: .post)
        #expect(second == .complete(headLength: final.utf8.count - 2))
        #expect(finalHead.status == 201)
        #expect(finalHead.framing == .contentLength(2))
    }

    @Test func incompleteAtEveryByteBoundary() {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\n"
        let bytes = Array(text.utf8)
        for length in 0..<bytes.count {
            #expect(parseResponse(bytes: Array(bytes[..<length])).result == .incomplete, "prefix \(length)")
        }
        #expect(parseResponse(bytes: bytes).result == .complete(headLength: bytes.count))
    }

    // MARK: Errors

    @Test func contentLengthWithTransferEncoding() {
        expectResponseFailure("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                              .contentLengthWithTransferEncoding)
    }

    @Test func framingFieldsAreValidatedEvenWithoutBody() {
        expectResponseFailure("HTTP/1.1 304 Not Modified\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                              .duplicateContentLength)
        expectResponseFailure("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", .unsupportedTransferEncoding, method: .head)
    }

    @Test func duplicateContentLength() {
        expectResponseFailure("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", .duplicateContentLength)
    }

    @Test func invalidContentLength() {
        expectResponseFailure("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", .invalidContentLength)
        expectResponseFailure("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", .invalidContentLength)
    }

    @Test func transferEncodingMustBeExactlyChunked() {
        expectResponseFailure("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferEncoding)
        expectResponseFailure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                              .unsupportedTransferEncoding)
    }

    @Test func transferEncodingInHTTP10Response() {
        expectResponseFailure("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingInHTTP10)
    }

    @Test func malformedStatusLines() {
        for line in ["HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 abc OK", "HTTP/1.1  200 OK", "HTTP/1.1200 OK",
                     "HTTP/1.1 099 Low", "HTTP/1.1", "ICY 200 OK", "HTTP/1.1 200\tOK", "HTTP/1.1 200 O\u{1}K", ""] {
            let (result, _) = parseResponse(line + "\r\nContent-Length: 0\r\n\r\n")
            #expect(result == .failure(HTTPParseError(.invalidStatusLine)), "\(line.debugDescription)")
        }
    }

    @Test func unsupportedAndInvalidVersions() {
        expectResponseFailure("HTTP/2.0 200 OK\r\n\r\n", .unsupportedVersion)
        expectResponseFailure("http/1.1 200 OK\r\n\r\n", .invalidVersion)
    }

    @Test func lineEndingAndFieldErrors() {
        expectResponseFailure("HTTP/1.1 200 OK\nContent-Length: 0\n\n", .bareLF)
        expectResponseFailure("HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\n\r\n", .bareCR)
        expectResponseFailure("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", .obsFold)
        expectResponseFailure("HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", .whitespaceBeforeColon)
        expectResponseFailure("HTTP/1.1 200 OK\r\nX-A: 1\u{0}\r\n\r\n", .invalidHeaderValue)
    }

    @Test func sizeLimits() {
        let limits = HTTPParserLimits(maxHeadBytes: 64, maxHeaderCount: 1)
        #expect(parseResponse("HTTP/1.1 200 OK\r\nX-A: " + String(repeating: "a", count: 64), limits: limits).result
            == .failure(HTTPParseError(.headTooLarge)))
        #expect(parseResponse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits).result
            == .failure(HTTPParseError(.tooManyHeaders)))
    }

    @Test func hostAndExpectAreNotInterpretedInResponses() {
        let (result, head) = parseResponse("HTTP/1.1 200 OK\r\nHost: a b\r\nHost: c\r\nExpect: x\r\nContent-Length: 0\r\n\r\n")
        #expect(result != .incomplete)
        #expect(head.headers.all("host") == ["a b", "c"])
    }
}
