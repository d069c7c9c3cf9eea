/// Strict parser for upstream response heads; same field rules as requests. The engine turns failures into 502.
///
/// Stateless like `HTTPRequestParser`: pass everything received so far for the response.
public struct HTTPResponseParser: Sendable {
    public var limits: HTTPParserLimits

    public init(limits: HTTPParserLimits = .init()) {
        self.limits = limits
    }

    /// Parses a response to a `requestMethod` request; HEAD responses and 1xx/204/304 have no body (RFC 9112 6.3).
    /// 1xx heads are parsed like any other; the caller skips them and parses the next head.
    public func parse(
        _ bytes: UnsafeRawBufferPointer, requestMethod: HTTPMethod, into head: inout HTTPResponseHead
    ) -> HTTPParseResult {
        head.reset()
        do throws(HTTPParseError) {
            if let length = try parseHead(bytes, requestMethod: requestMethod, into: &head) {
                return .complete(headLength: length)
            }
            if bytes.count > limits.maxHeadBytes { throw HTTPParseError(.headTooLarge) }
            head.headers.removeAll()
            return .incomplete
        } catch {
            head.headers.removeAll()
            return .failure(error)
        }
    }

    private func parseHead(
        _ buf: UnsafeRawBufferPointer, requestMethod: HTTPMethod, into head: inout HTTPResponseHead
    ) throws(HTTPParseError) -> Int? {
        let end = min(buf.count, limits.maxHeadBytes)
        guard let lineEnd = try findLineEnd(buf, from: 0, end: end) else { return nil }
        try parseStatusLine(buf, lineEnd, into: &head)

        var fields = FieldSection()
        guard let headEnd = try fields.parse(buf, from: lineEnd + 2, end: end, role: .response,
                                             maxHeaderCount: limits.maxHeaderCount, into: &head.headers)
        else { return nil }

        // Framing fields are validated even when the status or method says there is no body.
        let declared = try fields.framing(version: head.version)
        let status = head.status
        if requestMethod == .head || status < 200 || status == 204 || status == 304 {
            head.framing = .none
        } else {
            head.framing = declared ?? .untilClose
        }
        head.keepAlive = head.framing != .untilClose && fields.keepAlive(version: head.version)
        return headEnd
    }

    /// `HTTP-version SP 3DIGIT [SP reason-phrase] CRLF` (RFC 9112 4); the missing SP + reason is tolerated.
    private func parseStatusLine(
        _ buf: UnsafeRawBufferPointer, _ lineEnd: Int, into head: inout HTTPResponseHead
    ) throws(HTTPParseError) {
        guard lineEnd >= 12 else { throw HTTPParseError(.invalidStatusLine) }
        guard buf[8] == ASCII.sp else { throw invalidByte(buf[8], .invalidStatusLine) }
        head.version = try HTTPVersion.parse(buf, 0, 8)
        var status = 0
        for i in 9..<12 {
            guard ASCII.isDigit(buf[i]) else { throw invalidByte(buf[i], .invalidStatusLine) }
            status = status * 10 + Int(buf[i] &- 0x30)
        }
        guard status >= 100 else { throw HTTPParseError(.invalidStatusLine) }
        head.status = status
        guard lineEnd > 12 else { return }
        guard buf[12] == ASCII.sp else { throw invalidByte(buf[12], .invalidStatusLine) }
        var i = 13
        while true {
            i = ASCII.skipFieldValueBytes(buf, from: i, end: lineEnd)
            guard i < lineEnd else { break }
            guard buf[i] == ASCII.htab else { throw invalidByte(buf[i], .invalidStatusLine) }
            i += 1
        }
        head.reasonBytes.append(UnsafeRawBufferPointer(rebasing: buf[13..<lineEnd]))
    }
}
