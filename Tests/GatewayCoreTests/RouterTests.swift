import GatewayConfig
import GatewayHTTP
import Testing
@testable import GatewayCore

@Suite struct RouterTests {
    private func route(_ name: String, _ prefix: String, hosts: [String] = [], methods: [String] = [],
                       listeners: Set<Int>? = nil) -> Route {
        Route(name: name, pathPrefix: prefix, hosts: hosts, methods: methods, listeners: listeners, upstream: 0, filters: [])
    }

    private func request(_ target: String, method: String = "GET", host: String = "gateway.test") -> HTTPRequestHead {
        var head = HTTPRequestHead()
        head.method = HTTPMethod(method)
        head.setTarget(target)
        head.headers.add("Host", host)
        return head
    }

    @Test func longestPrefixWinsAndTiesGoToTheFirstListed() {
        let router = Router(routes: [route("root", "/"), route("api", "/api/"), route("api-v2", "/api/v2/"),
                                     route("api-again", "/api/")], listenerCount: 1)
        #expect(router.route(listener: 0, request: request("/")).map(\.name) == "root")
        #expect(router.route(listener: 0, request: request("/api/patients")).map(\.name) == "api")
        #expect(router.route(listener: 0, request: request("/api/v2/x")).map(\.name) == "api-v2")
        // Prefixes are raw byte prefixes: /apix is not under /api/.
        #expect(router.route(listener: 0, request: request("/apix")).map(\.name) == "root")
    }

    @Test func hostsAreMatchedCaseInsensitivelyWithoutThePortAndBeatHostlessRoutes() {
        let router = Router(routes: [route("any", "/"), route("portal", "/", hosts: ["portal.example.org"]),
                                     route("tenants", "/", hosts: ["*.tenants.example.org"])], listenerCount: 1)
        #expect(router.route(listener: 0, request: request("/", host: "Portal.Example.org:8443")).map(\.name) == "portal")
        #expect(router.route(listener: 0, request: request("/", host: "a.b.tenants.example.org")).map(\.name) == "tenants")
        // A wildcard needs at least one label before the suffix, and never matches a look-alike.
        #expect(router.route(listener: 0, request: request("/", host: "tenants.example.org")).map(\.name) == "any")
        #expect(router.route(listener: 0, request: request("/", host: "eviltenants.example.org")).map(\.name) == "any")
        #expect(router.route(listener: 0, request: request("/", host: "[::1]:8080")).map(\.name) == "any")
    }

    @Test func methodsAndListenersNarrowTheCandidates() {
        let router = Router(routes: [route("writes", "/", methods: ["POST", "PUT"]), route("admin", "/admin/", listeners: [1])],
                            listenerCount: 2)
        #expect(router.route(listener: 0, request: request("/x", method: "POST")).map(\.name) == "writes")
        #expect(router.route(listener: 0, request: request("/x")) == nil)
        #expect(router.route(listener: 1, request: request("/admin/users")).map(\.name) == "admin")
        #expect(router.route(listener: 0, request: request("/admin/users")) == nil)
    }
}

@Suite struct RequestIDTests {
    @Test func generatedIDsAreFifteenURLSafeCharactersAndUnique() {
        let generator = RequestIDGenerator()
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = generator.make()
            #expect(id.utf8.count == 15)
            #expect(id.utf8.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || ($0 >= 0x30 && $0 <= 0x39)
                || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) })
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }

    @Test func clientIDsAreKeptOnlyWhenSafeForLogs() {
        func acceptable(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { RequestIDGenerator.isAcceptable($0) } }
        #expect(acceptable("3f1c9a7e-1b2c-4d5e-8f90-a1b2c3d4e5f6"))
        #expect(acceptable("trace:abc.def_1"))
        #expect(!acceptable(""))
        #expect(!acceptable(String(repeating: "a", count: 129)))
        #expect(!acceptable("abc def"))
        #expect(!acceptable("<script>"))
        #expect(!acceptable("a\"b"))
    }
}

@Suite struct LocalResponseTests {
    @Test func errorBodiesAreSmallJSONWithTheRequestIDAndNothingElse() {
        let response = LocalResponse.error(502, requestID: "abc-123")
        #expect(response.status == 502)
        #expect(response.headers.first("Content-Type") == "application/json")
        #expect(response.headers.first("Cache-Control") == "no-store")
        #expect(String(decoding: response.body, as: UTF8.self)
                == #"{"error":{"status":502,"message":"Bad Gateway","request_id":"abc-123"}}"# + "\n")
    }

    @Test func messagesAreEscapedForJSON() {
        #expect(jsonEscaped("a\"b\\c\nd\u{1}") == #"a\"b\\c\nd\u0001"#)
    }
}
