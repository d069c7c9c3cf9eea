/// Index of the CR ending the line that starts at `start`, or nil if no LF is in `buf[start..<end]` yet.
/// Throws `.bareLF` when the LF is not preceded by CR. Bare CRs inside the line are left to the caller's
/// byte validation (CR is never a valid content byte), which reports them as `.bareCR`.
@inline(__always)
func findLineEnd(_ buf: UnsafeRawBufferPointer, from start: Int, end: Int) throws(HTTPParseError) -> Int? {
    guard let lf = ASCII.findLF(buf, from: start, end: end) else { return nil }
    guard lf > start, buf.load(fromByteOffset: lf &- 1, as: UInt8.self) == ASCII.cr else {
        throw HTTPParseError(.bareLF)
    }
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
        precondition(start >= 0 && start < end && end <= buf.count)
        try self.init(buf.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self), start, end,
                      endsWithNonToken: false)
    }

    /// `p[start..<end]` must be valid memory, with `start < end`. `endsWithNonToken` promises a non-tchar byte in
    /// `p[start..<end]`, so the name scan needs no bounds check (it stops at that byte at the latest).
    @inline(__always)
    init?(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, endsWithNonToken: Bool) throws(HTTPParseError) {
        let table = ASCII.classTable
        var i = start
        if endsWithNonToken {
            while table[Int(p[i])] & ASCII.tcharClass != 0 { i &+= 1 }
        } else {
            while i < end && table[Int(p[i])] & ASCII.tcharClass != 0 { i &+= 1 }
            guard i < end else { return nil }  // p[start] is a tchar, so this is no obs-fold
        }
        let stop = p[i]
        guard stop == ASCII.colon && i > start else {
            // The checks in the order of a byte-by-byte reading.
            if ASCII.isWhitespace(p[start]) { throw HTTPParseError(.obsFold) }
            if stop == ASCII.colon { throw HTTPParseError(.invalidHeaderName) }
            if stop == ASCII.cr {  // "Name CRLF" lacks a colon; a CR before anything else is bare
                guard i &+ 1 < end else { return nil }
                throw HTTPParseError(p[i &+ 1] == ASCII.lf ? .missingColon : .bareCR)
            }
            guard ASCII.isWhitespace(stop) else { throw invalidByte(stop, .invalidHeaderName) }
            // "Name : v" is the classic smuggling variant; "Na me: v" is just a bad name.
            var j = i
            while j < end && ASCII.isWhitespace(p[j]) { j &+= 1 }
            if j == end { return nil }
            throw HTTPParseError(p[j] == ASCII.colon ? .whitespaceBeforeColon : .invalidHeaderName)
        }
        nameEnd = i
        i &+= 1
        while i < end && ASCII.isWhitespace(p[i]) { i &+= 1 }
        valueStart = i
        while true {
            i = ASCII.skipFieldValueBytes(UnsafeRawPointer(p), from: i, end: end)
            guard i < end else { return nil }
            guard p[i] == ASCII.htab else { break }
            i &+= 1
        }
        guard p[i] == ASCII.cr else { throw invalidByte(p[i], .invalidHeaderValue) }
        guard i &+ 1 < end else { return nil }
        guard p[i &+ 1] == ASCII.lf else { throw HTTPParseError(.bareCR) }
        next = i &+ 2
        var e = i
        while e > valueStart && ASCII.isWhitespace(p[e &- 1]) { e &-= 1 }
        valueEnd = e
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
    /// After nil or an error `headers` may hold some of the fields without their bytes: callers reset it.
    /// Inlined into the two parsers, so `role` is a constant in each copy.
    @inline(__always)
    mutating func parse(
        _ buf: UnsafeRawBufferPointer, from start: Int, end: Int, role: Role, maxHeaderCount: Int,
        into headers: inout HTTPHeaders
    ) throws(HTTPParseError) -> Int? {
        guard start < end else { return nil }
        precondition(start >= 0 && end <= buf.count)
        let p = buf.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self)
        // The last byte that is not a tchar (nearly always `end - 1`, the head's final LF). A name scan that starts
        // at or before it stops there at the latest, so it needs no bounds check; a line starting after it is all
        // tchars up to `end`, i.e. an incomplete name.
        var lastStop = end &- 1
        while lastStop >= start && ASCII.isTchar(p[lastStop]) { lastStop &-= 1 }
        // Fields are recorded relative to the storage, then the whole section is copied in once at the end (which
        // checks that the storage stays below 2 GiB, so the Int32 offsets of a complete section are exact).
        let base = headers.storage.count &- start
        return try withUnsafeTemporaryAllocation(of: HTTPHeaders.Field.self, capacity: 32) {
            pending throws(HTTPParseError) -> Int? in
            // Fields are collected 32 at a time on the stack; `count & 31` is the slot of the next one.
            let pending = pending.baseAddress.unsafelyUnwrapped
            var lineStart = start
            var count = 0
            var signature: UInt64 = 0
            while lineStart < end {
                let first = p[lineStart]
                if first == ASCII.cr {
                    guard lineStart &+ 1 < end else { return nil }
                    guard p[lineStart &+ 1] == ASCII.lf else { throw HTTPParseError(.bareCR) }
                    let tail = count & 31 == 0 && count > 0 ? 32 : count & 31
                    headers.appendFields(UnsafeBufferPointer(start: pending, count: tail), total: count,
                                         signature: signature)
                    headers.appendBytes(UnsafeRawBufferPointer(start: p + start, count: lineStart &- start))
                    return lineStart &+ 2
                }
                if first == ASCII.lf { throw HTTPParseError(.bareLF) }
                guard count < maxHeaderCount else { throw HTTPParseError(.tooManyHeaders) }
                guard lineStart <= lastStop,
                      let line = try FieldLine(p, lineStart, end, endsWithNonToken: true) else { return nil }
                let nameLength = line.nameEnd &- lineStart
                if FieldSection.mayMatter(nameLength: nameLength, first: first) {
                    try inspect(p, name: lineStart, line, role: role)
                }
                signature |= HTTPHeaders.signatureBit(length: nameLength, first: first)
                let slot = count & 31
                if slot == 0 && count > 0 {
                    headers.appendFields(UnsafeBufferPointer(start: pending, count: 32), total: 0, signature: signature)
                }
                (pending + slot).initialize(to: HTTPHeaders.Field(
                    nameStart: Int32(truncatingIfNeeded: base &+ lineStart),
                    nameLength: Int32(truncatingIfNeeded: nameLength),
                    valueStart: Int32(truncatingIfNeeded: base &+ line.valueStart),
                    valueLength: Int32(truncatingIfNeeded: line.valueEnd &- line.valueStart)))
                count &+= 1
                lineStart = line.next
            }
            return nil
        }
    }

    /// Cheap pre-filter for `inspect`: the length and (case-folded) first letter of a field it looks at.
    @inline(__always)
    private static func mayMatter(nameLength: Int, first: UInt8) -> Bool {
        let f = first | 0x20
        switch nameLength {
        case 4: return f == 0x68  // host
        case 6: return f == 0x65  // expect
        case 7: return f == 0x75  // upgrade
        case 10, 14: return f == 0x63  // connection, content-length
        case 17: return f == 0x74  // transfer-encoding
        default: return false
        }
    }

    /// Looks at the fields that matter for framing, keep-alive, Host and Expect (length switch first).
    private mutating func inspect(
        _ p: UnsafePointer<UInt8>, name: Int, _ line: FieldLine, role: Role
    ) throws(HTTPParseError) {
        let nameEnd = line.nameEnd, value = line.valueStart, valueEnd = line.valueEnd
        let n = UnsafeRawPointer(p + name), v = UnsafeRawPointer(p + value), valueCount = valueEnd &- value
        switch nameEnd &- name {
        case 4 where role == .request && ASCII.equals(n, count: 4, lowercased: "host"):
            hostCount &+= 1
            guard hostCount == 1 else { throw HTTPParseError(.duplicateHost) }
            let buf = UnsafeRawBufferPointer(start: p, count: valueEnd)
            guard URIHost.isValid(buf, value, valueEnd) else { throw HTTPParseError(.invalidHost) }
        case 6 where role == .request && ASCII.equals(n, count: 6, lowercased: "expect"):
            guard ASCII.equals(v, count: valueCount, lowercased: "100-continue") else {
                throw HTTPParseError(.expectationFailed)
            }
            expectsContinue = true
        case 7 where ASCII.equals(n, count: 7, lowercased: "upgrade"):
            hasUpgrade = hasUpgrade || valueEnd > value
        case 10 where ASCII.equals(n, count: 10, lowercased: "connection"):
            ASCII.forEachListElement(UnsafeRawPointer(p), value, valueEnd) { s, e in
                let token = UnsafeRawPointer(p + s)
                switch e &- s {
                case 5: connectionClose = connectionClose || ASCII.equals(token, count: 5, lowercased: "close")
                case 7: connectionUpgrade = connectionUpgrade || ASCII.equals(token, count: 7, lowercased: "upgrade")
                case 10:
                    connectionKeepAlive = connectionKeepAlive
                        || ASCII.equals(token, count: 10, lowercased: "keep-alive")
                default: break
                }
                return true
            }
        case 14 where ASCII.equals(n, count: 14, lowercased: "content-length"):
            guard contentLength == nil else { throw HTTPParseError(.duplicateContentLength) }
            contentLength = try FieldSection.parseContentLength(p, value, valueEnd)
        case 17 where ASCII.equals(n, count: 17, lowercased: "transfer-encoding"):
            transferEncodingCount &+= 1
            transferEncodingIsChunked = ASCII.equals(v, count: valueCount, lowercased: "chunked")
        default:
            break
        }
    }

    /// `1*DIGIT`, at most 18 digits so it always fits Int64; no sign, no list, no hex.
    private static func parseContentLength(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int
    ) throws(HTTPParseError) -> Int64 {
        guard end > start, end - start <= 18 else { throw HTTPParseError(.invalidContentLength) }
        var n: Int64 = 0
        for i in start..<end {
            let b = p[i]
            guard ASCII.isDigit(b) else { throw HTTPParseError(.invalidContentLength) }
            n = n &* 10 &+ Int64(b &- 0x30)
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
