// rate_limit through the real binary and a real redis-server: each policy from the issue at its
// boundary, two gateways sharing one limit, Redis killed and paused mid-run under each failure
// policy, body-field keys, the headers, and one Redis round trip per request.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The policies of the apps behind the gateway, one route each.
private func policyGateway(upstream: UpstreamServer, redis: RedisServer?, workers: Int = 2, breaker: String = "") throws -> YAMLGateway {
    try YAMLGateway("""
        workers: \(workers)
        listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
        admin: { address: "127.0.0.1:{PORT2}" }
        upstreams: { app: { targets: ["\(upstream.address)"] } }
        \(redis.map { "redis: { address: \($0.address), timeout: 100ms, key_prefix: \"t:\" \(breaker) }" } ?? "")
        routes:
          - { name: auth, match: { path_prefix: /auth/ }, upstream: app, filters: [auth_limit] }
          - { name: pay, match: { path_prefix: /pay }, upstream: app, filters: [payments] }
          - { name: otp, match: { path_prefix: /otp }, upstream: app, filters: [otp] }
          - { name: burst, match: { path_prefix: /burst }, upstream: app, filters: [burst] }
          - { name: short, match: { path_prefix: /short }, upstream: app, filters: [short] }
          - { name: open, match: { path_prefix: /open }, upstream: app, filters: [open] }
          - { name: closed, match: { path_prefix: /closed }, upstream: app, filters: [closed] }
          - { name: local, match: { path_prefix: /local }, upstream: app, filters: [local] }
          - { name: api, match: { path_prefix: / }, upstream: app, filters: [api] }
        filters:
          auth_limit:
            plugin: rate_limit
            limits:
              - { name: auth, requests: 5, per: 15m, key: [client_ip] }
              - { name: login, requests: 5, per: 1m, match: { path: /auth/login, methods: [POST] } }
              - { name: register, requests: 3, per: 1m, match: { path: /auth/register, methods: [POST] } }
          payments:
            plugin: rate_limit
            headers: both
            limits:
              - { name: payments, requests: 3, per: 1m, match: { path: /pay/charge } }
              - { name: uploads, requests: 10, per: 1m, match: { path: /pay/upload } }
          otp:
            plugin: rate_limit
            limits: [{ name: otp, requests: 5, per: 1h, key: ["body:phone"], match: { methods: [POST] } }]
          burst:
            plugin: rate_limit
            limits: [{ name: burst, requests: 20, per: 1s, burst: 40, algorithm: token_bucket }]
          short:
            plugin: rate_limit
            limits: [{ name: short, requests: 3, per: 2s }]
          open:
            plugin: rate_limit
            on_redis_failure: open
            limits: [{ name: open, requests: 3, per: 1m }]
          closed:
            plugin: rate_limit
            on_redis_failure: closed
            limits: [{ name: closed, requests: 3, per: 1m }]
          local:
            plugin: rate_limit
            on_redis_failure: local
            limits: [{ name: local, requests: 3, per: 1m }]
          api:
            plugin: rate_limit
            limits: [{ name: api, requests: 100, per: 15m }]
        events:
          sinks: [{ type: file, path: "{DIR}/events.jsonl" }]
        """)
}

/// Runs `body` against the policy gateway in front of a fresh upstream and, unless
/// `redis: false`, a fresh redis-server; stops them all afterwards.
private func withPolicyGateway(redis withRedis: Bool = true, workers: Int = 2, breaker: String = "",
                               _ body: (YAMLGateway, RedisServer?) throws -> Void) throws {
    let upstream = try UpstreamServer.start()
    defer { upstream.stop() }
    let redis = withRedis ? try RedisServer() : nil
    defer { redis?.stop() }
    let gateway = try policyGateway(upstream: upstream, redis: redis, workers: workers, breaker: breaker)
    defer { gateway.stop() }
    try body(gateway, redis)
}

private func statuses(_ gateway: YAMLGateway, _ count: Int, _ method: String = "GET", _ target: String,
                      headers: [(String, String)] = [], body: String? = nil) throws -> [Int] {
    try (0..<count).map { _ in
        try oneRequest(port: gateway.port, method, target, headers: headers, body: body.map { Array($0.utf8) }, timeout: 10).status
    }
}

