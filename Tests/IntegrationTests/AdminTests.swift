// The admin listener: /health, /ready, /metrics, /config, POST /reload, and its loopback rule.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

private func adminConfig(_ targets: [String], extra: String = "") -> String {
    """
    workers: 2
    listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
    admin: { address: "127.0.0.1:{PORT2}" }
    redis: { address: "127.0.0.1:6379", password: "s3cr3t-redis-pw" }
    upstreams:
      app: { targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))] }
    routes:
      - { name: main, match: { path_prefix: /echo }, upstream: app }
      - { name: guarded, match: { path_prefix: /guarded }, upstream: app, filters: [deny_all] }
    filters:
      deny_all: { plugin: ip_access, deny: [0.0.0.0/0, "::/0"] }
    \(extra)
    """
}

extension GatewayIntegration {
@Suite("Admin endpoints: health, readiness, metrics, config")
struct AdminTests {

    @Test("/health is alive; /ready is 200 with the upstream up and 503 naming it when it is down")
    func healthAndReady() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let dead = try ReservedPort()
        let gateway = try YAMLGateway(adminConfig([upstream.address]), waitForPort2: true)
        defer { gateway.stop() }
        let health = try adminGet(port: gateway.port2, "/health")
        #expect(health.status == 200 && health.jsonObject?["status"] as? String == "alive", "\(health)")
        let ready = try adminGet(port: gateway.port2, "/ready")
        #expect(ready.status == 200, "\(ready)")
        #expect((ready.jsonObject?["upstreams"] as? [String: Bool])?["app"] == true)

        // Only a dead target: not ready, and the body says which upstream.
        #expect(try gateway.reload(adminConfig([dead.address])), "\(gateway.diagnostics)")
        let down = try adminGet(port: gateway.port2, "/ready")
        #expect(down.status == 503, "\(down)")
        #expect((down.jsonObject?["upstreams"] as? [String: Bool])?["app"] == false)
        // One reachable target of two is enough.
        #expect(try gateway.reload(adminConfig([dead.address, upstream.address])))
        #expect(try adminGet(port: gateway.port2, "/ready").status == 200)
        // The admin endpoints are not on the public listener.
        #expect(try oneRequest(port: gateway.port, "GET", "/health").status == 404)
    }

    @Test("with active checks, /ready and gateway_upstream_target_up follow the health state, not TCP reachability")
    func readyFromHealthChecks() throws {
        let sick = try UpstreamServer.start(name: "sick", arguments: ["--health-status", "503"])
        defer { sick.stop() }
        let gateway = try YAMLGateway("""
            workers: 2
            listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
            admin: { address: "127.0.0.1:{PORT2}" }
            upstreams:
              app: { targets: ["\(sick.address)"], health: { check: { path: /healthz, interval: 1s } } }
            routes: [{ name: main, match: { path_prefix: / }, upstream: app }]
            """, waitForPort2: true)
        defer { gateway.stop() }
        let up = #"gateway_upstream_target_up{upstream="app",target="\#(sick.address)"}"#
        func state() throws -> (ready: HTTPResponse, up: Double?) {
            (try adminGet(port: gateway.port2, "/ready"), parseMetrics(try adminGet(port: gateway.port2, "/metrics").bodyText)[up])
        }
        // The target accepts connections but fails its checks in both workers: not ready.
        var last = try state()
        #expect(eventually(timeout: 10) { last = (try? state()) ?? last; return last.ready.status == 503 && last.up == 0 },
                "\(last)\n\(gateway.diagnostics)")
        #expect((last.ready.jsonObject?["upstreams"] as? [String: Bool])?["app"] == false)

