import Testing
@testable import GatewayHTTP

/// One test per smuggling / strictness rule; each asserts the reason and the status to answer with.
@Suite("Request parser: strictness")
struct RequestStrictnessTests {
    // MARK: Content-Length / Transfer-Encoding

    @Test func contentLengthWithTransferEncoding() {
        expectRequestFailure(request("Content-Length: 5", "Transfer-Encoding: chunked", requestLine: "POST / HTTP/1.1"),
                             .contentLengthWithTransferEncoding, status: 400)
        expectRequestFailure(request("Transfer-Encoding: chunked", "Content-Length: 5", requestLine: "POST / HTTP/1.1"),
                             .contentLengthWithTransferEncoding, status: 400)
    }

    @Test func contentLengthTwiceEqual() {
        expectRequestFailure(request("Content-Length: 5", "Content-Length: 5"), .duplicateContentLength, status: 400)
    }

    @Test func contentLengthTwiceUnequal() {
        expectRequestFailure(request("Content-Length: 5", "content-length: 6"), .duplicateContentLength, status: 400)
    }

    @Test func contentLengthList() {
        expectRequestFailure(request("Content-Length: 5, 5"), .invalidContentLength, status: 400)
        expectRequestFailure(request("Content-Length: 5,5"), .invalidContentLength, status: 400)
    }

    @Test func contentLengthPlusSign() {
        expectRequestFailure(request("Content-Length: +5"), .invalidContentLength, status: 400)
    }

    @Test func contentLengthNegative() {
        expectRequestFailure(request("Content-Length: -1"), .invalidContentLength, status: 400)
    }

    @Test func contentLengthHex() {
        expectRequestFailure(request("Content-Length: 0x10"), .invalidContentLength, status: 400)
    }

    @Test func contentLengthHuge() {
        expectRequestFailure(request("Content-Length: 1000000000000000000"), .invalidContentLength, status: 400)
        expectRequestFailure(request("Content-Length: 99999999999999999999999"), .invalidContentLength, status: 400)
    }

    @Test func contentLengthEmptyOrInnerSpace() {
        expectRequestFailure(request("Content-Length:"), .invalidContentLength, status: 400)
        expectRequestFailure(request("Content-Length: 1 2"), .invalidContentLength, status: 400)
        expectRequestFailure(request("Content-Length: 5.0"), .invalidContentLength, status: 400)
    }

    @Test func transferEncodingGzip() {
        expectRequestFailure(request("Transfer-Encoding: gzip"), .unsupportedTransferEncoding, status: 400)
    }

    @Test func transferEncodingChunkedTwiceInOneField() {
        expectRequestFailure(request("Transfer-Encoding: chunked, chunked"), .unsupportedTransferEncoding, status: 400)
    }

    @Test func transferEncodingGzipThenChunked() {
        expectRequestFailure(request("Transfer-Encoding: gzip, chunked"), .unsupportedTransferEncoding, status: 400)
    }

    @Test func transferEncodingTwoFields() {
        expectRequestFailure(request("Transfer-Encoding: chunked", "Transfer-Encoding: chunked"),
                             .unsupportedTransferEncoding, status: 400)
        expectRequestFailure(request("Transfer-Encoding: gzip", "Transfer-Encoding: chunked"),
                             .unsupportedTransferEncoding, status: 400)
    }

    @Test func transferEncodingEmptyOrLookalike() {
        expectRequestFailure(request("Transfer-Encoding:"), .unsupportedTransferEncoding, status: 400)
        expectRequestFailure(request("Transfer-Encoding: chunked;q=1"), .unsupportedTransferEncoding, status: 400)
        expectRequestFailure(request("Transfer-Encoding: xchunked"), .unsupportedTransferEncoding, status: 400)
    }

