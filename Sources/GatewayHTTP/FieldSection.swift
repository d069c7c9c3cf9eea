/// Index of the CR ending the line that starts at `start`, or nil if no LF is in `buf[start..<end]` yet.
/// Throws `.bareLF` when the LF is not preceded by CR. Bare CRs inside the line are left to the caller's
/// byte validation (CR is never a valid content byte), which reports them as `.bareCR`.
@inline(__always)
func findLineEnd(_ buf: UnsafeRawBufferPointer, from start: Int, end: Int) throws(HTTPParseError) -> Int? {
    guard let lf = ASCII.findLF(buf, from: start, end: end) else { return nil }
    guard lf > start, buf[lf - 1] == ASCII.cr else { throw HTTPParseError(.bareLF) }
    return lf - 1
}

/// The error for an unexpected byte: bare CR and LF get their own reasons (smuggling defence), others `reason`.
@inline(__always)
func invalidByte(_ b: UInt8, _ reason: HTTPParseError.Reason) -> HTTPParseError {
    switch b {
    case ASCII.cr: return HTTPParseError(.bareCR)
    case ASCII.lf: return HTTPParseError(.bareLF)
    default: return HTTPParseError(reason)
    }
}

/// Positions of one validated `field-line CRLF` (RFC 9112 5); the value is OWS-trimmed.
struct FieldLine {
    var nameEnd: Int
    var valueStart: Int
    var valueEnd: Int
    /// Index just after the line's CRLF.
    var next: Int

    /// Validates `name ":" OWS value OWS CRLF` starting at `start` (not the blank line) in one pass, which also
    /// finds the line end. Returns nil when `buf[..<end]` stops inside a line that is valid so far.
    /// Shared by request heads, response heads and chunked trailers.
    @inline(__always)
    init?(_ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws(HTTPParseError) {
        if ASCII.isWhitespace(buf[start]) { throw HTTPParseError(.obsFold) }
        var i = start
        while i < end {
            let b = buf[i]
            if b == ASCII.colon { break }
            if !ASCII.isTchar(b) {
                if b == ASCII.cr {  // "Name CRLF" lacks a colon; a CR before anything else is bare
                    guard i + 1 < end else { return nil }
                    throw HTTPParseError(buf[i + 1] == ASCII.lf ? .missingColon : .bareCR)
                }
                guard ASCII.isWhitespace(b) else { throw invalidByte(b, .invalidHeaderName) }
                // "Name : v" is the classic smuggling variant; "Na me: v" is just a bad name.
                var j = i
                while j < end && ASCII.isWhitespace(buf[j]) { j += 1 }
                if j == end { return nil }
                throw HTTPParseError(buf[j] == ASCII.colon ? .whitespaceBeforeColon : .invalidHeaderName)
            }
            i += 1
        }
        guard i < end else { return nil }
        guard i > start else { throw HTTPParseError(.invalidHeaderName) }
        nameEnd = i
        i += 1
        while i < end && ASCII.isWhitespace(buf[i]) { i += 1 }
        valueStart = i
        while true {
            i = ASCII.skipFieldValueBytes(buf, from: i, end: end)
            guard i < end else { return nil }
            guard buf[i] == ASCII.htab else { break }
            i += 1
        }
        guard buf[i] == ASCII.cr else { throw invalidByte(buf[i], .invalidHeaderValue) }
        guard i + 1 < end else { return nil }
        guard buf[i + 1] == ASCII.lf else { throw HTTPParseError(.bareCR) }
        next = i + 2
        valueEnd = i
        while valueEnd > valueStart && ASCII.isWhitespace(buf[valueEnd - 1]) { valueEnd -= 1 }
    }
}

/// Parses a field section into `HTTPHeaders` while collecting the facts that decide framing and
/// connection handling, so the fields are looked at once on the hot path.
struct FieldSection {
    enum Role { case request, response }

    var contentLength: Int64?
    var transferEncodingCount = 0
    var transferEncodingIsChunked = false
    var connectionClose = false
    var connectionKeepAlive = false
    var connectionUpgrade = false
    var hasUpgrade = false
    var hostCount = 0
    var expectsContinue = false

