import Testing
@testable import GatewayHTTP

@Suite("normalizePath")
struct NormalizePathTests {
    private func normalize(_ target: String) -> String? {
        var head = HTTPRequestHead()
        head.setTarget(target)
        return head.normalizePath() ? head.target : nil
    }

    @Test(arguments: [
        ("/a/./b/../c", "/a/c"),
        ("/a/%2E%2E/b", "/b"),
        ("/a/%2e./b", "/b"),
        ("/a/.%2e/b", "/b"),
        ("/a/%2e/b", "/a/b"),
        ("/", "/"),
        ("/.", "/"),
        ("/a/.", "/a/"),
        ("/a/..", "/"),
        ("/a/b/..", "/a/"),
        ("/a/b/../", "/a/"),
        ("/a/./", "/a/"),
        ("/./a", "/a"),
        ("/a//b", "/a//b"),
        ("/a//..", "/a/"),
        ("/a/.../b", "/a/.../b"),
        ("/a/..b/c", "/a/..b/c"),
        ("/a/b.%2e", "/a/b.."),
        ("/a%2fb/../c", "/c"),
        ("/p%c3%a9", "/p%C3%A9"),
        ("/x%2Fy", "/x%2Fy"),
        ("/a/b/c/../../d", "/a/d"),
        ("/a/../b?x=/../y&z=%2e%2e", "/b?x=/../y&z=%2e%2e"),
        ("/a/./b?", "/a/b?"),
        ("/a?b/../c", "/a?b/../c"),
        ("*", "*"),
    ])
    func normalises(input: String, expected: String) {
        #expect(normalize(input) == expected)
    }

    @Test(arguments: ["/..", "/../x", "/%2e%2e/x", "/%2E./x", "/a/../../b", "/a/b/../../..", "/./..", "/../?q"])
    func climbingAboveTheRootFails(input: String) {
        #expect(normalize(input) == nil)
    }

    @Test(arguments: ["/%zz", "/a%2", "/a%", "/%g0/x", "/ok/%%41", "/a?%zz" /* query is not checked */])
    func badEscapes(input: String) {
        if input.contains("?") {
            #expect(normalize(input) == input)
        } else {
            #expect(normalize(input) == nil)
        }
    }

    @Test func nonOriginFormTargetsAreRejected() {
        #expect(normalize("a/b") == nil)
        #expect(normalize("**") == nil)
    }

    @Test func parsedTargetIsNormalisedInPlace() {
        var (_, head) = parseRequest(request(requestLine: "GET /static/../%2e/admin/./panel?x=1 HTTP/1.1"))
        let capacity = head.targetBytes.capacity
        #expect(head.normalizePath() == true)
        #expect(head.target == "/admin/panel?x=1")
        #expect(head.path == "/admin/panel")
        #expect(head.query == "x=1")
        #expect(head.targetBytes.capacity == capacity)
        var out: [UInt8] = []
        head.serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self).hasPrefix("GET /admin/panel?x=1 HTTP/1.1\r\n"))
    }
}
