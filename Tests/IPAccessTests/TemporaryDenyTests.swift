import Foundation
import GatewayCore
import GatewayNetwork
import GatewayTesting
import IPAccess
import Testing

/// A gateway config whose alert rule puts addresses on the temporary deny list.
private let denyingConfig = """
    listeners: [{ name: web, address: "127.0.0.1:8080" }]
    upstreams: { app: { targets: ["127.0.0.1:9000"] } }
    routes: [{ name: test, match: { path_prefix: / }, upstream: app }]
    events:
      sinks: [{ type: file, path: /tmp/gw-ip-access-test-events.jsonl }]
      alerts:
        - { name: brute-force-login, match: { event: auth-failure }, threshold: 10, window: 5m, deny_for: 15m }
    """

/// Addresses from TEST-NET-2 that only these tests put on the process-wide list.
private func address(_ n: Int) -> IPAddress { IPAddress("198.51.100.\(200 + n)")! }

private func verdict(_ tester: FilterTester, _ exchange: Exchange) -> Int {
    switch tester.requestHead(exchange) {
    case .proceed?: 200
    case .respond(let response)?: response.status
    default: 0
    }
}

@Suite("ip_access: the temporary deny list alerts fill", .serialized)
struct TemporaryDenyTests {
    @Test("an address on the list gets 403 and an ip-denied event naming the alert, until the entry expires")
    func denied() throws {
        let list = TemporaryDenyList.shared
        let ip = address(1)
        defer { list.remove(ip) }
        // On by default when an alert rule has deny_for; works without allow or deny lists.
        let tester = try FilterTester(IPAccessPlugin.self, settings: "{}", configuration: denyingConfig)
        #expect(verdict(tester, tester.exchange(clientIP: ip.description)) == 200)

        list.add(ip, until: EventRecord.now() + 60_000, alert: "brute-force-login")
        let exchange = tester.exchange(clientIP: ip.description)
        #expect(verdict(tester, exchange) == 403)
        let event = try #require(exchange.events.first?.event)
        #expect(event.name == "ip-denied" && event.ruleID == "ip_access.temporary")
        #expect(event.reason == "temporary deny list (alert brute-force-login)")
        #expect(event.details["list"] == "temporary" && event.details["alert"] == "brute-force-login")
        #expect(event.details["deny_until"]?.hasSuffix("Z") == true)
        #expect(verdict(tester, tester.exchange(clientIP: "::ffff:\(ip)")) == 403, "IPv4-mapped form")
        #expect(verdict(tester, tester.exchange(clientIP: address(2).description)) == 200, "others pass")

        list.remove(ip)
        list.add(ip, until: EventRecord.now() + 100, alert: "brute-force-login")
        #expect(eventually { verdict(tester, tester.exchange(clientIP: ip.description)) == 200 }, "expired")
    }

    @Test("the temporary list is checked after deny and before allow; temporary_deny: false ignores it")
    func order() throws {
        let list = TemporaryDenyList.shared
        let ip = address(3)
        defer { list.remove(ip) }
        list.add(ip, until: EventRecord.now() + 60_000, alert: "a")
        let allowing = try FilterTester(IPAccessPlugin.self, settings: "allow: [198.51.100.0/24]", configuration: denyingConfig)
        let exchange = allowing.exchange(clientIP: ip.description)
        #expect(verdict(allowing, exchange) == 403, "an allowed network is still denied temporarily")
        #expect(exchange.events.first?.event.details["list"] == "temporary")

        let denying = try FilterTester(IPAccessPlugin.self, settings: "deny: [198.51.100.0/24]", configuration: denyingConfig)
        let both = denying.exchange(clientIP: ip.description)
        #expect(verdict(denying, both) == 403 && both.events.first?.event.details["list"] == "deny")

        let optedOut = try FilterTester(IPAccessPlugin.self, settings: "{ allow: [198.51.100.0/24], temporary_deny: false }",
                                        configuration: denyingConfig)
        #expect(verdict(optedOut, optedOut.exchange(clientIP: ip.description)) == 200)

        // Without a deny_for rule in the config, the list is not consulted.
        let plain = try FilterTester(IPAccessPlugin.self, settings: "allow: [198.51.100.0/24]")
        #expect(verdict(plain, plain.exchange(clientIP: ip.description)) == 200)
    }

    @Test("settings: temporary_deny needs a deny_for rule; a filter needs something to check")
    func settings() {
        func errors(_ settings: String, configuration: String? = nil) -> [String] {
            let diagnostics = ConfigDiagnosticsProbe.diagnose(settings, configuration: configuration)
            return diagnostics
        }
        #expect(errors("temporary_deny: true") == [
            "settings.yaml:1:17: temporary_deny needs an alert rule with deny_for under events.alerts; without one the list stays empty",
        ])
        #expect(errors("temporary_deny: maybe") == ["settings.yaml:1:17: expected true or false, found 'maybe'"])
        #expect(errors("temporary_deny: false", configuration: denyingConfig) == [
            "settings.yaml:1:1: filter 'test' needs at least one of allow, deny, allow_file or deny_file when temporary_deny is false",
        ])
        #expect(errors("{}", configuration: denyingConfig).isEmpty)
        #expect(errors("{}") == ["settings.yaml:1:1: filter 'test' needs at least one of allow, deny, allow_file or deny_file"])
    }
}

/// `FilterTester.diagnose` with a gateway configuration.
private enum ConfigDiagnosticsProbe {
    static func diagnose(_ settings: String, configuration: String?) -> [String] {
        do {
            _ = try FilterTester(IPAccessPlugin.self, settings: settings, configuration: configuration)
            return []
        } catch {
            return "\(error)".split(separator: "\n").map(String.init)
        }
    }
}

/// Polls `condition` for up to `timeout` seconds.
private func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