    /// Parses field lines from `start` through the blank line, recording them in `headers`.
    /// Returns the index just after the blank line, or nil if `buf[..<end]` does not hold it yet.
    mutating func parse(
        _ buf: UnsafeRawBufferPointer, from start: Int, end: Int, role: Role, maxHeaderCount: Int,
        into headers: inout HTTPHeaders
    ) throws(HTTPParseError) -> Int? {
        // Fields are recorded relative to the storage, then the whole section is copied in once at the end.
        let base = headers.storage.count - start
        var lineStart = start
        var fieldCount = 0
        while lineStart < end {
            switch buf[lineStart] {
            case ASCII.cr:
                guard lineStart + 1 < end else { return nil }
                guard buf[lineStart + 1] == ASCII.lf else { throw HTTPParseError(.bareCR) }
                headers.append(UnsafeRawBufferPointer(rebasing: buf[start..<lineStart]))
                return lineStart + 2
            case ASCII.lf:
                throw HTTPParseError(.bareLF)
            default:
                break
            }
            fieldCount += 1
            guard fieldCount <= maxHeaderCount else { throw HTTPParseError(.tooManyHeaders) }
            guard let line = try FieldLine(buf, lineStart, end) else { return nil }
            try inspect(buf, name: lineStart, line, role: role)
            headers.appendField(nameStart: base + lineStart, nameLength: line.nameEnd - lineStart,
                                valueStart: base + line.valueStart, valueLength: line.valueEnd - line.valueStart)
            lineStart = line.next
        }
        return nil
    }

    /// Looks at the fields that matter for framing, keep-alive, Host and Expect (length switch first).
    @inline(__always)
    private mutating func inspect(
        _ buf: UnsafeRawBufferPointer, name: Int, _ line: FieldLine, role: Role
    ) throws(HTTPParseError) {
        let nameEnd = line.nameEnd, value = line.valueStart, valueEnd = line.valueEnd
        switch nameEnd - name {
        case 4 where role == .request && ASCII.equals(buf, name, nameEnd, lowercased: "host"):
            hostCount += 1
            guard hostCount == 1 else { throw HTTPParseError(.duplicateHost) }
            guard URIHost.isValid(buf, value, valueEnd) else { throw HTTPParseError(.invalidHost) }
        case 6 where role == .request && ASCII.equals(buf, name, nameEnd, lowercased: "expect"):
            guard ASCII.equals(buf, value, valueEnd, lowercased: "100-continue") else {
                throw HTTPParseError(.expectationFailed)
            }
            expectsContinue = true
        case 7 where ASCII.equals(buf, name, nameEnd, lowercased: "upgrade"):
            hasUpgrade = hasUpgrade || valueEnd > value
        case 10 where ASCII.equals(buf, name, nameEnd, lowercased: "connection"):
            ASCII.forEachListElement(buf, value, valueEnd) { s, e in
                switch e - s {
                case 5: connectionClose = connectionClose || ASCII.equals(buf, s, e, lowercased: "close")
                case 7: connectionUpgrade = connectionUpgrade || ASCII.equals(buf, s, e, lowercased: "upgrade")
                case 10: connectionKeepAlive = connectionKeepAlive || ASCII.equals(buf, s, e, lowercased: "keep-alive")
                default: break
                }
                return true
            }
        case 14 where ASCII.equals(buf, name, nameEnd, lowercased: "content-length"):
            guard contentLength == nil else { throw HTTPParseError(.duplicateContentLength) }
            contentLength = try FieldSection.parseContentLength(buf, value, valueEnd)
        case 17 where ASCII.equals(buf, name, nameEnd, lowercased: "transfer-encoding"):
            transferEncodingCount += 1
            transferEncodingIsChunked = ASCII.equals(buf, value, valueEnd, lowercased: "chunked")
        default:
            break
        }
    }

    /// `1*DIGIT`, at most 18 digits so it always fits Int64; no sign, no list, no hex.
    private static func parseContentLength(
        _ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int
    ) throws(HTTPParseError) -> Int64 {
        guard end > start, end - start <= 18 else { throw HTTPParseError(.invalidContentLength) }
        var n: Int64 = 0
        for i in start..<end {
            let b = buf[i]
            guard ASCII.isDigit(b) else { throw HTTPParseError(.invalidContentLength) }
            n = n * 10 + Int64(b &- 0x30)
        }
        return n
    }

    /// Body framing from Content-Length / Transfer-Encoding (RFC 9112 6.1-6.3), or nil when neither is present.
    /// Only a single `Transfer-Encoding: chunked` is accepted, never together with Content-Length.
    func framing(version: HTTPVersion) throws(HTTPParseError) -> HTTPBodyFraming? {
        if transferEncodingCount > 0 {
            guard contentLength == nil else { throw HTTPParseError(.contentLengthWithTransferEncoding) }
            guard version == .http11 else { throw HTTPParseError(.transferEncodingInHTTP10) }
            guard transferEncodingCount == 1 && transferEncodingIsChunked else {
                throw HTTPParseError(.unsupportedTransferEncoding)
            }
            return .chunked
        }
        guard let length = contentLength else { return nil }
        return length == 0 ? HTTPBodyFraming.none : .contentLength(length)
    }

    /// Persistence per RFC 9112 9.3: HTTP/1.1 unless `close`, HTTP/1.0 only with `keep-alive`.
    func keepAlive(version: HTTPVersion) -> Bool {
        !connectionClose && (version == .http11 || connectionKeepAlive)
    }
}
