/// Why a message head was rejected, and the status to answer with.
/// The description never echoes received bytes, so it is safe to log.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable, CaseIterable {
        // Line structure
        case bareLF
        case bareCR
        case tooManyLeadingEmptyLines
        // Request line
        case invalidRequestLine
        case invalidMethod
        case connectNotSupported
        case invalidTarget
        case uriTooLong
        case invalidVersion
        case unsupportedVersion
        // Status line
        case invalidStatusLine
        // Field lines
        case obsFold
        case whitespaceBeforeColon
        case missingColon
        case invalidHeaderName
        case invalidHeaderValue
        case headTooLarge
        case tooManyHeaders
        // Host
        case missingHost
        case duplicateHost
        case invalidHost
        // Framing
        case invalidContentLength
        case duplicateContentLength
        case contentLengthWithTransferEncoding
        case unsupportedTransferEncoding
        case transferEncodingInHTTP10
        // Expect
        case expectationFailed
    }

    public var reason: Reason

    public init(_ reason: Reason) { self.reason = reason }

    /// The status to answer a client with: 400, 414, 417, 431, 501 or 505.
    /// (Errors in upstream responses are answered with 502 by the engine regardless.)
    public var status: Int {
        switch reason {
        case .uriTooLong: return 414
        case .headTooLarge, .tooManyHeaders: return 431
        case .expectationFailed: return 417
        case .connectNotSupported: return 501
        case .unsupportedVersion: return 505
        default: return 400
        }
    }

    public var description: String {
        switch reason {
        case .bareLF: return "line terminated by bare LF"
        case .bareCR: return "bare CR not followed by LF"
        case .tooManyLeadingEmptyLines: return "too many empty lines before the start line"
        case .invalidRequestLine: return "malformed request line"
        case .invalidMethod: return "invalid method token"
        case .connectNotSupported: return "CONNECT is not supported"
        case .invalidTarget: return "invalid request-target"
        case .uriTooLong: return "request-target too long"
        case .invalidVersion: return "malformed HTTP version"
        case .unsupportedVersion: return "unsupported HTTP version"
        case .invalidStatusLine: return "malformed status line"
        case .obsFold: return "obsolete line folding"
        case .whitespaceBeforeColon: return "whitespace between field name and colon"
        case .missingColon: return "field line without colon"
        case .invalidHeaderName: return "invalid field name"
        case .invalidHeaderValue: return "invalid byte in field value"
        case .headTooLarge: return "message head too large"
        case .tooManyHeaders: return "too many header fields"
        case .missingHost: return "missing Host header"
        case .duplicateHost: return "more than one Host header"
        case .invalidHost: return "invalid Host"
        case .invalidContentLength: return "invalid Content-Length"
        case .duplicateContentLength: return "more than one Content-Length"
        case .contentLengthWithTransferEncoding: return "both Content-Length and Transfer-Encoding"
        case .unsupportedTransferEncoding: return "Transfer-Encoding other than a single chunked"
        case .transferEncodingInHTTP10: return "Transfer-Encoding in an HTTP/1.0 message"
        case .expectationFailed: return "unsupported expectation"
        }
    }
}

/// Outcome of parsing a message head.
public enum HTTPParseResult: Sendable, Equatable {
    /// More bytes are needed; call again with everything received so far.
    case incomplete
    /// The head spans the first `headLength` bytes (including the blank line); the body or the next message follows.
    case complete(headLength: Int)
    case failure(HTTPParseError)
}
