// The worker's async Redis client against a real redis-server: pipelining, scripts, the
// per-call deadline on a frozen server, the circuit breaker, and recovery on its own.

import Foundation
import GatewayConfig
@testable import GatewayCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A client on a loop driven by the test thread.
private final class ClientHarness {
    let loop = EventLoop()
    let client: RedisClient
    let logLines = LogLines()

    init(_ redis: RedisServer, timeout: String = "100ms", breaker: String = "{ failures: 2, open_for: 200ms, max_open_for: 400ms }") throws {
        let diagnostics = ConfigDiagnostics()
        guard let config = ConfigLoader.parse(yaml: """
            listeners: [{ name: web, address: "127.0.0.1:8080" }]
            upstreams: { app: { targets: ["127.0.0.1:9000"] } }
            routes: [{ name: r, match: { path_prefix: / }, upstream: app }]
            redis: { address: \(redis.address), timeout: \(timeout), circuit_breaker: \(breaker) }
            """, path: "gateway.yaml", diagnostics: diagnostics)?.redis else { throw diagnostics }
        let lines = logLines
        client = RedisClient(loop: loop, config: config, log: { lines.add($0) })
    }

    /// Sends `commands` in one loop iteration and runs the loop until every reply (or failure) is in.
    func run(_ commands: [[String]], within seconds: Double = 10) -> [Result<RedisReply, RedisCallFailure>] {
        var results: [Result<RedisReply, RedisCallFailure>?] = Array(repeating: nil, count: commands.count)
        for (index, command) in commands.enumerated() {
            client.call(command.map { Array($0.utf8) }) { results[index] = $0 }
        }
        let deadline = Date().addingTimeInterval(seconds)
        let tick = LoopTimer(loop: loop) {}
        while results.contains(where: { $0 == nil }), Date() < deadline {
            tick.schedule(after: .milliseconds(10))
            loop.runOnce()
        }
        return results.map { $0 ?? .failure(.unavailable) }
    }

    func one(_ command: String...) -> Result<RedisReply, RedisCallFailure> { run([command])[0] }
}

private final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

extension GatewayIntegration {
@Suite("Redis client")
struct RedisClientTests {
    @Test("commands sent in one iteration share one connection and come back in order")
    func pipelined() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let harness = try ClientHarness(redis)
        let results = harness.run((0..<50).map { _ in ["INCR", "counter"] })
        #expect(results.map { try? $0.get() } == (1...50).map { RedisReply.integer($0) })
        #expect(harness.client.stats.connects == 1)
        #expect(try redis.cli(["INFO", "clients"]).contains("connected_clients:2"))  // the client and redis-cli
    }

    @Test("scripts run by SHA, loaded ahead on each connection, and survive SCRIPT FLUSH")
    func scripts() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let harness = try ClientHarness(redis)
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        func evaluate() -> RedisReply? {
            var reply: RedisReply?
            harness.client.evaluate(script, keys: [Array("k".utf8)], arguments: [Array("5".utf8)]) { reply = try? $0.get() }
            let tick = LoopTimer(loop: harness.loop) {}
            while reply == nil { tick.schedule(after: .milliseconds(10)); harness.loop.runOnce() }
            return reply
        }
        #expect(evaluate() == .integer(5))
        _ = try redis.cli(["SCRIPT", "FLUSH"])
        #expect(evaluate() == .integer(10))  // NOSCRIPT answered by EVAL
        #expect(try redis.cli(["GET", "k"]).hasPrefix("10"))
    }

    @Test("a frozen server: calls fail at their deadline, the breaker then fails them at once, and it recovers")
    func frozenServer() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let harness = try ClientHarness(redis)
        #expect(harness.one("PING") == .success(.status("PONG")))

        redis.pause()
        #expect(harness.one("PING") == .failure(.timeout))
        #expect(harness.one("PING") == .failure(.timeout))
        #expect(harness.client.isBreakerOpen)
        #expect(harness.one("PING") == .failure(.unavailable))
        #expect(harness.client.stats.timeouts == 2)
        // Probes keep timing out while it is frozen: each reopens the breaker.
        Thread.sleep(forTimeInterval: 0.25)
        #expect(harness.one("PING") == .failure(.timeout))
        #expect(harness.client.isBreakerOpen)

        redis.resume()
        var recovered = false
        for _ in 0..<40 where !recovered {
            Thread.sleep(forTimeInterval: 0.05)
            recovered = harness.one("PING") == .success(.status("PONG"))
        }
        #expect(recovered, "\(harness.client.stats) \(harness.logLines.all)")
        #expect(!harness.client.isBreakerOpen)
    }

    @Test("a killed server: calls fail fast, and the client reconnects once it is back")
    func killedServer() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let harness = try ClientHarness(redis)
        #expect(harness.one("SET", "x", "1") == .success(.status("OK")))
        redis.kill()
        #expect(harness.one("GET", "x") == .failure(.unavailable))
        try redis.start()
        var value: RedisReply?
        for _ in 0..<40 where value == nil {
            Thread.sleep(forTimeInterval: 0.05)
            value = try? harness.one("GET", "x").get()
        }
        #expect(value == .string(Array("1".utf8)), "\(harness.client.stats) \(harness.logLines.all)")
        #expect(harness.client.stats.connects >= 2)
    }
}
}
