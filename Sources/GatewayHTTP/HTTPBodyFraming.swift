/// How the body following a head is delimited (RFC 9112 6.3).
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No body. Also used for `Content-Length: 0`.
    case none
    case contentLength(Int64)
    case chunked
    /// Responses only: the body runs until the upstream closes the connection.
    case untilClose
}