    @Test func transferEncodingInHTTP10() {
        expectRequestFailure("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingInHTTP10, status: 400)
    }

    // MARK: Field syntax

    @Test func obsFold() {
        expectRequestFailure(request("X-A: 1", " continued"), .obsFold, status: 400)
        expectRequestFailure(request("X-A: 1", "\tcontinued"), .obsFold, status: 400)
    }

    @Test func obsFoldRightAfterRequestLine() {
        expectRequestFailure("GET / HTTP/1.1\r\n Host: h\r\n\r\n", .obsFold, status: 400)
    }

    @Test func whitespaceBeforeColon() {
        expectRequestFailure(request("Content-Length : 5"), .whitespaceBeforeColon, status: 400)
        expectRequestFailure(request("Transfer-Encoding\t: chunked"), .whitespaceBeforeColon, status: 400)
    }

    @Test func whitespaceInsideName() {
        expectRequestFailure(request("X Forwarded: 1"), .invalidHeaderName, status: 400)
    }

    @Test func emptyName() {
        expectRequestFailure(request(": value"), .invalidHeaderName, status: 400)
    }

    @Test func missingColon() {
        expectRequestFailure(request("NoColonHere"), .missingColon, status: 400)
    }

    @Test func invalidTokenCharactersInName() {
        for name in ["X(A)", "X/A", "X@A", "X\"A", "X[A]", "X{A}", "X=A", "X,A", "X;A", "X?A", "X\\A"] {
            expectRequestFailure(request("\(name): 1"), .invalidHeaderName, status: 400)
        }
        expectRequestFailure(bytes: Array("GET / HTTP/1.1\r\nHost: h\r\nX\u{E9}: 1\r\n\r\n".utf8), .invalidHeaderName, status: 400)
    }

    @Test func nulInName() {
        expectRequestFailure(request("X-\u{0}A: 1"), .invalidHeaderName, status: 400)
    }

    @Test func crInName() {
        expectRequestFailure(request("X-\rA: 1"), .bareCR, status: 400)
    }

    @Test func lfInName() {
        expectRequestFailure(request("X-\nA: 1"), .bareLF, status: 400)
    }

    @Test func nulInValue() {
        expectRequestFailure(request("X-A: a\u{0}b"), .invalidHeaderValue, status: 400)
    }

    @Test func crInValue() {
        expectRequestFailure(request("X-A: a\rb"), .bareCR, status: 400)
        expectRequestFailure(request("X-A: a\r"), .bareCR, status: 400)
    }

    @Test func lfInValue() {
        expectRequestFailure(request("X-A: a\nb"), .bareLF, status: 400)
    }

    @Test func otherControlBytesInValue() {
        for ctl: UInt8 in [0x01, 0x08, 0x0B, 0x0C, 0x1B, 0x1F, 0x7F] {
            var bytes = Array("GET / HTTP/1.1\r\nHost: h\r\nX-A: a".utf8)
            bytes += [ctl]
            bytes += Array("b\r\n\r\n".utf8)
            expectRequestFailure(bytes: bytes, .invalidHeaderValue, status: 400)
        }
    }

    // MARK: Line endings

    @Test func bareLFLineEndings() {
        expectRequestFailure("GET / HTTP/1.1\nHost: h\n\n", .bareLF, status: 400)
    }

    @Test func bareLFAfterAHeaderLine() {
        expectRequestFailure("GET / HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n", .bareLF, status: 400)
    }

    @Test func bareLFAsTheBlankLine() {
        expectRequestFailure("GET / HTTP/1.1\r\nHost: h\r\n\n", .bareLF, status: 400)
    }

    @Test func bareLFLeadingEmptyLine() {
        expectRequestFailure("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", .bareLF, status: 400)
    }

    @Test func bareCRInRequestLine() {
        expectRequestFailure("GET / HTTP/1.1\rHost: h\r\n\r\n", .bareCR, status: 400)
        expectRequestFailure("GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n", .bareCR, status: 400)
        expectRequestFailure("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", .bareCR, status: 400)
    }

    @Test func tooManyLeadingEmptyLines() {
        expectRequestFailure(String(repeating: "\r\n", count: 9) + request(), .tooManyLeadingEmptyLines, status: 400)
    }

    // MARK: Request line

    @Test func invalidTokenCharactersInMethod() {
        expectRequestFailure("GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod, status: 400)
        expectRequestFailure("G\u{0}ET / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod, status: 400)
        expectRequestFailure(bytes: [0x16, 0x03, 0x01, 0x00], .invalidMethod, status: 400)  // TLS ClientHello, fails early
    }

    @Test func methodTooLong() {
        expectRequestFailure(request(requestLine: String(repeating: "A", count: 33) + " / HTTP/1.1"), .invalidMethod, status: 400)
        #expect(parseRequest(request(requestLine: String(repeating: "A", count: 32) + " / HTTP/1.1")).result != .incomplete)
    }

    @Test func doubleSpacesInRequestLine() {
        expectRequestFailure("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidRequestLine, status: 400)
        expectRequestFailure("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", .invalidVersion, status: 400)
        expectRequestFailure(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidRequestLine, status: 400)
    }

    @Test func missingVersion() {
        expectRequestFailure("GET /\r\nHost: h\r\n\r\n", .invalidRequestLine, status: 400)
        expectRequestFailure("GET\r\n\r\n", .invalidRequestLine, status: 400)
    }

    @Test func tabSeparatorIsNotASpace() {
        expectRequestFailure("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod, status: 400)
    }

    @Test func badVersion() {
        expectRequestFailure(request(requestLine: "GET / HTTP/1"), .invalidVersion, status: 400)
        expectRequestFailure(request(requestLine: "GET / http/1.1"), .invalidVersion, status: 400)
        expectRequestFailure(request(requestLine: "GET / HTTP/1.1 "), .invalidVersion, status: 400)
        expectRequestFailure(request(requestLine: "GET / HTTP/11.1"), .invalidVersion, status: 400)
        expectRequestFailure(request(requestLine: "GET / HTTPS/1.1"), .invalidVersion, status: 400)
    }

    @Test func http2VersionIs505() {
        expectRequestFailure(request(requestLine: "GET / HTTP/2.0"), .unsupportedVersion, status: 505)
        expectRequestFailure(request(requestLine: "GET / HTTP/1.2"), .unsupportedVersion, status: 505)
        expectRequestFailure(request(requestLine: "GET / HTTP/0.9"), .unsupportedVersion, status: 505)
    }

    @Test func invalidTargetBytes() {
        expectRequestFailure(request(requestLine: "GET /a#frag HTTP/1.1"), .invalidTarget, status: 400)
        expectRequestFailure(request(requestLine: "GET /a\u{1}b HTTP/1.1"), .invalidTarget, status: 400)
        expectRequestFailure(request(requestLine: "GET /a\u{7F} HTTP/1.1"), .invalidTarget, status: 400)
        expectRequestFailure(request(requestLine: "GET /a b HTTP/1.1"), .invalidVersion, status: 400)
    }

    /// Raw UTF-8 (curl sends IRIs unencoded) is accepted and %-encoded; anything not well-formed is not.
    @Test func utf8InTargetIsPercentEncoded() {
        let (result, head) = parseRequest(request(requestLine: "GET /caf\u{E9}/\u{2460}?q=\u{3002}x&e=%41 HTTP/1.1"))
        guard case .complete = result else { Issue.record("not parsed: \(result)"); return }
        #expect(head.target == "/caf%C3%A9/%E2%91%A0?q=%E3%80%82x&e=%41")
        let absolute = parseRequest(request(requestLine: "GET http://h/\u{E9} HTTP/1.1")).head
        #expect(absolute.target == "/%C3%A9")
        for bad: [UInt8] in [[0xE9], [0xC0, 0xAE], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xFF]] {
            let line = Array("GET /a".utf8) + bad + Array(" HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
            expectRequestFailure(bytes: line, .invalidTarget, status: 400)
        }
        // A sequence cut by the end of what has arrived waits for the rest.
        #expect(parseRequest(bytes: Array("GET /a".utf8) + [0xE2, 0x91]).result == .incomplete)
    }

    @Test func invalidTargetForms() {
        expectRequestFailure(request(requestLine: "GET * HTTP/1.1"), .invalidTarget, status: 400)
        expectRequestFailure(request(requestLine: "OPTIONS *x HTTP/1.1"), .invalidTarget, status: 400)
        expectRequestFailure(request(requestLine: "GET example.com:80 HTTP/1.1"), .invalidTarget, status: 400)
        expectRequestFailure(request(requestLine: "GET ftp://h/x HTTP/1.1"), .invalidTarget, status: 400)
        expectRequestFailure(request(requestLine: "GET http:///x HTTP/1.1"), .invalidTarget, status: 400)
        expectRequestFailure(request(requestLine: "GET http://user@h/x HTTP/1.1"), .invalidTarget, status: 400)
        expectRequestFailure(request(requestLine: "GET http://h:99999/ HTTP/1.1"), .invalidTarget, status: 400)
        expectRequestFailure(request(requestLine: "GET http:/h HTTP/1.1"), .invalidTarget, status: 400)
    }

    @Test func connectIsNotImplemented() {
        expectRequestFailure(request(requestLine: "CONNECT example.com:443 HTTP/1.1"), .connectNotSupported, status: 501)
    }

    @Test func uriTooLong() {
        let target = "/" + String(repeating: "a", count: 8192)
        expectRequestFailure(request(requestLine: "GET \(target) HTTP/1.1"), .uriTooLong, status: 414)
        #expect(parseRequest(request(requestLine: "GET \(target.dropLast()) HTTP/1.1")).result != .failure(HTTPParseError(.uriTooLong)))
    }

    @Test func uriTooLongDetectedBeforeTheLineEnds() {
        expectRequestFailure("GET /" + String(repeating: "a", count: 8192), .uriTooLong, status: 414)
        #expect(parseRequest("GET /" + String(repeating: "a", count: 8191)).result == .incomplete)
    }

    // MARK: Size limits

    @Test func headTooLargeWhileIncomplete() {
        let text = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "b", count: 16400)
        expectRequestFailure(text, .headTooLarge, status: 431)
    }

    @Test func headTooLargeWhenComplete() {
        let limits = HTTPParserLimits(maxHeadBytes: 100)
        let text = request("X-Pad: " + String(repeating: "p", count: 100))
        expectRequestFailure(text, .headTooLarge, status: 431, limits: limits)
    }

    @Test func headExactlyAtTheLimitIsAccepted() {
        let text = request("X-Pad: abc")
        let limits = HTTPParserLimits(maxHeadBytes: text.utf8.count)
        #expect(parseRequest(text + "trailing body", limits: limits).result == .complete(headLength: text.utf8.count))
        expectRequestFailure(text, .headTooLarge, status: 431, limits: HTTPParserLimits(maxHeadBytes: text.utf8.count - 1))
    }

    @Test func tooManyHeaders() {
        let lines = (1...100).map { "X-\($0): v" }
        expectRequestFailure(request(lines: lines), .tooManyHeaders, status: 431)  // 100 + Host
        #expect(parseRequest(request(lines: Array(lines.dropLast()))).result != .failure(HTTPParseError(.tooManyHeaders)))
    }

    // MARK: Host

    @Test func missingHostOnHTTP11() {
        expectRequestFailure("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", .missingHost, status: 400)
        expectRequestFailure("GET http://h/ HTTP/1.1\r\n\r\n", .missingHost, status: 400)
    }

    @Test func duplicateHost() {
        expectRequestFailure(request("Host: other.example"), .duplicateHost, status: 400)
        expectRequestFailure(request("host: example.com"), .duplicateHost, status: 400)
    }

    @Test func invalidHostValues() {
        for value in ["", "a b", "a/b", "user@h", "h:", "h:99999", "h:8o", "[::1", "[]", "h\\x", "h%zz", "h?x", "h#x", ":80"] {
            expectRequestFailure("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n", .invalidHost, status: 400)
        }
    }

    @Test func validHostValues() {
        for value in ["example.com", "EXAMPLE.com:8080", "127.0.0.1", "[::1]:443", "[2001:db8::7]", "my_host-1.local", "h%41"] {
            #expect(parseRequest("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n").result != .failure(HTTPParseError(.invalidHost)),
                    "\(value)")
        }
    }

    // MARK: Expect

    @Test func unsupportedExpectation() {
        expectRequestFailure(request("Expect: 200-ok"), .expectationFailed, status: 417)
        expectRequestFailure(request("Expect: 100-continue, foo"), .expectationFailed, status: 417)
        expectRequestFailure(request("Expect:"), .expectationFailed, status: 417)
    }

    @Test func everyReasonHasADescriptionThatIsNotEmpty() {
        for reason in HTTPParseError.Reason.allCases {
            #expect(!HTTPParseError(reason).description.isEmpty)
            #expect([400, 414, 417, 431, 501, 505].contains(HTTPParseError(reason).status))
        }
    }
}

private func request(lines: [String]) -> String {
    "GET / HTTP/1.1\r\nHost: h\r\n" + lines.map { $0 + "\r\n" }.joined() + "\r\n"
}