extension GatewayIntegration {
@Suite("Rate limits")
struct RateLimits {
    @Test("each policy allows exactly N, rejects N+1 with 429, and allows again after the window", arguments: [true, false])
    func policiesAtTheBoundary(withRedis: Bool) throws {
        try withPolicyGateway(redis: withRedis) { gateway, _ in
            // Login 5/min inside auth 5/15min: the sixth login is refused by both.
            #expect(try statuses(gateway, 5, "POST", "/auth/login") == [Int](repeating: 404, count: 5), "\(gateway.diagnostics)")
            let sixth = try oneRequest(port: gateway.port, "POST", "/auth/login")
            #expect(sixth.status == 429)
            #expect(sixth.header("Content-Type") == "application/json")
            #expect(String(decoding: sixth.body, as: UTF8.self).contains("rate limit '"))
            #expect(Int(sixth.header("Retry-After") ?? "") ?? 0 >= 59)
            // The auth tier is per client IP over every /auth/ path: register is out of quota too.
            #expect(try oneRequest(port: gateway.port, "POST", "/auth/register").status == 429)

            // Payments 3/min and uploads 10/min are separate buckets of one filter.
            #expect(try statuses(gateway, 4, "POST", "/pay/charge") == [404, 404, 404, 429])
            #expect(try statuses(gateway, 11, "POST", "/pay/upload") == [Int](repeating: 404, count: 10) + [429])

            // General API: 100 per 15 minutes.
            #expect(try statuses(gateway, 100, "GET", "/echo").allSatisfy { $0 == 200 })
            #expect(try oneRequest(port: gateway.port, "GET", "/echo").status == 429)

            // Burst tier: 40 at once, then 20 per second: never more than 40 + 20/s of elapsed time.
            let started = Date()
            let burst = try statuses(gateway, 80, "GET", "/burst")
            let refill = Int(Date().timeIntervalSince(started) * 20) + 1
            let admitted = burst.filter { $0 == 404 }.count
            #expect(burst.prefix(40).allSatisfy { $0 == 404 }, "\(burst)")
            #expect(admitted < 80 && admitted <= 40 + refill, "\(admitted) admitted, refill \(refill): \(burst)")

            // 3 per 2 s: exact at the boundary, then free again once the window has passed.
            #expect(try statuses(gateway, 4, "GET", "/short") == [404, 404, 404, 429])
            Thread.sleep(forTimeInterval: 2.1)
            #expect(try statuses(gateway, 4, "GET", "/short") == [404, 404, 404, 429])
        }
    }

    @Test("the OTP limit counts per phone number read from a JSON or form body, not per client")
    func bodyFieldKeys() throws {
        try withPolicyGateway { gateway, redis in
            let redis = try #require(redis)
            let json = [("Content-Type", "application/json")]
            let body = #"{"phone":"+15550001111","channel":"sms"}"#
            #expect(try statuses(gateway, 6, "POST", "/otp/send", headers: json, body: body) == [404, 404, 404, 404, 404, 429])
            // The same number as a form field is the same bucket; another number is not.
            let form = [("Content-Type", "application/x-www-form-urlencoded")]
            #expect(try oneRequest(port: gateway.port, "POST", "/otp/send", headers: form, body: Array("phone=%2B15550001111".utf8)).status == 429)
            #expect(try oneRequest(port: gateway.port, "POST", "/otp/send", headers: json, body: Array(#"{"phone":"+15550002222"}"#.utf8)).status == 404)
            // The number is never stored in Redis as is.
            let keys = try redis.cli(["KEYS", "*"])
            #expect(!keys.contains("5550001111"), "\(keys)")
            #expect(keys.contains("t:rl:{"), "\(keys)")
        }
    }

    @Test("RateLimit-Policy, RateLimit and legacy headers carry the limit's numbers")
    func headerValues() throws {
        try withPolicyGateway { gateway, _ in
            let first = try oneRequest(port: gateway.port, "POST", "/pay/charge")
            #expect(first.header("RateLimit-Policy") == #""payments";q=3;w=60"#)
            #expect(first.header("RateLimit") == #""payments";r=2;t=60"#)
            #expect(first.header("X-RateLimit-Limit") == "3")
            #expect(first.header("X-RateLimit-Remaining") == "2")
            _ = try statuses(gateway, 2, "POST", "/pay/charge")
            let rejected = try oneRequest(port: gateway.port, "POST", "/pay/charge")
            #expect(rejected.status == 429)
            #expect(rejected.header("RateLimit")?.hasPrefix(#""payments";r=0;t="#) == true)
            let retry = Int(rejected.header("Retry-After") ?? "") ?? 0
            #expect(retry >= 58 && retry <= 60)
            #expect(rejected.header("X-RateLimit-Remaining") == "0")
        }
    }

    @Test("one Redis round trip per request for one filter instance")
    func oneRoundTripPerRequest() throws {
        try withPolicyGateway { gateway, redis in
            let redis = try #require(redis)
            _ = try statuses(gateway, 30, "GET", "/echo")
            _ = try statuses(gateway, 7, "POST", "/auth/login")
            let stats = try redis.cli(["INFO", "commandstats"])
            func calls(_ command: String) -> Int {
                guard let line = stats.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):") }),
                      let field = line.split(separator: ",").first(where: { $0.contains("calls=") }) else { return 0 }
                return Int(field.split(separator: "=").last!) ?? -1
            }
            // auth + login on /auth/login share the client-IP key: one script call, not two.
            #expect(calls("evalsha") == 37, "\(stats)")
            #expect(calls("eval") == 0, "\(stats)")
        }
    }

