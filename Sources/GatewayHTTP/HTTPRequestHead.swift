/// A parsed (or constructed) request head. Reusable: `reset()` keeps the allocated buffers for the next request.
public struct HTTPRequestHead: Sendable {
    public var method: HTTPMethod = .get
    public var version: HTTPVersion = .http11
    public var headers = HTTPHeaders()
    /// `.none`, `.contentLength(n)` with n > 0, or `.chunked`; never `.untilClose`. `Content-Length: 0` gives `.none`.
    public var framing: HTTPBodyFraming = .none
    /// From the version and the Connection tokens `close` / `keep-alive`.
    public var keepAlive = true
    /// `Expect: 100-continue` on an HTTP/1.1 request.
    public var expectsContinue = false
    /// `Connection: upgrade` together with a non-empty Upgrade field.
    public var isUpgrade = false

    /// The request-target in origin-form (or `*`), ASCII bytes.
    var targetBytes = FlatBuffer<UInt8>(ASCII.bytes("/"))

    public init() {}

    /// The request-target (allocating). Absolute-form targets have already been turned into origin-form.
    public var target: String { withTarget { String(decoding: $0, as: UTF8.self) } }

    /// The target up to the first `?` (allocating).
    public var path: String { withPath { String(decoding: $0, as: UTF8.self) } }

    /// The part after the first `?`, nil when there is none (allocating).
    public var query: String? {
        let end = pathEnd
        guard end < targetBytes.count else { return nil }
        return targetBytes.withUnsafeBytes { String(decoding: $0[(end + 1)...], as: UTF8.self) }
    }

    public func withTarget<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try targetBytes.withUnsafeBytes(body)
    }

    public func withPath<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let end = pathEnd
        return try targetBytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<end])) }
    }

    /// Replaces the target. Bytes not allowed in a request-target (controls, space, `#`, non-ASCII) are
    /// percent-encoded so the serialized request line can never be split or smuggled. An empty target becomes `/`.
    public mutating func setTarget(_ target: String) {
        targetBytes.removeAll()
        if target.isEmpty { targetBytes.append(ASCII.slash) }
        for b in target.utf8 {
            if ASCII.isTargetByte(b) {
                targetBytes.append(b)
            } else {
                targetBytes.append(ASCII.percent)
                targetBytes.append(ASCII.hexDigit(b >> 4))
                targetBytes.append(ASCII.hexDigit(b & 0xF))
            }
        }
    }

    /// Raw UTF-8 accepted in a request-target becomes %-escapes (the RFC 3987 3.1 IRI-to-URI mapping),
    /// so routing, filters and the upstream all see the same RFC 3986 target. Rare: allocates.
    mutating func percentEncodeNonASCII() { setTarget(target) }

    /// Appends `METHOD SP target SP HTTP/1.1 CRLF`, the headers and the blank line.
    /// Upstream requests are always HTTP/1.1 (RFC 9110 2.5: send the highest version supported).
    public func serialize(into buffer: inout [UInt8]) {
        method.withName { name in
            targetBytes.withUnsafeBytes { target in
                headers.withWriter { headers in
                    let writer = Writer(method: name, target: target, headers: headers)
                    buffer.append(count: name.count + target.count + 14 + headers.serializedCount, writer)
                }
            }
        }
    }

    private struct Writer: ByteWriter {
        let method: UnsafeRawBufferPointer
        let target: UnsafeRawBufferPointer
        let headers: HTTPHeaders.Writer

        @inline(__always)
        func write(to out: inout ByteCursor) {
            out.write(method)
            out.write(ASCII.sp)
            out.write(target)
            out.write(" HTTP/1.1\r\n")
            headers.write(to: &out)
            out.write(ASCII.cr)
            out.write(ASCII.lf)
        }
    }

    /// Back to a blank `GET / HTTP/1.1` head, keeping buffer capacity.
    public mutating func reset() {
        method = .get
        version = .http11
        headers.removeAll()
        framing = .none
        keepAlive = true
        expectsContinue = false
        isUpgrade = false
        targetBytes.removeAll()
        targetBytes.append(ASCII.slash)
    }

    // MARK: Internals

    /// Index of the first `?` in the target, or its length.
    var pathEnd: Int {
        targetBytes.withUnsafeBytes { buf in
            guard let p = buf.baseAddress else { return 0 }
            return ASCII.find(ASCII.question, ASCII.question, ASCII.question, in: p, from: 0, end: buf.count)
        }
    }
}