        #expect(try oneRequest(port: sick.port, "GET", "/healthz/set?status=200").status == 200)
        #expect(eventually(timeout: 10) { last = (try? state()) ?? last; return last.ready.status == 200 && last.up == 1 },
                "\(last)\n\(gateway.diagnostics)")
        #expect((last.ready.jsonObject?["upstreams"] as? [String: Bool])?["app"] == true)
    }

    @Test("/metrics counts known traffic by route, status class and verdict, plus reloads and the config hash")
    func metrics() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try YAMLGateway(adminConfig([upstream.address]), waitForPort2: true)
        defer { gateway.stop() }
        for _ in 0..<3 { #expect(try oneRequest(port: gateway.port, "GET", "/echo").status == 200) }
        #expect(try oneRequest(port: gateway.port, "GET", "/guarded").status == 403)
        #expect(try oneRequest(port: gateway.port, "GET", "/nowhere").status == 404)
        #expect(try gateway.reload(adminConfig([upstream.address]) + "\nbogus: 1\n") == false)

        let r = try adminGet(port: gateway.port2, "/metrics")
        #expect(r.status == 200)
        #expect(r.header("Content-Type")?.hasPrefix("text/plain") == true)
        let m = parseMetrics(r.bodyText)
        #expect(m[#"gateway_requests_total{route="main",status_class="2xx",verdict="passed"}"#] == 3, "\(r.bodyText)")
        #expect(m[#"gateway_requests_total{route="guarded",status_class="4xx",verdict="blocked"}"#] == 1, "\(r.bodyText)")
        #expect(m[#"gateway_requests_total{route="",status_class="4xx",verdict="rejected"}"#] == 1, "\(r.bodyText)")
        #expect(m[#"gateway_request_duration_seconds_count"#] == 5)
        #expect(m[#"gateway_request_duration_seconds_bucket{le="+Inf"}"#] == 5)
        #expect(m[#"gateway_config_reloads_total{result="failed"}"#] == 1)
        #expect(m[#"gateway_config_reloads_total{result="ok"}"#] == 0)
        #expect(m[#"gateway_upstream_connect_errors_total{upstream="app"}"#] == 0)
        let hash = try adminGet(port: gateway.port2, "/config").jsonObject?["config_hash"] as? String
        #expect(hash != nil && m[#"gateway_config_info{hash="\#(hash!)"}"#] == 1, "\(r.bodyText)")
        #expect(m["gateway_downstream_connections"] != nil && m["gateway_draining"] == 0)
    }

    @Test("/metrics counts upstream connect errors and retries")
    func upstreamErrors() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let dead = try ReservedPort()
        let gateway = try YAMLGateway(adminConfig([dead.address, upstream.address]), waitForPort2: true)
        defer { gateway.stop() }
        // Round-robin: some requests hit the dead target first and are retried on the live one.
        for _ in 0..<4 { #expect(try oneRequest(port: gateway.port, "GET", "/echo").status == 200) }
        let m = parseMetrics(try adminGet(port: gateway.port2, "/metrics").bodyText)
        let errors = m[#"gateway_upstream_connect_errors_total{upstream="app"}"#] ?? 0
        let retries = m[#"gateway_upstream_retries_total{upstream="app"}"#] ?? 0
        #expect(errors >= 1 && retries >= 1 && errors == retries, "errors \(errors), retries \(retries)")
    }

    @Test("/config shows the running config with secrets redacted; POST /reload applies a new one")
    func configAndReload() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try YAMLGateway(adminConfig([upstream.address]), waitForPort2: true)
        defer { gateway.stop() }
        let r = try adminGet(port: gateway.port2, "/config")
        #expect(r.status == 200)
        #expect(!r.bodyText.contains("s3cr3t-redis-pw"), "\(r.bodyText)")
        let config = r.jsonObject?["config"] as? [String: Any]
        #expect((config?["redis"] as? [String: Any])?["password"] as? String == "[redacted]")
        #expect((config?["redis"] as? [String: Any])?["address"] as? String == "127.0.0.1:6379")
        #expect(r.jsonObject?["path"] as? String == gateway.configPath)

        _ = try gateway.dir.write("gateway.yaml", gateway.fill(adminConfig([upstream.address]).replacingOccurrences(of: "/echo", with: "/slow")))
        let applied = try adminGet(port: gateway.port2, "/reload", method: "POST")
        #expect(applied.status == 200 && applied.jsonObject?["result"] as? String == "applied", "\(applied)")
        #expect(try oneRequest(port: gateway.port, "GET", "/slow?ms=1").status == 200)

        _ = try gateway.dir.write("gateway.yaml", "listeners: [\n")
        let rejected = try adminGet(port: gateway.port2, "/reload", method: "POST")
        #expect(rejected.status == 422, "\(rejected)")
        #expect((rejected.jsonObject?["errors"] as? [String])?.first?.hasPrefix(gateway.configPath + ":") == true, "\(rejected)")
        #expect(try oneRequest(port: gateway.port, "GET", "/slow?ms=1").status == 200)
        #expect(try adminGet(port: gateway.port2, "/reload").status == 405)
    }

    @Test("gateway check refuses a non-loopback admin address unless allow_remote is set")
    func loopbackOnly() throws {
        let dir = try TemporaryDirectory(prefix: "gw-admin-check")
        defer { dir.remove() }
        let base = GatewayConfig(targets: ["127.0.0.1:9"]).render(httpPort: 18_080, httpsPort: nil, adminPort: nil)
        let remote = try dir.write("remote.yaml", base + "admin: { address: 0.0.0.0:18081 }\n")
        let refused = try runGatewayCommand(["check", "--config", remote])
        let line = base.split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(refused.status == .exited(1))
        #expect(refused.stderr.contains("\(remote):\(line):19: the admin address 0.0.0.0:18081 is not a loopback address"), "\(refused.stderr)")
        let allowed = try dir.write("allowed.yaml", base + "admin: { address: 0.0.0.0:18081, allow_remote: true }\n")
        #expect(try runGatewayCommand(["check", "--config", allowed]).status == .exited(0))
    }
}
}