    @Test("two gateways sharing one Redis enforce one global limit under concurrent clients")
    func sharedLimitAcrossInstances() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let redis = try RedisServer()
        defer { redis.stop() }
        let config = """
            workers: 2
            listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
            upstreams: { app: { targets: ["\(upstream.address)"] } }
            redis: { address: \(redis.address), timeout: 500ms }
            routes: [{ name: all, match: { path_prefix: / }, upstream: app, filters: [global] }]
            filters:
              global: { plugin: rate_limit, limits: [{ name: global, requests: 50, per: 1m, key: ["const:all"] }] }
            """
        let a = try YAMLGateway(config)
        defer { a.stop() }
        let b = try YAMLGateway(config)
        defer { b.stop() }

        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 8) { client in
            for i in 0..<20 {
                let port = (client + i) % 2 == 0 ? a.port : b.port
                let status = (try? oneRequest(port: port, "GET", "/echo", timeout: 10).status) ?? -1
                results.add(status)
            }
        }
        let all = results.values
        #expect(all.count == 160)
        #expect(all.filter { $0 == 200 }.count == 50, "\(all)")
        #expect(all.filter { $0 == 429 }.count == 110, "\(all)")
    }

    @Test("Redis killed mid-run: each failure policy holds, nothing hangs, limiting resumes by itself")
    func redisOutage() throws {
        try withPolicyGateway(workers: 1, breaker: ", circuit_breaker: { failures: 2, open_for: 300ms, max_open_for: 1s }") { gateway, redis in
            let redis = try #require(redis)
            // Up: Redis counts. Two of three used on /closed.
            #expect(try statuses(gateway, 2, "GET", "/closed") == [404, 404], "\(gateway.diagnostics)")

            redis.kill()
            // open: allowed and tagged; closed: 503; local: in-process limit of 3.
            #expect(try statuses(gateway, 5, "GET", "/open").allSatisfy { $0 == 404 })
            let closed = try statuses(gateway, 5, "GET", "/closed")
            #expect(closed.allSatisfy { $0 == 503 }, "\(closed)")
            #expect(try statuses(gateway, 4, "GET", "/local") == [404, 404, 404, 429])
            #expect(eventually(timeout: 10) {
                gateway.fileEvents.contains { eventField($0, "event.action") == "rate-limit-unavailable" }
            }, "\(gateway.diagnostics)")
            let metrics = String(decoding: try oneRequest(port: gateway.port2, "GET", "/metrics").body, as: UTF8.self)
            #expect(metrics.contains("gateway_redis_breakers_open 1"), "\(metrics)")
            #expect(metrics.contains(#"gateway_redis_calls_total{result="unavailable"}"#), "\(metrics)")
            #expect(!metrics.contains("gateway_redis_breaker_openings_total 0"), "\(metrics)")

            // Back, with its data (append-only file): the breaker probes and Redis counts again,
            // the two /closed requests from before the outage included.
            try redis.start()
            #expect(eventually(timeout: 10) { (try? oneRequest(port: gateway.port, "GET", "/closed", timeout: 10).status) == 404 },
                    "limiting did not resume\n\(gateway.diagnostics)")
            #expect(try oneRequest(port: gateway.port, "GET", "/closed").status == 429)
        }
    }

    @Test("Redis frozen (SIGSTOP): requests answer at the deadline under the policy, then recover")
    func redisStalled() throws {
        try withPolicyGateway(workers: 1, breaker: ", circuit_breaker: { failures: 3, open_for: 300ms }") { gateway, redis in
            let redis = try #require(redis)
            #expect(try oneRequest(port: gateway.port, "GET", "/closed").status == 404, "\(gateway.diagnostics)")

            redis.pause()
            // A black-holed server never answers: every request still gets its answer (the 10 s
            // client timeout would throw on a hang), 503 under fail-closed, allowed under fail-open.
            let closed = try statuses(gateway, 6, "GET", "/closed")
            #expect(closed.allSatisfy { $0 == 503 }, "\(closed)")
            #expect(try statuses(gateway, 3, "GET", "/open").allSatisfy { $0 == 404 })

            // Thawed, Redis runs the calls that timed out before it notices their connection is
            // gone: they may count. Either way it judges again (404 or 429), no more 503.
            redis.resume()
            #expect(eventually(timeout: 10) { [404, 429].contains(try? oneRequest(port: gateway.port, "GET", "/closed", timeout: 10).status) },
                    "limiting did not resume\n\(gateway.diagnostics)")
        }
    }

    @Test("without redis: the limits run in process, and start-up says so")
    func inProcessStore() throws {
        try withPolicyGateway(redis: false) { gateway, _ in
            let charges = try statuses(gateway, 4, "POST", "/pay/charge")
            #expect(charges == [404, 404, 404, 429])
            #expect(gateway.diagnostics.contains("in process"), "\(gateway.diagnostics)")
        }
    }
}
}

/// Statuses gathered from concurrent clients.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [Int] = []
    func add(_ status: Int) { lock.withLock { collected.append(status) } }
    var values: [Int] { lock.withLock { collected } }
}
