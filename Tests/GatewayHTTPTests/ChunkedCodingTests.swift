import Testing
@testable import GatewayHTTP

@Suite("Chunked decoder and encoder")
struct ChunkedCodingTests {
    // MARK: Valid input

    @Test(arguments: [0, 1, 2, 3, 7])
    func simpleBody(step: Int) throws {
        let text = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        let r = try decodeChunked(text, step: step)
        #expect(r.body == "hello world")
        #expect(r.done)
        #expect(r.consumed == text.utf8.count)
    }

    @Test func hexDigitsAnyCaseAndLeadingZeros() throws {
        let sixteen = String(repeating: "x", count: 16)
        let ten = String(repeating: "y", count: 10)
        let text = "10\r\n\(sixteen)\r\na\r\n\(ten)\r\n000A\r\n\(ten)\r\n0000\r\n\r\n"
        let r = try decodeChunked(text)
        #expect(r.body == sixteen + ten + ten)
        #expect(r.done)
    }

    @Test(arguments: [0, 1])
    func extensionsAreIgnored(step: Int) throws {
        let text = "5;name=value\r\nhello\r\n3 ; a=b;c\t;d=\"q s\"\r\nabc\r\n0;last\r\n\r\n"
        let r = try decodeChunked(text, step: step)
        #expect(r.body == "helloabc")
        #expect(r.done)
    }

    @Test(arguments: [0, 1])
    func trailersAreValidatedAndDiscarded(step: Int) throws {
        let text = "3\r\nabc\r\n0\r\nX-Checksum: 1234\r\nX-Other:\tv \r\n\r\n"
        let r = try decodeChunked(text, step: step)
        #expect(r.body == "abc")
        #expect(r.done)
        #expect(r.consumed == text.utf8.count)
    }

    @Test func emptyBody() throws {
        let r = try decodeChunked("0\r\n\r\n")
        #expect(r.body == "")
        #expect(r.done)
    }

    @Test(arguments: [0, 1])
    func stopsAtTheEndOfTheBody(step: Int) throws {
        let body = "2\r\nok\r\n0\r\n\r\n"
        let r = try decodeChunked(body + "GET / HTTP/1.1\r\n", step: step)
        #expect(r.body == "ok")
        #expect(r.done)
        #expect(r.consumed == body.utf8.count)
    }

    @Test func decodeAfterDoneConsumesNothing() throws {
        var decoder = ChunkedDecoder()
        let first = Array("0\r\n\r\nxyz".utf8)
        #expect(try first.withUnsafeBytes { try decoder.decode($0) { _ in } } == 5)
        #expect(decoder.isDone)
        #expect(try first.withUnsafeBytes { try decoder.decode($0) { _ in Issue.record("no data expected") } } == 0)
    }

    @Test func dataSlicesPointIntoTheInput() throws {
        var decoder = ChunkedDecoder()
        let input = Array("4\r\nabcd\r\n0\r\n\r\n".utf8)
        try input.withUnsafeBytes { buf in
            _ = try decoder.decode(buf) { slice in
                #expect(slice.baseAddress == buf.baseAddress! + 3)
                #expect(slice.count == 4)
            }
        }
    }

    @Test func largeChunkSplitAcrossCalls() throws {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var encoded: [UInt8] = []
        ChunkedEncoder.writeChunkHeader(size: data.count, into: &encoded)
        encoded += data + ChunkedEncoder.chunkTrailer + ChunkedEncoder.lastChunk
        let r = try decodeChunked(encoded, step: 4093)
        #expect(r.body == data)
        #expect(r.done)
    }

    @Test func resetAllowsReuse() throws {
        var decoder = ChunkedDecoder()
        var body: [UInt8] = []
        for text in ["3\r\nabc\r\n0\r\nT: 1\r\n\r\n", "2\r\nde\r\n0\r\n\r\n"] {
            decoder.reset()
            #expect(!decoder.isDone)
            let bytes = Array(text.utf8)
            let consumed = try bytes.withUnsafeBytes { try decoder.decode($0) { body += $0 } }
            #expect(consumed == bytes.count)
            #expect(decoder.isDone)
        }
        #expect(String(decoding: body, as: UTF8.self) == "abcde")
    }

