/// A parsed (or constructed) response head. Reusable: `reset()` keeps the allocated buffers.
public struct HTTPResponseHead: Sendable {
    public var status: Int
    public var version: HTTPVersion = .http11
    public var headers = HTTPHeaders()
    /// Computed by the parser from the status, the request method and the framing fields.
    public var framing: HTTPBodyFraming = .none
    public var keepAlive = true

    /// Reason phrase bytes as received; empty means "the standard phrase for `status`".
    var reasonBytes = FlatBuffer<UInt8>()

    public init(status: Int = 200) {
        self.status = status
    }

    /// The reason phrase as received, or the standard phrase for `status` when none was received or set.
    /// Setting drops bytes that are not allowed in a reason phrase (controls other than HTAB), so a
    /// serialized status line can never be split.
    public var reason: String {
        get {
            reasonBytes.isEmpty
                ? HTTPStatus.reasonPhrase(status) : reasonBytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }
        set {
            reasonBytes.removeAll()
            for b in newValue.utf8 where ASCII.isFieldValueByte(b) { reasonBytes.append(b) }
        }
    }

    /// Appends `HTTP/1.1 <status> <reason> CRLF`, the headers and the blank line.
    public func serialize(into buffer: inout [UInt8]) {
        let standard = ASCII.bytes(HTTPStatus.staticReasonPhrase(status))
        reasonBytes.withUnsafeBytes { received in
            headers.withWriter { headers in
                let writer = Writer(status: status, reason: received.isEmpty ? standard : received, headers: headers)
                let count = 14 + ByteCursor.decimalCount(status) + writer.reason.count + headers.serializedCount
                buffer.append(count: count, writer)
            }
        }
    }

    private struct Writer: ByteWriter {
        let status: Int
        let reason: UnsafeRawBufferPointer
        let headers: HTTPHeaders.Writer

        @inline(__always)
        func write(to out: inout ByteCursor) {
            out.write("HTTP/1.1 ")
            out.writeDecimal(status)
            out.write(ASCII.sp)
            out.write(reason)
            out.write(ASCII.cr)
            out.write(ASCII.lf)
            headers.write(to: &out)
            out.write(ASCII.cr)
            out.write(ASCII.lf)
        }
    }

    /// Back to a blank `200` head, keeping buffer capacity.
    public mutating func reset() {
        status = 200
        version = .http11
        headers.removeAll()
        framing = .none
        keepAlive = true
        reasonBytes.removeAll()
    }
}
