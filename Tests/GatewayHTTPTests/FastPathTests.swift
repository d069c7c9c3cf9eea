import Testing
@testable import GatewayHTTP

/// The word-at-a-time scanners, lookup tables and storage tricks of the hot path, checked against plain
/// byte-by-byte definitions (every byte value, every offset and length that reaches each code path).
@Suite("Fast paths")
struct FastPathTests {
    // MARK: Byte classes and scanners

    @Test func classTableMatchesTheGrammars() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let regName = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=".utf8)
        let hex = Set("0123456789abcdefABCDEF".utf8)
        #expect(ASCII.classTableLiteral.utf8CodeUnitCount == 256)
        for b in 0...255 {
            let byte = UInt8(b)
            #expect(ASCII.hasClass(byte, ASCII.tcharClass) == tchar.contains(byte), "byte \(b)")
            #expect(ASCII.hasClass(byte, ASCII.regNameClass) == regName.contains(byte), "byte \(b)")
            #expect(ASCII.hasClass(byte, ASCII.hexClass) == hex.contains(byte), "byte \(b)")
        }
    }

    @Test func tokenCheckFindsABadByteAtAnyPosition() {
        for count in 1...40 {
            for position in 0..<count {
                for bad: UInt8 in [0x00, 0x20, 0x3A, 0x7F, 0x80, 0xFF, 0x22, 0x2C] {
                    var bytes = [UInt8](repeating: 0x61, count: count)
                    bytes[position] = bad
                    bytes.withUnsafeBytes { #expect(!ASCII.isToken($0.baseAddress!, count: count)) }
                }
            }
            let alphabet = Array("aZ09-!~_".utf8)
            let good = (0..<count).map { alphabet[$0 % alphabet.count] }
            good.withUnsafeBytes { #expect(ASCII.isToken($0.baseAddress!, count: count)) }
        }
    }

    @Test func valueScannersAgreeWithTheDefinition() {
        // Every byte value at every position of runs long enough for the 16-byte, 8-byte and byte paths.
        for count in [1, 3, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40] {
            for position in 0..<count {
                for stop in 0...255 {
                    let b = UInt8(stop)
                    let isStop = b < 0x20 || b == 0x7F
                    var bytes = [UInt8](repeating: 0x61, count: count)
                    bytes[position] = b
                    bytes.withUnsafeBytes { buf in
                        let p = buf.baseAddress!
                        #expect(ASCII.skipFieldValueBytes(p, from: 0, end: count) == (isStop ? position : count))
                        #expect(ASCII.allFieldValueBytes(p, count: count) == !isStop)
                        if position > 0 {
                            #expect(ASCII.skipFieldValueBytes(p, from: 1, end: count) == (isStop ? position : count))
                        }
                    }
                }
            }
        }
    }

    @Test func findLocatesTheFirstOfThreeBytes() {
        for count in 0...20 {
            for position in 0..<max(count, 1) where count > 0 {
                var bytes = [UInt8](repeating: 0x61, count: count)
                bytes[position] = ASCII.percent
                if position + 1 < count { bytes[position + 1] = ASCII.dot }
                bytes.withUnsafeBytes { buf in
                    #expect(ASCII.find(ASCII.dot, ASCII.percent, ASCII.question, in: buf.baseAddress!, from: 0,
                                       end: count) == position)
                }
            }
            let plain = [UInt8](repeating: 0x2F, count: count)
            plain.withUnsafeBytes { buf in
                guard let p = buf.baseAddress else { return }
                #expect(ASCII.find(ASCII.dot, ASCII.percent, ASCII.question, in: p, from: 0, end: count) == count)
            }
        }
    }

    @Test func wordLowercasingIsExactForEveryByte() {
        for b in 0...255 {
            let w = UInt64(b) * 0x0101_0101_0101_0101
            let expected = UInt64(ASCII.lower(UInt8(b))) * 0x0101_0101_0101_0101
            #expect(ASCII.lowercased(w) == expected, "byte \(b)")
        }
    }

    @Test func caseInsensitiveComparisonAtEveryLength() {
        let lower = Array("proxy-authorization-and-more".utf8)
        for count in 0...lower.count {
            let a = Array(lower[..<count])
            let upper = a.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
            a.withUnsafeBytes { x in
                upper.withUnsafeBytes { y in
                    guard let xp = x.baseAddress, let yp = y.baseAddress else { return }
                    #expect(ASCII.equalsIgnoringCase(xp, yp, count: count))
                }
            }
            for position in 0..<count {
                var other = upper
                other[position] ^= 0x01  // a different letter (or '-' becomes ',')
                a.withUnsafeBytes { x in
                    other.withUnsafeBytes { y in
                        #expect(!ASCII.equalsIgnoringCase(x.baseAddress!, y.baseAddress!, count: count))
                    }
                }
                var nonLetter = a
                nonLetter[position] = 0x40  // '@' folds like '`' in a naive |0x20 comparison
                a.withUnsafeBytes { x in
                    nonLetter.withUnsafeBytes { y in
                        #expect(!ASCII.equalsIgnoringCase(x.baseAddress!, y.baseAddress!, count: count))
                    }
                }
            }
        }
        for name in ["te", "host", "close", "expect", "upgrade", "keep-alive", "connection", "content-length",
                     "proxy-authorization"] {
            let literal: StaticString
            switch name {
            case "te": literal = "te"
            case "host": literal = "host"
            case "close": literal = "close"
            case "expect": literal = "expect"
            case "upgrade": literal = "upgrade"
            case "keep-alive": literal = "keep-alive"
            case "connection": literal = "connection"
            case "content-length": literal = "content-length"
            default: literal = "proxy-authorization"
            }
            let mixed = String(name.enumerated().map {
                $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element
            })
            for variant in [name, name.uppercased(), mixed] {
                Array(variant.utf8).withUnsafeBytes { #expect(ASCII.equals($0, 0, $0.count, lowercased: literal)) }
            }
            for position in 0..<name.utf8.count {
                var bytes = Array(name.utf8)
                bytes[position] = bytes[position] == 0x2D ? 0x0D : bytes[position] ^ 0x20 ^ 0x01
                bytes.withUnsafeBytes { #expect(!ASCII.equals($0, 0, $0.count, lowercased: literal)) }
            }
            Array((name + "x").utf8).withUnsafeBytes { #expect(!ASCII.equals($0, 0, $0.count, lowercased: literal)) }
        }
    }

    // MARK: Header table

    @Test func hopByHopSignatureCoversTheHopByHopNames() {
        var mask: UInt64 = 0
        for name in ["Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
                     "Proxy-Authorization", "Proxy-Authenticate"] {
            mask |= Array(name.utf8).withUnsafeBytes { HTTPHeaders.signatureBit($0) }
            #expect(Array(name.lowercased().utf8).withUnsafeBytes { HTTPHeaders.signatureBit($0) }
                == Array(name.utf8).withUnsafeBytes { HTTPHeaders.signatureBit($0) })
        }
        #expect(mask == HTTPHeaders.hopByHopSignature)
        #expect(mask.nonzeroBitCount == 9)
    }

    @Test func signatureNeverHidesAField() {
        var h = HTTPHeaders()
        var names: [String] = []
        for i in 0..<300 {
            let name = "X-\(String(repeating: "ab", count: i % 7))\(i)"
            names.append(name)
            #expect(h.add(name, "\(i)") == true)
        }
        for (i, name) in names.enumerated() {
            #expect(h.first(name.uppercased()) == "\(i)")
            #expect(h.contains(name.lowercased()))
        }
        #expect(!h.contains("X-absent"))
        h.removeAll()
        #expect(h.nameSignature == 0)
        #expect(!h.contains(names[0]))
    }

    @Test func parsedHeadersAreFoundAfterMoreThan32Fields() {
        let lines = (0..<45).map { "X-F\($0): v\($0)" }
        let (result, head) = parseRequest(request(lines[0], lines[1], lines[2], lines[3], lines[4], lines[5], lines[6],
                                                  lines[7], lines[8], lines[9], lines[10], lines[11], lines[12],
                                                  lines[13], lines[14], lines[15], lines[16], lines[17], lines[18],
                                                  lines[19], lines[20], lines[21], lines[22], lines[23], lines[24],
                                                  lines[25], lines[26], lines[27], lines[28], lines[29], lines[30],
                                                  lines[31], lines[32], lines[33], lines[34], lines[35], lines[36],
                                                  lines[37], lines[38], lines[39], lines[40], lines[41], lines[42],
                                                  lines[43], lines[44]))
        guard case .complete = result else {
            Issue.record("expected a complete head, got \(result)")
            return
        }
        #expect(head.headers.count == 46)
        for i in 0..<45 { #expect(head.headers.first("x-f\(i)") == "v\(i)") }
        #expect(Array(head.headers).map(\.name) == ["Host"] + (0..<45).map { "X-F\($0)" })
    }

    @Test func setKeepsTheReceivedNameAndWritesWholeLines() {
        let (_, parsed) = parseRequest(request("x-request-id: old", "X-Keep:  spaced  ", "X-Dup: 1", "x-dup: 2"))
        var h = parsed.headers
        #expect(h.set("X-Request-ID", "new") == true)
        #expect(h.set("X-DUP", "3") == true)
        #expect(h.add("X-Added", "a") == true)
        #expect(h.set("X-Set", "b") == true)
        #expect(h.set("x-set", "c") == true)
        var out: [UInt8] = []
        h.write(into: &out)
        #expect(String(decoding: out, as: UTF8.self)
            == "Host: example.com\r\nx-request-id: new\r\nX-Keep: spaced\r\nX-Dup: 3\r\nX-Added: a\r\nX-Set: c\r\n")
        #expect(h.count == 6)
        #expect(parsed.headers.first("X-Request-ID") == "old")  // value semantics
        #expect(parsed.headers.all("x-dup") == ["1", "2"])
    }

    @Test func serializationMatchesFieldByFieldOutput() {
        // Runs of unchanged lines are copied as blocks; the result must equal writing each field on its own.
        let (_, parsed) = parseRequest(request("A: 1", "B:2", "C: 3 ", "D:\t4", "E: 5", "F: ", "G:"))
        var h = parsed.headers
        h.remove("C")
        #expect(h.set("E", "five") == true)
        #expect(h.add("H", "8") == true)
        var expected = ""
        h.forEach { name, value in
            expected += String(decoding: name, as: UTF8.self) + ": " + String(decoding: value, as: UTF8.self) + "\r\n"
        }
        var out: [UInt8] = []
        h.write(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
        #expect(expected == "Host: example.com\r\nA: 1\r\nB: 2\r\nD: 4\r\nE: five\r\nF: \r\nG: \r\nH: 8\r\n")
    }

    @Test func flatBufferCopiesOnWrite() {
        var a = FlatBuffer<UInt8>(ASCII.bytes("abc"))
        let b = a
        a.append(ASCII.bytes("def"))
        #expect(a.withUnsafeBytes { Array($0) } == Array("abcdef".utf8))
        #expect(b.withUnsafeBytes { Array($0) } == Array("abc".utf8))
        var c = a
        c.removeAll()
        c.append(ASCII.bytes("xy"))
        #expect(a.withUnsafeBytes { Array($0) } == Array("abcdef".utf8))
        #expect(c.withUnsafeBytes { Array($0) } == Array("xy".utf8))
        let capacity = c.capacity
        c.removeAll()
        #expect(c.isEmpty && c.capacity == capacity)
        for i in 0..<1000 { c.append(UInt8(i & 0x7F)) }
        #expect(c.count == 1000)
        #expect(c.withUnsafeBytes { $0[999] } == UInt8(999 & 0x7F))
        let line = c.appendLine(nameAt: 1, nameCount: 3, value: ASCII.bytes("v"))
        #expect(c.withUnsafeBytes { Array($0[line...]) } == [1, 2, 3, 0x3A, 0x20, 0x76, 0x0D, 0x0A])
    }

    // MARK: The proxy's per-request work

    /// What the gateway does with every keep-alive GET (the workload the hot-path benchmark measures), repeated
    /// on reused heads: the output must be identical every time.
    @Test func proxyWorkloadIsStableOnReusedHeads() {
        let requestBytes = Array(("GET /api/patients/123 HTTP/1.1\r\nHost: fhir.hospital.example\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/121.0\r\n"
            + "Accept: application/fhir+json\r\nOrigin: https://portal.hospital.example\r\n"
            + "X-Request-ID: 7f3e2a10-9c4b-4d2e-8f1a-0b9c8d7e6f5a\r\n\r\n").utf8)
        let responseBytes = Array(("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 1234\r\n"
            + "Server: backend/1.0\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nETag: \"5f3e-abc123\"\r\n\r\n").utf8)
        let expectedRequest = "GET /api/patients/123 HTTP/1.1\r\nHost: fhir.hospital.example\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/121.0\r\n"
            + "Accept: application/fhir+json\r\nOrigin: https://portal.hospital.example\r\n"
            + "X-Request-ID: req-1\r\nX-Forwarded-For: 192.0.2.10\r\nX-Forwarded-Proto: http\r\n"
            + "X-Forwarded-Host: fhir.hospital.example\r\n\r\n"
        let expectedResponse = "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 1234\r\n"
            + "Server: backend/1.0\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nETag: \"5f3e-abc123\"\r\n"
            + "X-Request-ID: req-1\r\n\r\n"
        var head = HTTPRequestHead()
        var response = HTTPResponseHead()
        var out: [UInt8] = []
        for _ in 0..<50 {
            #expect(requestBytes.withUnsafeBytes { HTTPRequestParser().parse($0, into: &head) }
                == .complete(headLength: requestBytes.count))
            #expect(head.normalizePath() == true)
            var headers = head.headers
            head.headers = HTTPHeaders()
            let host = headers.first("Host")
            headers.removeHopByHop()
            #expect(headers.set("X-Forwarded-For", "192.0.2.10") == true)
            #expect(headers.set("X-Forwarded-Proto", "http") == true)
            if let host { #expect(headers.set("X-Forwarded-Host", host) == true) }
            #expect(headers.set("X-Request-ID", "req-1") == true)
            head.headers = headers
            out.removeAll(keepingCapacity: true)
            head.serialize(into: &out)
            #expect(String(decoding: out, as: UTF8.self) == expectedRequest)

            #expect(responseBytes.withUnsafeBytes {
                HTTPResponseParser().parse($0, requestMethod: .get, into: &response)
            } == .complete(headLength: responseBytes.count))
            response.headers.removeHopByHop()
            #expect(response.headers.set("X-Request-ID", "req-1") == true)
            out.removeAll(keepingCapacity: true)
            response.serialize(into: &out)
            #expect(String(decoding: out, as: UTF8.self) == expectedResponse)
        }
    }
}
