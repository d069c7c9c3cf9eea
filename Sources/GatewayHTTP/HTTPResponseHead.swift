/// A parsed (or constructed) response head. Reusable: `reset()` keeps the allocated buffers.
public struct HTTPResponseHead: Sendable {
    public var status: Int
    public var version: HTTPVersion = .http11
    public var headers = HTTPHeaders()
    /// Computed by the parser from the status, the request method and the framing fields.
    public var framing: HTTPBodyFraming = .none
    public var keepAlive = true

    /// Reason phrase bytes as received; empty means "the standard phrase for `status`".
    var reasonBytes: [UInt8] = []

    public init(status: Int = 200) {
        self.status = status
    }

    /// The reason phrase as received, or the standard phrase for `status` when none was received or set.
    /// Setting drops bytes that are not allowed in a reason phrase (controls other than HTAB), so a
    /// serialized status line can never be split.
    public var reason: String {
        get {
            reasonBytes.isEmpty ? HTTPStatus.reasonPhrase(status) : String(decoding: reasonBytes, as: UTF8.self)
        }
        set {
            reasonBytes.removeAll(keepingCapacity: true)
            reasonBytes.append(contentsOf: newValue.utf8.lazy.filter(ASCII.isFieldValueByte))
        }
    }

    /// Appends `HTTP/1.1 <status> <reason> CRLF`, the headers and the blank line.
    public func serialize(into buffer: inout [UInt8]) {
        let standard = ASCII.bytes(HTTPStatus.staticReasonPhrase(status))
        reasonBytes.withUnsafeBytes { received in
            let reason = received.isEmpty ? standard : received
            let count = 14 + ByteCursor.decimalCount(status) + reason.count + headers.serializedCount
            buffer.append(count: count) { out in
                out.write("HTTP/1.1 ")
                out.writeDecimal(status)
                out.write(ASCII.sp)
                out.write(reason)
                out.write("\r\n")
                headers.write(to: &out)
                out.write("\r\n")
            }
        }
    }

    /// Back to a blank `200` head, keeping buffer capacity.
    public mutating func reset() {
        status = 200
        version = .http11
        headers.removeAll()
        framing = .none
        keepAlive = true
        reasonBytes.removeAll(keepingCapacity: true)
    }
}
