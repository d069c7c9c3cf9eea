// Threshold alerts through the real binary: upstream 401s on an auth route become
// `auth-failure` events, a brute-force run fires the `events.alerts` rule once, and the
// temporary deny list it fills makes `ip_access` answer 403, also on a second gateway that
// shares the list through a real redis-server.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif


/// A gateway in front of `upstream` whose `/status/401` route counts as an auth route, with
/// every route behind an `ip_access` filter that only honours the temporary deny list.
private func alertingGateway(upstream: UpstreamServer, redis: RedisServer? = nil, workers: Int = 2) throws -> YAMLGateway {
    try YAMLGateway("""
            workers: \(workers)
            listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
            upstreams: { app: { targets: ["\(upstream.address)"] } }
            routes:
              - name: auth
                match: { path_prefix: /status/401 }
                upstream: app
                auth_failure_statuses: [401]
                filters: [guard]
              - name: default
                match: { path_prefix: / }
                upstream: app
                filters: [guard]
            filters:
              guard: { plugin: ip_access }
            \(redis.map { "redis: { address: \($0.address) }" } ?? "")
            events:
              sinks: [{ type: file, path: "{DIR}/events.jsonl" }]
              deny_list: { sync_interval: 200ms }
              alerts:
                - name: brute-force-login
                  match: { event: auth-failure, route: auth }
                  threshold: 10
                  window: 5m
                  deny_for: 15m

            """)
}


/// Twelve failed logins: POSTs with a password in the body, which the upstream answers 401.
private func bruteForce(_ gateway: YAMLGateway, prefix: String = "bf") throws -> [Int] {
    try (0..<12).map { attempt in
        let body = Array(#"{"user":"alice","password":"hunter\#(attempt)"}"#.utf8)
        return try oneRequest(port: gateway.port, "POST", "/status/401",
                              headers: [("Content-Type", "application/json"), ("X-Request-ID", "\(prefix)-\(attempt)")], body: body).status
    }
}

extension GatewayIntegration {
@Suite("Threshold alerts and the temporary deny list")
struct ThresholdAlerts {
    @Test("an alert fires once for a brute-force run, and the next request from that IP gets 403 from ip_access")
    func bruteForceRun() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try alertingGateway(upstream: upstream)
        defer { gateway.stop() }

        #expect(try oneRequest(port: gateway.port, "GET", "/echo").status == 200, "\(gateway.diagnostics)")
        let statuses = try bruteForce(gateway)
        #expect(statuses.prefix(10).allSatisfy { $0 == 401 }, "\(statuses)")
        #expect(statuses.allSatisfy { $0 == 401 || $0 == 403 }, "\(statuses)")

        var alerts: [[String: Any]] = []
        #expect(eventually(timeout: 10) {
            alerts = gateway.fileEvents.filter { eventField($0, "event.kind") == "alert" && eventField($0, "rule.id") == "alert.brute-force-login" }
            return !alerts.isEmpty
        }, "no alert\n\(gateway.diagnostics)")

        // Denied from now on, on any route, whichever worker takes the connection.
        for attempt in 0..<4 {
            let denied = try oneRequest(port: gateway.port, "GET", "/echo", headers: [("X-Request-ID", "after-alert-\(attempt)")])
            #expect(denied.status == 403, "\(denied)")
            #expect(denied.bodyText.contains("after-alert-\(attempt)"), "the JSON error names the request id: \(denied.bodyText)")
        }
        var denial: [String: Any]?
        #expect(eventually(timeout: 10) {
            denial = gateway.fileEvents.first { eventField($0, "trace.id") == "after-alert-3" }
            return denial != nil
        }, "\(gateway.diagnostics)")
        let event = try #require(denial)
        #expect(eventField(event, "event.action") == "ip-denied" && eventField(event, "rule.id") == "ip_access.temporary")
        #expect(eventField(event, "event.reason") == "temporary deny list (alert brute-force-login)")
        #expect(eventField(event, "gateway.alert") == "brute-force-login" && eventField(event, "source.ip") == "127.0.0.1")

        // Exactly one alert, with the count, times and deny.
        let events = gateway.fileEvents
        alerts = events.filter { eventField($0, "event.kind") == "alert" && eventField($0, "rule.id") == "alert.brute-force-login" }
        #expect(alerts.count == 1, "\(alerts)")
        let alert = try #require(alerts.first)
        #expect(eventField(alert, "event.action") == "brute-force-login")
        #expect(eventField(alert, "event.severity") == "73")
        #expect(eventField(alert, "source.ip") == "127.0.0.1")
        #expect(eventField(alert, "gateway.count") == "10" && eventField(alert, "gateway.threshold") == "10")
        #expect(eventField(alert, "gateway.window") == "5m" && eventField(alert, "gateway.deny_for") == "15m")
        #expect(eventField(alert, "gateway.first_seen") != nil && eventField(alert, "gateway.last_seen") != nil)
        #expect(eventField(alert, "gateway.deny_until") != nil)

        // The upstream 401s became auth-failure events: low severity, outcome failure, no body.
        let failures = events.filter { eventField($0, "event.action") == "auth-failure" }
        #expect(failures.count == statuses.filter { $0 == 401 }.count, "\(failures.count) auth-failure events for \(statuses)")
        let failure = try #require(failures.first)
        #expect(eventField(failure, "event.kind") == "event" && eventField(failure, "event.outcome") == "failure")
        #expect(eventField(failure, "rule.id") == "auth.failure" && eventField(failure, "gateway.route") == "auth")
        #expect(eventField(failure, "gateway.action") == "allowed" && eventField(failure, "event.severity") == "21")
        #expect(eventField(failure, "gateway.status") == "401" && eventField(failure, "trace.id") == "bf-0")
        #expect(!readTextFile(gateway.eventsPath).contains("hunter"), "request bodies never reach an event")
        #expect(!events.contains { eventField($0, "event.action") == "auth-failure" && eventField($0, "gateway.route") == "default" })
    }

    @Test("a second gateway sharing Redis denies the address too")
    func sharedThroughRedis() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let first = try alertingGateway(upstream: upstream, redis: redis, workers: 1)
        defer { first.stop() }
        let second = try alertingGateway(upstream: upstream, redis: redis, workers: 1)
        defer { second.stop() }

        #expect(try oneRequest(port: second.port, "GET", "/echo").status == 200, "\(second.diagnostics)")
        _ = try bruteForce(first)
        var status = 0
        #expect(eventually(timeout: 10) {
            status = (try? oneRequest(port: second.port, "GET", "/echo", headers: [("X-Request-ID", "on-second")]).status) ?? 0
            return status == 403
        }, "the second gateway still answers \(status)\n\(second.diagnostics)")
        #expect(eventually(timeout: 10) {
            second.fileEvents.contains { eventField($0, "trace.id") == "on-second" && eventField($0, "rule.id") == "ip_access.temporary" }
        })
        #expect(!second.fileEvents.contains { eventField($0, "rule.id") == "alert.brute-force-login" }, "the alert was raised by the first gateway only")
        #expect(eventually(timeout: 10) { first.fileEvents.filter { eventField($0, "rule.id") == "alert.brute-force-login" }.count == 1 })
        let members = try redis.cli(["ZRANGE", "gateway:deny", "0", "-1"])
        #expect(members.split(separator: "\n") == ["127.0.0.1|brute-force-login"], "\(members)")
    }
}
}
