/// Strict HTTP/1.1 request-head parser (RFC 9112), rejecting every ambiguity a smuggling attack could use.
///
/// Stateless: the caller passes everything received so far for the current request and calls again with more
/// bytes after `.incomplete`. Work per call is bounded by `maxHeadBytes`. Errors are reported as early as they are
/// certain (an over-long target or a bad header line fails before the head is complete). `head` is only
/// meaningful after `.complete`.
public struct HTTPRequestParser: Sendable {
    public var limits: HTTPParserLimits

    /// Empty lines tolerated before the request line (RFC 9112 2.2), e.g. a stray CRLF after a previous body.
    static let maxLeadingEmptyLines = 8
    /// Longest method accepted; real methods are far shorter.
    static let maxMethodBytes = 32

    public init(limits: HTTPParserLimits = .init()) {
        self.limits = limits
    }

    public func parse(_ bytes: UnsafeRawBufferPointer, into head: inout HTTPRequestHead) -> HTTPParseResult {
        head.reset()
        do throws(HTTPParseError) {
            if let length = try parseHead(bytes, into: &head) { return .complete(headLength: length) }
            if bytes.count > limits.maxHeadBytes { throw HTTPParseError(.headTooLarge) }
            head.headers.removeAll()
            return .incomplete
        } catch {
            head.headers.removeAll()
            return .failure(error)
        }
    }

    private func parseHead(
        _ buf: UnsafeRawBufferPointer, into head: inout HTTPRequestHead
    ) throws(HTTPParseError) -> Int? {
        let end = min(buf.count, limits.maxHeadBytes)
        guard let lineStart = try skipEmptyLines(buf, end: end),
              let line = try parseRequestLine(buf, from: lineStart, end: end, into: &head)
        else { return nil }

        var fields = FieldSection()
        guard let headEnd = try fields.parse(buf, from: line.end, end: end, role: .request,
                                             maxHeaderCount: limits.maxHeaderCount, into: &head.headers)
        else { return nil }

        if head.version == .http11 && fields.hostCount == 0 { throw HTTPParseError(.missingHost) }
        head.framing = try fields.framing(version: head.version) ?? .none
        head.keepAlive = fields.keepAlive(version: head.version)
        // RFC 9110 10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
        head.expectsContinue = fields.expectsContinue && head.version == .http11
        head.isUpgrade = fields.connectionUpgrade && fields.hasUpgrade
        if let authority = line.authority {
            // RFC 9112 3.2.2: the authority of an absolute-form target replaces Host.
            head.headers.set(name: ASCII.bytes("Host"), value: UnsafeRawBufferPointer(rebasing: buf[authority]))
        }
        return headEnd
    }

    /// Index of the request line after up to `maxLeadingEmptyLines` CRLFs, or nil if only CRLFs arrived so far.
    private func skipEmptyLines(_ buf: UnsafeRawBufferPointer, end: Int) throws(HTTPParseError) -> Int? {
        var i = 0
        var lines = 0
        while i < end {
            switch buf[i] {
            case ASCII.lf:
                throw HTTPParseError(.bareLF)
            case ASCII.cr:
                guard i + 1 < end else { return nil }
                guard buf[i + 1] == ASCII.lf else { throw HTTPParseError(.bareCR) }
                lines += 1
                guard lines <= HTTPRequestParser.maxLeadingEmptyLines else {
                    throw HTTPParseError(.tooManyLeadingEmptyLines)
                }
                i += 2
            default:
                return i
            }
        }
        return nil
    }

