import Testing
@testable import GatewayHTTP

/// Parses `bytes` as a request head with a fresh head.
func parseRequest(bytes: [UInt8], limits: HTTPParserLimits = .init()) -> (result: HTTPParseResult, head: HTTPRequestHead) {
    var head = HTTPRequestHead()
    let result = bytes.withUnsafeBytes { HTTPRequestParser(limits: limits).parse($0, into: &head) }
    return (result, head)
}

func parseRequest(_ text: String, limits: HTTPParserLimits = .init()) -> (result: HTTPParseResult, head: HTTPRequestHead) {
    parseRequest(bytes: Array(text.utf8), limits: limits)
}

func parseResponse(
    bytes: [UInt8], method: HTTPMethod = .get, limits: HTTPParserLimits = .init()
) -> (result: HTTPParseResult, head: HTTPResponseHead) {
    var head = HTTPResponseHead()
    let result = bytes.withUnsafeBytes { HTTPResponseParser(limits: limits).parse($0, requestMethod: method, into: &head) }
    return (result, head)
}

func parseResponse(
    _ text: String, method: HTTPMethod = .get, limits: HTTPParserLimits = .init()
) -> (result: HTTPParseResult, head: HTTPResponseHead) {
    parseResponse(bytes: Array(text.utf8), method: method, limits: limits)
}

/// Asserts that the request is rejected for `reason` with `status`.
func expectRequestFailure(
    _ text: String, _ reason: HTTPParseError.Reason, status: Int, limits: HTTPParserLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectRequestFailure(bytes: Array(text.utf8), reason, status: status, limits: limits, sourceLocation: sourceLocation)
}

func expectRequestFailure(
    bytes: [UInt8], _ reason: HTTPParseError.Reason, status: Int, limits: HTTPParserLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let (result, _) = parseRequest(bytes: bytes, limits: limits)
    #expect(result == .failure(HTTPParseError(reason)), sourceLocation: sourceLocation)
    #expect(HTTPParseError(reason).status == status, sourceLocation: sourceLocation)
}

func expectResponseFailure(
    _ text: String, _ reason: HTTPParseError.Reason, method: HTTPMethod = .get,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let (result, _) = parseResponse(text, method: method)
    #expect(result == .failure(HTTPParseError(reason)), sourceLocation: sourceLocation)
}

/// A request with the given extra header lines (each without CRLF).
func request(_ lines: String..., requestLine: String = "GET / HTTP/1.1", host: Bool = true) -> String {
    var text = requestLine + "\r\n"
    if host { text += "Host: example.com\r\n" }
    for line in lines { text += line + "\r\n" }
    return text + "\r\n"
}

/// Decodes a chunked body, feeding it in pieces of `step` bytes (0 = all at once).
/// Returns the body, whether the decoder finished, and how many input bytes it consumed.
func decodeChunked(
    _ bytes: [UInt8], step: Int = 0, decoder: ChunkedDecoder = ChunkedDecoder()
) throws -> (body: [UInt8], done: Bool, consumed: Int) {
    var decoder = decoder
    var body: [UInt8] = []
    var offset = 0
    while offset < bytes.count && !decoder.isDone {
        let end = step == 0 ? bytes.count : min(bytes.count, offset + step)
        let consumed = try bytes[offset..<end].withUnsafeBytes { piece in
            try decoder.decode(piece) { body.append(contentsOf: $0) }
        }
        offset += consumed
    }
    return (body, decoder.isDone, offset)
}

func decodeChunked(
    _ text: String, step: Int = 0, decoder: ChunkedDecoder = ChunkedDecoder()
) throws -> (body: String, done: Bool, consumed: Int) {
    let r = try decodeChunked(Array(text.utf8), step: step, decoder: decoder)
    return (String(decoding: r.body, as: UTF8.self), r.done, r.consumed)
}

func expectChunkedFailure(
    _ text: String, _ reason: ChunkedError.Reason, decoder: ChunkedDecoder = ChunkedDecoder(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    for step in [0, 1] {
        #expect(throws: ChunkedError(reason), sourceLocation: sourceLocation) {
            _ = try decodeChunked(Array(text.utf8), step: step, decoder: decoder)
        }
    }
}

/// Deterministic generator for the randomized tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
