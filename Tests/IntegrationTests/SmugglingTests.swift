// Request smuggling defences: each ambiguous or malformed request is answered 400, the
// connection is closed, and nothing reaches the upstream.

import Foundation
import Testing

struct SmugglingCase: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    /// Statuses that count as a correct refusal (400, and 413 where a huge number is read as
    /// "too large").
    var accepted: Set<Int> = [400]
    /// The defect is in the head: the upstream must not even see a connection. For defects
    /// in a chunked body a streaming gateway may already have sent the head upstream; then
    /// the request must still never be completed there.
    var inHead = true

    var testDescription: String { name }

    static let smuggled = "GET /echo?smuggled=1 HTTP/1.1\r\nHost: gateway.test\r\n\r\n"

    static func head(_ name: String, _ text: String, accepted: Set<Int> = [400]) -> SmugglingCase {
        SmugglingCase(name: name, bytes: Array(text.utf8), accepted: accepted)
    }

    static func raw(_ name: String, _ bytes: [UInt8]) -> SmugglingCase {
        SmugglingCase(name: name, bytes: bytes)
    }

    static func body(_ name: String, _ chunkedBody: String, accepted: Set<Int> = [400]) -> SmugglingCase {
        let text = "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody
        return SmugglingCase(name: name, bytes: Array(text.utf8), accepted: accepted, inHead: false)
    }

    static func post(_ headers: String, body: String = "0\r\n\r\n" + smuggled) -> String {
        "POST /echo HTTP/1.1\r\nHost: gateway.test\r\n" + headers + "\r\n" + body
    }

    static let all: [SmugglingCase] = {
        let s = smuggled
        var cases: [SmugglingCase] = [
            // Content-Length and Transfer-Encoding together
            head("CL and TE", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
            head("TE and CL", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")),
            // several or malformed Content-Length
            head("two different Content-Lengths", post("Content-Length: 5\r\nContent-Length: 6\r\n", body: "helloX" + s)),
            head("two equal Content-Lengths", post("Content-Length: 5\r\nContent-Length: 5\r\n", body: "hello" + s)),
            head("Content-Length list", post("Content-Length: 5, 5\r\n", body: "hello" + s)),
            head("Content-Length +5", post("Content-Length: +5\r\n", body: "hello" + s)),
            head("Content-Length -1", post("Content-Length: -1\r\n", body: s)),
            head("Content-Length 5x", post("Content-Length: 5x\r\n", body: "hello" + s)),
            head("Content-Length 0x5", post("Content-Length: 0x5\r\n", body: "hello" + s)),
            head("Content-Length 5.0", post("Content-Length: 5.0\r\n", body: "hello" + s)),
            head("Content-Length with inner space", post("Content-Length: 1 5\r\n", body: "hello" + s)),
            head("empty Content-Length", post("Content-Length: \r\n", body: s)),
            head("Content-Length overflow", post("Content-Length: 99999999999999999999999999\r\n", body: s),
                 accepted: [400, 413]),
            // Transfer-Encoding other than chunked
            head("TE identity", post("Transfer-Encoding: identity\r\n")),
            head("TE gzip", post("Transfer-Encoding: gzip\r\n")),
            head("TE chunked, gzip", post("Transfer-Encoding: chunked, gzip\r\n")),
            head("TE xchunked", post("Transfer-Encoding: xchunked\r\n")),
            head("TE chunked twice (one line)", post("Transfer-Encoding: chunked, chunked\r\n")),
            head("TE chunked twice (two lines)", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
            // obs-fold
            head("obs-fold in a header", post("X-Folded: a\r\n b\r\nContent-Length: 0\r\n", body: s)),
            head("obs-fold of Transfer-Encoding", post("Transfer-Encoding:\r\n chunked\r\n")),
            head("obs-fold with a tab", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-A: 1\r\n\tX-B: 2\r\n\r\n"),
            // whitespace before the colon
            head("space before colon", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Test : 1\r\n\r\n"),
            head("space before colon in Content-Length", post("Content-Length : 5\r\n", body: "hello" + s)),
            head("space before colon in Transfer-Encoding", post("Transfer-Encoding : chunked\r\n")),
            head("tab before colon", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Test\t: 1\r\n\r\n"),
            // CR, LF, NUL in names or values
            head("CR inside a value", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Test: a\rb\r\n\r\n"),
            head("LF inside a header line", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Test: a\nX-Other: b\r\n\r\n"),
            raw("NUL inside a value", Array("GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Test: a".utf8) + [0] + Array("b\r\n\r\n".utf8)),
            raw("NUL inside a name", Array("GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Te".utf8) + [0] + Array("st: 1\r\n\r\n".utf8)),
            head("CR inside a name", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Te\rst: 1\r\n\r\n"),
            // invalid tokens
            head("space inside a header name", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX Test: 1\r\n\r\n"),
            head("separator in a header name", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX(Test): 1\r\n\r\n"),
            head("empty header name", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\n: 1\r\n\r\n"),
            raw("non-ASCII header name", Array("GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-T".utf8) + [0xC3, 0xA9] + Array("st: 1\r\n\r\n".utf8)),
            head("separator in the method", "GE(T /echo HTTP/1.1\r\nHost: gateway.test\r\n\r\n"),
            // missing Host on HTTP/1.1
            head("HTTP/1.1 without Host", "GET /echo HTTP/1.1\r\nX-Test: 1\r\n\r\n"),
        ]
        // bad chunk sizes (the defect is in the body)
        cases += [
            body("chunk size not hex", "zz\r\nhello\r\n0\r\n\r\n"),
            body("negative chunk size", "-5\r\nhello\r\n0\r\n\r\n"),
            body("chunk size with 0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"),
            body("empty chunk size", "\r\nhello\r\n0\r\n\r\n"),
            body("chunk size overflow", "fffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n", accepted: [400, 413]),
            body("chunk data longer than its size", "5\r\nhelloXX\r\n0\r\n\r\n" + s),
            body("chunk size with a space inside", "5 5\r\nhello\r\n0\r\n\r\n"),
        ]
        return cases
    }()
}

extension GatewayIntegration {
@Suite("Smuggling defences: 400, close, never forwarded")
struct Smuggling {

    @Test("refused with 400 and the connection closed, nothing reaches the upstream", arguments: SmugglingCase.all)
    func refused(_ c: SmugglingCase) throws {
        try withProxy { s in
            let before = try s.upstream.stats()
            let conn = try RawConnection(port: s.port)
            conn.sendUntilAnswered(c.bytes)
            let r = try conn.readFinalResponse(timeout: 20)
            #expect(c.accepted.contains(r.status), "got \(r.status) for \(c.name):\n\(r)\n\(s.diagnostics)")
            #expect(r.body.count <= 4096 && r.jsonObject != nil, "local error body is not small JSON: \(printable(r.body))")
            let close = conn.waitForClose(timeout: 10)
            #expect(close == .closed, "after the \(r.status) the gateway must close; got \(close)")

            // a valid request afterwards proves the counters move, and gives the gateway time
            // to (wrongly) forward anything it kept
            let ok = try oneRequest(port: s.port, "GET", "/echo?valid-after")
            #expect(ok.status == 200, "the gateway no longer serves valid requests: \(ok)\n\(s.diagnostics)")
            let after = try s.upstream.stats()
            #expect(after.requests - before.requests == 1, "the refused request was served upstream: \(after)")
            #expect(!after.recent.contains { $0.count == 2 && $0[1].contains("smuggled") }, "smuggled request reached the upstream: \(after)")
            #expect(after.bad_requests == before.bad_requests, "the gateway forwarded something malformed: \(after)")
            if c.inHead {
                #expect(after.connections - before.connections <= 1, "the refused request reached the upstream: \(after)")
                #expect(after.aborted == before.aborted, "the refused request reached the upstream: \(after)")
            }
        }
    }

    @Test("the same gateway accepts the valid neighbours of those requests")
    func validNeighbours() throws {
        try withProxy { s in
            let valid: [(String, String)] = [
                ("Content-Length body", "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 5\r\n\r\nhello"),
                ("chunked body", "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                ("uppercase hex chunk size", "POST /echo HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\nA\r\nhellohello\r\n0\r\n\r\n"),
                ("tab and spaces around a value", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Test: \t a b \t\r\n\r\n"),
                ("token characters in a name", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-!#$%&'*+.^_`|~: 1\r\n\r\n"),
                ("obs-text in a value", "GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Test: caf\u{00E9}\r\n\r\n"),
            ]
            for (name, text) in valid {
                let c = try RawConnection(port: s.port)
                try c.send(text)
                let resp = try c.readFinalResponse(timeout: 20)
                #expect(resp.status == 200, "\(name) was refused: \(resp)\n\(s.diagnostics)")
            }
        }
    }
}
}