    /// Parses `method SP request-target SP HTTP-version CRLF`. On a line that has not fully arrived, validates
    /// what is there (so junk and over-long targets fail early) and returns nil.
    private func parseRequestLine(
        _ buf: UnsafeRawBufferPointer, from start: Int, end: Int, into head: inout HTTPRequestHead
    ) throws(HTTPParseError) -> (end: Int, authority: Range<Int>?)? {
        let lineEnd = try findLineEnd(buf, from: start, end: end)
        let contentEnd = lineEnd ?? end

        // The method: tchars up to SP, at most `maxMethodBytes` of them.
        let p = buf.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self)  // start < end here
        let methodLimit = min(contentEnd, start + HTTPRequestParser.maxMethodBytes + 1)
        var i = start
        while i < methodLimit && ASCII.isTchar(p[i]) { i &+= 1 }
        guard i - start <= HTTPRequestParser.maxMethodBytes else { throw HTTPParseError(.invalidMethod) }
        if i < contentEnd && p[i] != ASCII.sp { throw invalidByte(p[i], .invalidMethod) }
        guard i < contentEnd else {
            if lineEnd == nil { return nil }
            throw HTTPParseError(.invalidRequestLine)
        }
        guard i > start else { throw HTTPParseError(.invalidRequestLine) }
        let method = HTTPMethod(bytes: UnsafeRawBufferPointer(start: p + start, count: i - start))
        if case .connect = method.storage {
            head.method = method
            throw HTTPParseError(.connectNotSupported)
        }
        head.method = method

        let targetStart = i + 1
        var nonASCII = false
        i = targetStart
        while true {
            i = ASCII.skipTargetBytes(buf, from: i, end: contentEnd)
            guard i - targetStart <= limits.maxURIBytes else { throw HTTPParseError(.uriTooLong) }
            guard i < contentEnd, buf[i] >= 0x80 else { break }
            let (scalar, length) = UTF8Sequence.decode(buf, at: i, end: contentEnd)
            if scalar == nil {
                // A valid prefix cut by the end of what has arrived: the rest may follow.
                if lineEnd == nil && i + length == contentEnd && buf[i] >= 0xC2 && buf[i] <= 0xF4 { return nil }
                throw invalidByte(buf[i], .invalidTarget)
            }
            nonASCII = true
            i &+= length
        }
        if i < contentEnd && buf[i] != ASCII.sp { throw invalidByte(buf[i], .invalidTarget) }
        guard let lineEnd else { return nil }
        guard i < contentEnd, i > targetStart else { throw HTTPParseError(.invalidRequestLine) }
        let targetEnd = i

        head.version = try HTTPVersion.parse(buf, targetEnd + 1, lineEnd)
        let authority = try setTarget(buf, targetStart, targetEnd, into: &head)
        if nonASCII { head.percentEncodeNonASCII() }
        return (lineEnd + 2, authority)
    }

    /// Stores the target in origin-form (RFC 9112 3.2). Returns the authority of an absolute-form target.
    private func setTarget(
        _ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int, into head: inout HTTPRequestHead
    ) throws(HTTPParseError) -> Range<Int>? {
        head.targetBytes.removeAll()
        switch buf[start] {
        case ASCII.slash:
            head.targetBytes.append(UnsafeRawBufferPointer(rebasing: buf[start..<end]))
            return nil
        case 0x2A where end - start == 1:  // asterisk-form
            guard head.method == .options else { throw HTTPParseError(.invalidTarget) }
            head.targetBytes.append(0x2A)
            return nil
        default:
            break
        }
        // absolute-form: http(s)://authority[path-abempty][?query]
        let schemeEnd: Int
        if ASCII.equals(buf, start, min(start + 7, end), lowercased: "http://") {
            schemeEnd = start + 7
        } else if ASCII.equals(buf, start, min(start + 8, end), lowercased: "https://") {
            schemeEnd = start + 8
        } else {
            throw HTTPParseError(.invalidTarget)
        }
        var authorityEnd = schemeEnd
        while authorityEnd < end && buf[authorityEnd] != ASCII.slash && buf[authorityEnd] != ASCII.question {
            authorityEnd += 1
        }
        guard URIHost.isValid(buf, schemeEnd, authorityEnd) else { throw HTTPParseError(.invalidTarget) }
        if authorityEnd == end && head.method == .options {
            head.targetBytes.append(0x2A)  // RFC 9112 3.2.4: "OPTIONS http://h" is "OPTIONS *"
        } else {
            if authorityEnd == end || buf[authorityEnd] == ASCII.question { head.targetBytes.append(ASCII.slash) }
            head.targetBytes.append(UnsafeRawBufferPointer(rebasing: buf[authorityEnd..<end]))
        }
        return schemeEnd..<authorityEnd
    }
}
