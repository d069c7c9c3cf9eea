import Testing
import GatewayConfig
import GatewayNetwork

@Suite("events.alerts, events.deny_list and routes' auth_failure_statuses")
struct AlertsConfigTests {
    static let base = """
        listeners:
          - name: web
            address: 127.0.0.1:8080
        upstreams:
          app:
            targets: [127.0.0.1:18080]
        routes:
          - name: auth
            match: { path_prefix: /auth/ }
            upstream: app
            auth_failure_statuses: [401, 403]
          - name: default
            match: { path_prefix: / }
            upstream: app

        """

    func load(_ yaml: String) -> Result<GatewayConfiguration, ConfigDiagnostics> { parseConfig(Self.base, yaml) }

    func errors(_ yaml: String) -> [String] { configErrors(Self.base, yaml) }

    @Test("the documented example loads, with defaults for what it leaves out")
    func example() throws {
        let configuration = try load("""
            redis: { address: 127.0.0.1:6379, key_prefix: "gw1:" }
            events:
              sinks: [{ type: file, path: /var/log/gateway/events.jsonl }]
              alerts:
                - name: brute-force-login
                  match: { event: auth-failure, route: auth }
                  threshold: 10
                  window: 5m
                  group_by: source.ip
                  severity: high
                  deny_for: 15m
                - { name: blocked-burst, match: { action: blocked }, threshold: 50, window: 1m }
                - name: protocol-noise
                  match: { rule: "protocol.*", event: [protocol-violation, upstream-failure], min_severity: medium, kind: event, filter: f }
                  threshold: 100
                  window: 10s
                  group_by: [gateway.route, rule.id]
                  severity: low
                  max_keys: 500

            """).get()
        #expect(configuration.routes.map(\.authFailureStatuses) == [[401, 403], []])
        let events = try #require(configuration.events)
        #expect(events.alerts.map(\.name) == ["brute-force-login", "blocked-burst", "protocol-noise"])
        let brute = events.alerts[0]
        #expect(brute.match.event == ["auth-failure"] && brute.match.route == ["auth"] && brute.match.action.isEmpty)
        #expect(brute.threshold == 10 && brute.window == .seconds(300) && brute.groupBy == [.sourceIP])
        #expect(brute.severity == .high && brute.denyFor == .seconds(900) && brute.maxKeys == 10_000)
        let burst = events.alerts[1]
        #expect(burst.match.action == ["blocked"] && burst.groupBy == [.sourceIP] && burst.severity == .high && burst.denyFor == nil)
        let noise = events.alerts[2]
        #expect(noise.match.rule == ["protocol.*"] && noise.match.event == ["protocol-violation", "upstream-failure"])
        #expect(noise.match.minSeverity == .medium && noise.match.kind == ["event"] && noise.match.filter == ["f"])
        #expect(noise.groupBy == [.route, .ruleID] && noise.severity == .low && noise.maxKeys == 500)
        // The deny list is shared through the top-level redis: by default.
        #expect(events.denyList.key == "gateway:deny" && events.denyList.syncInterval == .seconds(1))
        #expect(events.denyList.maxEntries == 100_000 && events.denyList.redis?.keyPrefix == "gw1:")
    }

    @Test("deny_list settings; share: false keeps the list local")
    func denyList() throws {
        let events = try #require(try load("""
            redis: { address: 127.0.0.1:6379 }
            events:
              sinks: [{ type: file, path: /tmp/e.jsonl }]
              deny_list: { key: "edge:deny", sync_interval: 2s, max_entries: 5000, share: false }

            """).get().events)
        #expect(events.alerts.isEmpty)
        #expect(events.denyList.key == "edge:deny" && events.denyList.syncInterval == .seconds(2) && events.denyList.maxEntries == 5000)
        #expect(events.denyList.redis == nil)
        let local = try #require(try load("events: { sinks: [{ type: file, path: /tmp/e.jsonl }] }\n").get().events)
        #expect(local.denyList.redis == nil, "no redis: section, nothing to share through")
    }

    @Test("mistakes are reported at their line and column")
    func mistakes() {
        let found = errors("""
            events:
              sinks: [{ type: file, path: /tmp/e.jsonl }]
              alerts:
                - { name: "bad name", match: { event: x }, threshold: 0, window: 5 }
                - { name: a, match: { evnt: x, action: denied, route: [autth] }, threshold: 3, window: 1m, severity: huge }
                - { name: a, match: {}, threshold: 3, window: 1m, group_by: [gateway.route], deny_for: 15m }
                - { name: b, match: { rule: "*", event: [] }, threshold: 100000, window: 1m, group_by: source.port }
                - { name: c, threshold: 5 }
              deny_list: { sync_interval: 10ms, key: "" }

            """)
        let expected = [
            "/etc/gateway/gw.yaml:18:15: invalid alert name 'bad name'; use 1 to 32 letters, digits, '-' and '_'",
            "/etc/gateway/gw.yaml:18:59: expected an integer from 1 to 100000, found '0'",
            "/etc/gateway/gw.yaml:18:70: duration '5' needs a unit: ms, s, m, h or d",
            "/etc/gateway/gw.yaml:19:27: unknown key 'evnt' in alert match; did you mean 'event'?",
            "/etc/gateway/gw.yaml:19:44: expected 'blocked', 'flagged' or 'allowed', found 'denied'",
            "/etc/gateway/gw.yaml:19:60: unknown route 'autth'; did you mean 'auth'?",
            "/etc/gateway/gw.yaml:19:106: expected 'low', 'medium', 'high' or 'critical', found 'huge'",
            "/etc/gateway/gw.yaml:20:15: duplicate alert name 'a'; first used at line 19",
            "/etc/gateway/gw.yaml:20:92: deny_for puts the client address on the deny list: group_by must include source.ip",
            "/etc/gateway/gw.yaml:21:33: expected a value, or a prefix ending in '*', to match in 'rule', found '*'",
            "/etc/gateway/gw.yaml:21:45: expected at least one value for 'event'",
            "/etc/gateway/gw.yaml:21:62: max_keys (10000) x threshold (100000) must be at most 10000000, the timestamps a rule may keep; lower max_keys",
            "/etc/gateway/gw.yaml:21:92: expected 'source.ip', 'gateway.route', 'rule.id', 'event.action', 'gateway.filter' or 'url.path', found 'source.port'",
            "/etc/gateway/gw.yaml:22:7: missing required key 'match' in alert",
            "/etc/gateway/gw.yaml:22:7: missing required key 'window' in alert",
            "/etc/gateway/gw.yaml:23:31: sync_interval must be at least 100ms, found '10ms'",
            "/etc/gateway/gw.yaml:23:42: expected a Redis key, found an empty string",
        ]
        #expect(found == expected, "\(found.joined(separator: "\n"))")
    }

    @Test("auth_failure_statuses takes status codes 400-599")
    func authFailureStatuses() {
        let yaml = """
            listeners: [{ name: web, address: "127.0.0.1:8080" }]
            upstreams: { app: { targets: ["127.0.0.1:9000"] } }
            routes:
              - { name: a, match: { path_prefix: / }, upstream: app, auth_failure_statuses: [200, 401, "x"] }
            """
        guard case .failure(let diagnostics) = ConfigLoader.parse(yaml: yaml, path: "/g.yaml") else {
            Issue.record("accepted")
            return
        }
        #expect(diagnostics.errors.map(\.description) == [
            "/g.yaml:4:82: expected an integer from 400 to 599, found '200'",
            "/g.yaml:4:92: expected an integer, found 'x'",
        ])
    }
}