    @Test func onDataErrorsPropagate() {
        struct Stop: Error {}
        var decoder = ChunkedDecoder()
        let bytes = Array("3\r\nabc\r\n0\r\n\r\n".utf8)
        #expect(throws: Stop.self) {
            _ = try bytes.withUnsafeBytes { try decoder.decode($0) { _ in throw Stop() } }
        }
    }

    // MARK: Invalid chunk sizes

    @Test func nonHexSize() {
        expectChunkedFailure("g\r\n", .invalidChunkSize)
        expectChunkedFailure("5g\r\nhello\r\n", .invalidChunkSize)
    }

    @Test func emptySize() {
        expectChunkedFailure("\r\nhello\r\n0\r\n\r\n", .invalidChunkSize)
        expectChunkedFailure(";ext\r\n", .invalidChunkSize)
    }

    @Test func sizeOverflow() {
        expectChunkedFailure("11111111111111111\r\n", .chunkSizeOverflow)  // 17 digits
        expectChunkedFailure("8000000000000000\r\n", .chunkSizeOverflow)  // > Int64.max
        expectChunkedFailure("0000000000000000001\r\n", .chunkSizeOverflow)  // digit count, not value
    }

    @Test func sixteenDigitSizeIsAccepted() throws {
        var decoder = ChunkedDecoder()
        let bytes = Array("7fffffffffffffff\r\nabc".utf8)
        var received = 0
        let consumed = try bytes.withUnsafeBytes { try decoder.decode($0) { received += $0.count } }
        #expect(consumed == bytes.count)
        #expect(received == 3)
        #expect(!decoder.isDone)
    }

    @Test func leadingSpace() {
        expectChunkedFailure(" 5\r\nhello\r\n", .invalidChunkSize)
        expectChunkedFailure("\t5\r\nhello\r\n", .invalidChunkSize)
    }

    @Test func trailingWhitespaceWithoutExtension() {
        expectChunkedFailure("5 \r\nhello\r\n", .invalidChunkSize)
    }

    @Test func negativeOrSignedSize() {
        expectChunkedFailure("-5\r\nhello\r\n", .invalidChunkSize)
        expectChunkedFailure("+5\r\nhello\r\n", .invalidChunkSize)
    }

    @Test func hexPrefix() {
        expectChunkedFailure("0x5\r\nhello\r\n", .invalidChunkSize)
    }

    // MARK: Line endings and data framing

    @Test func missingCRLFAfterData() {
        expectChunkedFailure("5\r\nhelloX\r\n0\r\n\r\n", .missingCRLFAfterData)
        expectChunkedFailure("5\r\nhello\rX", .missingCRLFAfterData)
        expectChunkedFailure("5\r\nhello0\r\n\r\n", .missingCRLFAfterData)
    }

    @Test func bareLFAfterData() {
        expectChunkedFailure("5\r\nhello\n0\r\n\r\n", .missingCRLFAfterData)
    }

    @Test func bareLFAfterSize() {
        expectChunkedFailure("5\nhello\r\n", .invalidLineEnding)
        expectChunkedFailure("5;a=b\nhello\r\n", .invalidLineEnding)
    }

    @Test func bareCRAfterSize() {
        expectChunkedFailure("5\rhello\r\n", .invalidLineEnding)
    }

    @Test func controlByteInExtension() {
        expectChunkedFailure("5;a=\u{0}\r\nhello\r\n", .invalidExtension)
        expectChunkedFailure("5;a=\u{7F}\r\nhello\r\n", .invalidExtension)
    }

    @Test func sizeLineTooLong() {
        let decoder = ChunkedDecoder(maxLineBytes: 16)
        expectChunkedFailure("5;" + String(repeating: "e", count: 20) + "\r\nhello\r\n", .lineTooLong, decoder: decoder)
        let atLimit = "5;" + String(repeating: "e", count: 14) + "\r\nhello\r\n0\r\n\r\n"
        #expect(throws: Never.self) { try decodeChunked(atLimit, decoder: decoder) }
    }

    // MARK: Trailers

    @Test func invalidTrailerFields() {
        expectChunkedFailure("0\r\nX-A: 1\r\n folded\r\n\r\n", .invalidTrailer(.obsFold))
        expectChunkedFailure("0\r\nNoColon\r\n\r\n", .invalidTrailer(.missingColon))
        expectChunkedFailure("0\r\nX-A : 1\r\n\r\n", .invalidTrailer(.whitespaceBeforeColon))
        expectChunkedFailure("0\r\nX-A: a\u{0}b\r\n\r\n", .invalidTrailer(.invalidHeaderValue))
        expectChunkedFailure("0\r\nX-A: a\rb\r\n\r\n", .invalidTrailer(.bareCR))
    }

    @Test func trailerLineEndings() {
        expectChunkedFailure("0\r\nX-A: 1\n\r\n", .invalidLineEnding)
        expectChunkedFailure("0\r\n\n", .invalidLineEnding)
    }

    @Test func trailerTooLarge() {
        let decoder = ChunkedDecoder(maxTrailerBytes: 32)
        expectChunkedFailure("0\r\nX-A: " + String(repeating: "a", count: 40) + "\r\n\r\n", .trailerTooLarge, decoder: decoder)
        expectChunkedFailure("0\r\n" + String(repeating: "X: 1\r\n", count: 6) + "\r\n", .trailerTooLarge, decoder: decoder)
        #expect(throws: Never.self) { try decodeChunked("0\r\nX-A: 1\r\n\r\n", decoder: decoder) }
    }

    @Test func errorDescriptionsAreSpecific() {
        #expect(ChunkedError(.invalidTrailer(.obsFold)).description.contains("folding"))
        #expect(ChunkedError(.chunkSizeOverflow).description != ChunkedError(.invalidChunkSize).description)
    }

    // MARK: Encoder

    @Test func chunkHeaders() {
        for (size, expected) in [(0, "0"), (1, "1"), (10, "A"), (255, "FF"), (4096, "1000"), (Int(Int32.max), "7FFFFFFF")] {
            var buffer: [UInt8] = [0x21]
            ChunkedEncoder.writeChunkHeader(size: size, into: &buffer)
            #expect(buffer == Array(("!" + expected + "\r\n").utf8))
        }
        #expect(ChunkedEncoder.chunkTrailer == Array("\r\n".utf8))
        #expect(ChunkedEncoder.lastChunk == Array("0\r\n\r\n".utf8))
    }

    @Test func encoderOutputDecodes() throws {
        var encoded: [UInt8] = []
        let pieces = ["a", "", "0123456789abcdef0", String(repeating: "z", count: 300)].filter { !$0.isEmpty }
        for piece in pieces {
            ChunkedEncoder.writeChunkHeader(size: piece.utf8.count, into: &encoded)
            encoded += Array(piece.utf8) + ChunkedEncoder.chunkTrailer
        }
        encoded += ChunkedEncoder.lastChunk
        for step in [0, 1, 5] {
            let r = try decodeChunked(encoded, step: step)
            #expect(String(decoding: r.body, as: UTF8.self) == pieces.joined())
            #expect(r.done && r.consumed == encoded.count)
        }
    }
}
