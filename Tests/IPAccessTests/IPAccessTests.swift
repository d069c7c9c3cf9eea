import Foundation
import GatewayCore
import GatewayTesting
import IPAccess
import Testing

/// Runs one request from `ip` and returns the status a client would get: 200 when the filter
/// lets it through, else the status of its local answer.
private func status(_ tester: FilterTester, from ip: String) throws -> Int {
    let exchange = tester.exchange(clientIP: ip)
    switch try #require(tester.requestHead(exchange)) {
    case .proceed: return 200
    case .respond(let response): return response.status
    case .suspend: Issue.record("ip_access never suspends"); return 0
    }
}

/// A temporary file, removed on deinit.
private final class TemporaryFile {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ip-access-\(UUID().uuidString).txt").path

    init(_ contents: String) throws {
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("ip_access")
struct IPAccessTests {
    @Test("an allow list lets its networks through and denies everyone else")
    func allowList() throws {
        let tester = try FilterTester(IPAccessPlugin.self, settings: #"allow: [10.0.0.0/8, "2001:db8::/32"]"#)
        #expect(try status(tester, from: "10.1.2.3") == 200)
        #expect(try status(tester, from: "2001:db8:1::7") == 200)
        #expect(try status(tester, from: "192.0.2.10") == 403)
        #expect(try status(tester, from: "2001:db9::1") == 403)
        #expect(try status(tester, from: "11.0.0.1") == 403)
    }

    @Test("IPv4 networks match IPv4-mapped IPv6 clients")
    func mappedClients() throws {
        let tester = try FilterTester(IPAccessPlugin.self, settings: "allow: [10.0.0.0/8]")
        #expect(try status(tester, from: "::ffff:10.9.8.7") == 200)
        #expect(try status(tester, from: "::ffff:192.0.2.1") == 403)
        let denying = try FilterTester(IPAccessPlugin.self, settings: "deny: [192.0.2.0/24]")
        #expect(try status(denying, from: "::ffff:192.0.2.1") == 403)
    }

    @Test("a deny list denies only its networks")
    func denyList() throws {
        let tester = try FilterTester(IPAccessPlugin.self, settings: "deny: [192.0.2.0/24, '2001:db8::/32']")
        #expect(try status(tester, from: "192.0.2.99") == 403)
        #expect(try status(tester, from: "2001:db8::1") == 403)
        #expect(try status(tester, from: "198.51.100.1") == 200)
        #expect(try status(tester, from: "::1") == 200)
    }

    @Test("deny wins over allow")
    func denyWins() throws {
        let tester = try FilterTester(IPAccessPlugin.self, settings: "{ allow: [10.0.0.0/8], deny: [10.66.0.0/16] }")
        #expect(try status(tester, from: "10.1.1.1") == 200)
        #expect(try status(tester, from: "10.66.0.1") == 403)
    }

    @Test("an empty allow list denies everyone (fails closed)")
    func emptyAllowList() throws {
        let tester = try FilterTester(IPAccessPlugin.self, settings: "allow: []")
        #expect(try status(tester, from: "10.1.1.1") == 403)
        #expect(try status(tester, from: "::1") == 403)
    }

    @Test("a denial is a 403 JSON error with an ip-denied event naming the address and the list")
    func denialEvent() throws {
        let tester = try FilterTester(IPAccessPlugin.self, settings: "{ allow: [10.0.0.0/8], deny: [10.66.0.0/16] }")
        let outside = tester.exchange(clientIP: "192.0.2.10")
        guard case .respond(let response)? = tester.requestHead(outside) else {
            Issue.record("not denied")
            return
        }
        #expect(response.status == 403)
        #expect(response.headers.first("Content-Type") == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self).contains(outside.requestID))
        let event = try #require(outside.events.first?.event)
        #expect(outside.events.count == 1)
        #expect(event.name == "ip-denied")
        #expect(event.action == .blocked)
        #expect(event.matched == "192.0.2.10")
        #expect(event.details["list"] == "allow")
        #expect(event.details["client_ip_source"] == "peer")
        #expect(event.filter == "test")

        let denied = tester.exchange(clientIP: "10.66.1.1")
        _ = tester.requestHead(denied)
        #expect(denied.events.first?.event.details["list"] == "deny")
        #expect(denied.events.first?.event.ruleID == "ip_access.deny")

        let allowed = tester.exchange(clientIP: "10.1.1.1")
        _ = tester.requestHead(allowed)
        #expect(allowed.events.isEmpty)
    }

    @Test("a list of thousands of networks")
    func largeList() throws {
        // 4096 host routes spread over 10.0.0.0/8 and 4096 IPv6 /64s, in one allow list.
        var lines: [String] = []
        for i in 0..<4096 {
            lines.append("10.\(i / 64).\(i % 64 * 4).1")
            lines.append("2001:db8:\(String(i, radix: 16))::/64")
        }
        let file = try TemporaryFile(lines.joined(separator: "\n"))
        let tester = try FilterTester(IPAccessPlugin.self, settings: "allow_file: \(file.path)")
        #expect(try status(tester, from: "10.0.0.1") == 200)
        #expect(try status(tester, from: "10.63.252.1") == 200)
        #expect(try status(tester, from: "10.0.0.2") == 403)
        #expect(try status(tester, from: "10.64.0.1") == 403)
        #expect(try status(tester, from: "2001:db8:fff::1") == 200)
        #expect(try status(tester, from: "2001:db8:1000::1") == 403)
    }

    @Test("allow_file and deny_file: comments, blank lines, CRLF, and the inline lists added")
    func files() throws {
        let allow = try TemporaryFile("# office networks\n\n10.0.0.0/8   # HQ\r\n  2001:db8::/32\n\n")
        let deny = try TemporaryFile("10.66.0.0/16\n")
        let tester = try FilterTester(IPAccessPlugin.self, settings: """
            allow: [192.0.2.0/24]
            allow_file: \(allow.path)
            deny_file: \(deny.path)
            """)
        #expect(try status(tester, from: "10.1.2.3") == 200)
        #expect(try status(tester, from: "2001:db8::5") == 200)
        #expect(try status(tester, from: "192.0.2.7") == 200)
        #expect(try status(tester, from: "10.66.3.3") == 403)
        #expect(try status(tester, from: "198.51.100.1") == 403)
    }

    // MARK: Config errors

    @Test("a bad entry in a file is reported at its file, line and column")
    func fileEntryError() throws {
        let file = try TemporaryFile("10.0.0.0/8\n# comment\n  10.0.0.300/8  # typo\n")
        let errors = FilterTester.diagnose(IPAccessPlugin.self, settings: "allow_file: \(file.path)").map(\.description)
        #expect(errors == ["\(file.path):3:3: invalid network '10.0.0.300/8': '10.0.0.300' is not an IP address; expected a network such as 10.0.0.0/8 or 2001:db8::/32"])
    }

    @Test("settings errors name the line and column in the config")
    func settingsErrors() {
        func errors(_ settings: String) -> [String] {
            FilterTester.diagnose(IPAccessPlugin.self, settings: settings).map(\.description)
        }
        #expect(errors("{}") == ["settings.yaml:1:1: filter 'test' needs at least one of allow, deny, allow_file or deny_file"])
        #expect(errors("alow: [10.0.0.0/8]") == ["settings.yaml:1:1: unknown key 'alow' in filter 'test'; did you mean 'allow'?"])
        #expect(errors("allow: [10.0.0.0/33]")
                == ["settings.yaml:1:9: invalid network '10.0.0.0/33': the prefix length must be a number from 0 to 32"])
        #expect(errors("deny: 10.0.0.0/8") == ["settings.yaml:1:7: expected a list, found '10.0.0.0/8'"])
        #expect(errors("allow_file: /nonexistent/office.txt") == ["settings.yaml:1:13: file '/nonexistent/office.txt' does not exist"])
    }
}
