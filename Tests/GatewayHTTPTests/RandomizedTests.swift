import Testing
@testable import GatewayHTTP

/// Random and mutated inputs must never crash, hang or break the parsers' invariants.
@Suite("Randomized inputs")
struct RandomizedTests {
    /// Bytes that matter to the grammar, so random strings reach deep states.
    private static let alphabet =
        Array("GET POST HTTP/1.1 /:;,.%2e\r\n\t 0123456789abcdefABCDEF-Host Content-Length Transfer-Encoding chunked".utf8)
        + [0, 0x7F, 0x80, 0xFF, 0x0D, 0x0A, 0x0D, 0x0A]

    private static let seeds = [
        "GET /a/b?c HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
        "POST /x HTTP/1.1\r\nHost: h:80\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\n",
        "HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n",
        "5;a=b\r\nhello\r\n0\r\nT: 1\r\n\r\n",
    ]

    private func randomInput(_ rng: inout SeededGenerator) -> [UInt8] {
        if Bool.random(using: &rng) {
            let count = Int.random(in: 0...200, using: &rng)
            return (0..<count).map { _ in RandomizedTests.alphabet.randomElement(using: &rng)! }
        }
        var bytes = Array(RandomizedTests.seeds.randomElement(using: &rng)!.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.remove(at: i)
            default: bytes.insert(RandomizedTests.alphabet.randomElement(using: &rng)!, at: i)
            }
            if bytes.isEmpty { break }
        }
        return bytes
    }

    @Test func parsersAndDecoderNeverCrash() throws {
        var rng = SeededGenerator(seed: 0x5EED_2024)
        let limits = HTTPParserLimits(maxHeadBytes: 150, maxHeaderCount: 5, maxURIBytes: 40)
        var completes = 0
        for _ in 0..<4000 {
            let bytes = randomInput(&rng)
            for limit in [HTTPParserLimits(), limits] {
                let (request, head) = parseRequest(bytes: bytes, limits: limit)
                if case .complete(let length) = request {
                    completes += 1
                    #expect(length <= bytes.count && length <= limit.maxHeadBytes)
                    var copy = head
                    _ = copy.normalizePath()
                    var out: [UInt8] = []
                    head.serialize(into: &out)
                    // What we forward must parse back to the same target and framing.
                    let (again, reparsed) = parseRequest(bytes: out)
                    if case .complete = again {
                        #expect(reparsed.target == head.target && reparsed.framing == head.framing)
                    } else {
                        #expect(head.version == .http10, "re-serialized request failed: \(again)")
                    }
                }
                if case .complete(let length) = parseResponse(bytes: bytes, method: .get, limits: limit).result {
                    completes += 1
                    #expect(length <= bytes.count)
                }
            }
            for step in [0, 1, 3] {
                do {
                    let r = try decodeChunked(bytes, step: step, decoder: ChunkedDecoder(maxLineBytes: 32, maxTrailerBytes: 64))
                    #expect(r.consumed <= bytes.count)
                } catch is ChunkedError {
                    // expected for most inputs
                }
            }
        }
        #expect(completes > 0)
    }

    @Test func everyPrefixOfACompleteHeadIsIncomplete() {
        var rng = SeededGenerator(seed: 42)
        var checked = 0
        for _ in 0..<1500 {
            let bytes = randomInput(&rng)
            guard case .complete(let length) = parseRequest(bytes: bytes).result else { continue }
            checked += 1
            for prefix in 0..<length {
                #expect(parseRequest(bytes: Array(bytes[..<prefix])).result == .incomplete)
            }
        }
        #expect(checked > 0)
    }

    @Test func chunkedDecodingIsIndependentOfSplitting() throws {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<300 {
            var encoded: [UInt8] = []
            var expected: [UInt8] = []
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                let data = (0..<Int.random(in: 1...50, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let sizeLine = String(data.count, radix: 16) + (Bool.random(using: &rng) ? " ;ext=1" : "") + "\r\n"
                encoded += Array(sizeLine.utf8) + data + ChunkedEncoder.chunkTrailer
                expected += data
            }
            encoded += ChunkedEncoder.lastChunk
            for step in [0, 1, Int.random(in: 2...20, using: &rng)] {
                let r = try decodeChunked(encoded, step: step)
                #expect(r.body == expected && r.done && r.consumed == encoded.count)
            }
        }
    }

    @Test func swarScannersAgreeWithByteLoops() {
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<20_000 {
            // Mostly printable bytes with a few arbitrary ones, so stop bytes land anywhere, borrows included.
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                Int.random(in: 0..<8, using: &rng) == 0
                    ? UInt8.random(in: 0...255, using: &rng) : UInt8.random(in: 0x21...0x7E, using: &rng)
            }
            let from = Int.random(in: 0...bytes.count, using: &rng)
            let valueStop = bytes[from...].firstIndex { $0 < 0x20 || $0 == 0x7F } ?? bytes.count
            let targetStop = bytes[from...].firstIndex { !(0x21...0x7E).contains($0) || $0 == 0x23 } ?? bytes.count
            bytes.withUnsafeBytes { buf in
                #expect(ASCII.skipFieldValueBytes(buf, from: from, end: buf.count) == valueStop)
                #expect(ASCII.skipTargetBytes(buf, from: from, end: buf.count) == targetStop)
            }
        }
    }
}
