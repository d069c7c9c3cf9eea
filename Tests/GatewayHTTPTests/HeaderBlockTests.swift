import GatewayHTTP
import Testing

@Suite struct HeaderBlockTests {
    @Test func setContentsOfReplacesSameNamedFieldsAndAppendsTheRest() {
        var block = HTTPHeaders()
        block.add("X-Frame-Options", "DENY")
        block.add("Content-Security-Policy", "default-src 'none'")
        block.add("X-Removed", "gone")
        block.remove("X-Removed")  // removed fields of the block are not applied

        var response = HTTPHeaders()
        response.add("Content-Type", "application/json")
        response.add("x-frame-options", "SAMEORIGIN")
        response.add("X-Frame-Options", "ALLOW-FROM x")
        response.add("Content-Length", "2")
        response.set(contentsOf: block)

        #expect(response.all("X-Frame-Options") == ["DENY"])
        #expect(response.first("Content-Security-Policy") == "default-src 'none'")
        #expect(!response.contains("X-Removed"))
        #expect(response.count == 4)
        var bytes: [UInt8] = []
        response.write(into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "Content-Type: application/json\r\nContent-Length: 2\r\n"
                + "X-Frame-Options: DENY\r\nContent-Security-Policy: default-src 'none'\r\n")

        // Applying it again (a second response on a reused head) gives the same fields.
        response.set(contentsOf: block)
        #expect(response.count == 4)
        #expect(response.all("Content-Security-Policy") == ["default-src 'none'"])
    }

    @Test func emptyBlockChangesNothing() {
        var response = HTTPHeaders()
        response.add("A", "1")
        response.set(contentsOf: HTTPHeaders())
        #expect(response.count == 1 && response.first("A") == "1")
    }
}
