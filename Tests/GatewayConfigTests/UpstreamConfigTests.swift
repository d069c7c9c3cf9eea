import GatewayConfig
import GatewayNetwork
import Testing

@Suite struct UpstreamConfigTests {
    /// A config whose only upstream `app` has the given body (indented under `app:`).
    private func yaml(_ upstream: String) -> String {
        """
        listeners: [{ name: web, address: 127.0.0.1:8080 }]
        upstreams:
          app:
        \(upstream.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        routes: [{ name: r, match: { path_prefix: / }, upstream: app }]

        """
    }

    private func upstream(_ body: String) throws -> UpstreamConfig {
        try ConfigLoader.parse(yaml: yaml(body), path: "gw.yaml").get().upstreams[0]
    }

    @Test func defaults() throws {
        let app = try upstream("targets: [127.0.0.1:9000]")
        #expect(app.targets == [UpstreamTarget(address: SocketAddress("127.0.0.1:9000")!, weight: 1, host: "127.0.0.1")])
        #expect(app.balance == .roundRobin)
        #expect(app.health == UpstreamHealthConfig())
        #expect(app.health.maxFailures == 3 && app.health.backoff == .seconds(10) && app.health.maxBackoff == .seconds(300))
        #expect(app.health.failureStatuses.isEmpty && app.health.check == nil)
        #expect(app.tls == nil)
        let timeouts = try ConfigLoader.parse(yaml: yaml("targets: [127.0.0.1:9000]"), path: "gw.yaml").get().timeouts
        #expect(timeouts.tunnelIdle == .seconds(3600))
    }

    @Test func weightedTargetsMixWithPlainOnes() throws {
        let app = try upstream("""
            targets: ["127.0.0.1:9000", { address: "[::1]:9001", weight: 3 }, { address: 127.0.0.1:9000, weight: 5 }]
            balance: least_connections
            """)
        // The repeated address keeps its first listing.
        #expect(app.targets == [UpstreamTarget(address: SocketAddress("127.0.0.1:9000")!, weight: 1, host: "127.0.0.1"),
                                UpstreamTarget(address: SocketAddress("[::1]:9001")!, weight: 3, host: "::1")])
        #expect(app.balance == .leastConnections)
    }

    @Test func healthAndTLSSettings() throws {
        let fixture = try Fixture(["ca.pem": "", "client.crt": "", "client.key": ""])
        let config = try fixture.load(yaml("""
            targets: [localhost:9443]
            health:
              max_failures: 5
              backoff: 2s
              max_backoff: 1m
              failure_statuses: [502, 503]
              check: { path: /healthz, interval: 2s, timeout: 500ms, expect: 200-299 }
            tls: { verify: false, ca: ca.pem, server_name: api.internal, cert: client.crt, key: client.key }
            """)).get()
        let app = config.upstreams[0]
        #expect(app.targets.allSatisfy { $0.host == "localhost" && $0.weight == 1 })
        #expect(app.health.maxFailures == 5 && app.health.backoff == .seconds(2) && app.health.maxBackoff == .seconds(60))
        #expect(app.health.failureStatuses == [502, 503])
        var check = HealthCheckConfig(path: "/healthz")
        check.interval = .seconds(2)
        check.timeout = .milliseconds(500)
        check.expect = 200...299
        #expect(app.health.check == check)
        let tls = try #require(app.tls)
        #expect(!tls.verify && tls.serverName == "api.internal")
        #expect(tls.caPath == fixture.path("ca.pem") && tls.certPath == fixture.path("client.crt") && tls.keyPath == fixture.path("client.key"))
    }

    @Test func checkRangeAndTimeout() {
        let bad = yaml("""
            targets: [127.0.0.1:9000]
            health: { check: { path: /up, interval: 1s, timeout: 2s, expect: 500-200 } }
            """)
        #expect(errors(bad) == [
            "gw.yaml:5:58: the check timeout must not be longer than its interval",
            "gw.yaml:5:70: expected a status or a range of statuses such as 200-399 (100-599), found '500-200'",
        ])
    }

    @Test func checkDefaultsAndVerifyOnByDefault() throws {
        let app = try upstream("""
            targets: [127.0.0.1:9000]
            health: { check: { path: /up } }
            tls: {}
            """)
        #expect(app.health.check == HealthCheckConfig(path: "/up"))
        #expect(app.health.check.map { ($0.interval, $0.timeout, $0.expect) } ?? (.zero, .zero, 0...0) == (.seconds(5), .seconds(1), 200...399))
        #expect(app.tls?.verify == true && app.tls?.caPath == nil && app.tls?.serverName == nil)
    }

    @Test func badValuesAreReportedWithTheirPosition() {
        let bad = yaml("""
            targets: [{ address: 127.0.0.1:9000, weight: 0 }, { adress: 127.0.0.1:9001 }]
            balance: random
            health: { max_failures: -1, backoff: 10s, max_backoff: 5s, failure_statuses: [404], check: { path: healthz } }
            tls: { ca: /nonexistent/ca.pem, cert: c.crt, server_name: "a b" }
            """)
        #expect(errors(bad) == [
            "gw.yaml:4:50: expected an integer from 1 to 1000, found '0'",
            "gw.yaml:4:57: unknown key 'adress' in target; did you mean 'address'?",
            "gw.yaml:5:14: expected 'round_robin' or 'least_connections', found 'random'",
            "gw.yaml:6:29: expected an integer from 0 to 1000, found '-1'",
            "gw.yaml:6:60: max_backoff must not be shorter than backoff",
            "gw.yaml:6:83: expected an integer from 500 to 599, found '404'",
            "gw.yaml:6:104: a check path must start with '/' and hold no spaces or control characters, found 'healthz'",
            "gw.yaml:7:16: file '/nonexistent/ca.pem' does not exist",
            "gw.yaml:7:43: a client certificate needs both 'cert' and 'key'",
            "gw.yaml:7:63: expected a host name such as backend.internal, found 'a b'",
        ])
    }
}
