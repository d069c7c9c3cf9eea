import Testing
@testable import GatewayCore
@testable import GatewayConfig
import GatewayNetwork

/// An event as the pipeline raises it, at `second` (plus `millisecond`) after a fixed origin.
private func event(_ name: String = "auth-failure", ip: String? = "203.0.113.9", route: String? = "auth",
                   action: SecurityEvent.Action = .allowed, rule: String = "auth.failure", severity: SecurityEvent.Severity = .low,
                   kind: String = "event", filter: String? = nil, at second: Int64, millisecond: Int64 = 0,
                   trace: String? = nil) -> EventRecord {
    EventRecord(
        event: SecurityEvent(name: name, action: action, severity: severity, ruleID: rule, ruleName: "r", kind: kind, filter: filter),
        timestampMilliseconds: origin + second * 1000 + millisecond, requestID: trace ?? "t\(second)",
        sourceIP: ip.flatMap(IPAddress.init), method: "POST", path: "/auth/login", route: route)
}

private let origin: Int64 = 1_772_368_496_000

private func rule(_ name: String = "brute-force", match: AlertMatch = AlertMatch(event: ["auth-failure"]), threshold: Int = 3,
                  window: Duration = .seconds(60), groupBy: [AlertField] = [.sourceIP], maxKeys: Int = 100,
                  denyFor: Duration? = nil) -> AlertRuleConfig {
    var rule = AlertRuleConfig(name: name, match: match, threshold: threshold, window: window)
    rule.groupBy = groupBy
    rule.maxKeys = maxKeys
    rule.denyFor = denyFor
    return rule
}

/// Feeds `records` in order, returning the alerts each one fired.
private func run(_ engine: AlertEngine, _ records: [EventRecord]) -> [[FiredAlert]] {
    records.map { engine.evaluate($0) }
}

@Suite("Alert rules: threshold over a sliding window, once per window, bounded keys")
struct AlertEngineTests {
    @Test("crossing the threshold fires exactly once, with the count and the first and last times")
    func firesOnce() {
        let engine = AlertEngine(rules: [rule(threshold: 3)])
        let fired = run(engine, (0..<12).map { event(at: Int64($0)) })
        #expect(fired.map(\.count) == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], "the third event within a minute fires, the rest is quiet")
        let alert = fired[2][0]
        #expect(alert.count == 3 && alert.firstSeen == origin && alert.lastSeen == origin + 2000)
        #expect(alert.sourceIP == IPAddress("203.0.113.9") && alert.lastTraceID == "t2")
        #expect(alert.group.map(\.value) == ["203.0.113.9"])
    }

    @Test("an attack that goes on fires once per window, not once per event")
    func oncePerWindow() {
        let engine = AlertEngine(rules: [rule(threshold: 3, window: .seconds(60))])
        // One event every 5 s for 5 minutes.
        let times = stride(from: Int64(0), to: 300, by: 5)
        let fired = zip(times, run(engine, times.map { event(at: $0) })).filter { !$0.1.isEmpty }.map(\.0)
        #expect(fired == [10, 70, 130, 190, 250], "quiet for a window after each alert")
    }

    @Test("events spread wider than the window never fire; the window slides")
    func windowExpiry() {
        let engine = AlertEngine(rules: [rule(threshold: 3, window: .seconds(60))])
        #expect(run(engine, [event(at: 0), event(at: 30), event(at: 60), event(at: 95)]).allSatisfy { $0.isEmpty },
                "at 60 the event of 0 is out (exactly one window old); at 95 the one of 30 is")
        // 60, 95 and 100 are within 60 s of each other.
        let fired = engine.evaluate(event(at: 100))
        #expect(fired.count == 1 && fired.first?.firstSeen == origin + 60_000 && fired.first?.lastSeen == origin + 100_000)
    }

    @Test("keys are independent: each address has its own count and fires on its own")
    func independentKeys() {
        let engine = AlertEngine(rules: [rule(threshold: 3)])
        var records: [EventRecord] = []
        for second in 0..<3 {
            records.append(event(ip: "198.51.100.1", at: Int64(second)))
            records.append(event(ip: "198.51.100.2", at: Int64(second), millisecond: 500))
        }
        let fired = run(engine, records).flatMap { $0 }
        #expect(fired.map { $0.sourceIP?.description } == ["198.51.100.1", "198.51.100.2"])
        #expect(engine.trackedKeys == [2])
        // Two events from a third address do not fire, whatever the others did.
        #expect(run(engine, [event(ip: "198.51.100.3", at: 3), event(ip: "198.51.100.3", at: 4)]).allSatisfy { $0.isEmpty })
    }

    @Test("IPv4-mapped addresses count as their IPv4 form")
    func mappedAddresses() {
        let engine = AlertEngine(rules: [rule(threshold: 2)])
        let fired = run(engine, [event(ip: "192.0.2.7", at: 0), event(ip: "::ffff:192.0.2.7", at: 1)])
        #expect(fired[1].first?.sourceIP == IPAddress("192.0.2.7"))
    }

    @Test("at most max_keys keys: the least recently seen key is forgotten first")
    func evictionBound() {
        let engine = AlertEngine(rules: [rule(threshold: 2, maxKeys: 3)])
        // a, b, c tracked; a seen again (most recent); d evicts b, the least recently seen.
        _ = run(engine, [event(ip: "192.0.2.1", at: 0), event(ip: "192.0.2.2", at: 1), event(ip: "192.0.2.3", at: 2)])
        #expect(engine.trackedKeys == [3])
        _ = engine.evaluate(event(ip: "192.0.2.4", at: 3, millisecond: 0))
        #expect(engine.trackedKeys == [3] && engine.evictions == [1])
        // 192.0.2.1 was evicted (least recent): its second event starts over and does not fire.
        #expect(engine.evaluate(event(ip: "192.0.2.1", at: 4)).isEmpty)
        // 192.0.2.3 kept its first event: the second fires.
        #expect(engine.evaluate(event(ip: "192.0.2.3", at: 5)).count == 1)

        // A flood of distinct addresses never grows the table beyond the bound.
        for n in 0..<5000 { _ = engine.evaluate(event(ip: "10.0.\(n / 256).\(n % 256)", at: 10)) }
        #expect(engine.trackedKeys == [3])
    }

    @Test("expire(now:) forgets keys with nothing in the last window")
    func expireKeys() {
        let engine = AlertEngine(rules: [rule(threshold: 5, window: .seconds(60))])
        _ = run(engine, [event(ip: "192.0.2.1", at: 0), event(ip: "192.0.2.2", at: 30)])
        engine.expire(now: origin + 59_000)
        #expect(engine.trackedKeys == [2])
        engine.expire(now: origin + 60_000)
        #expect(engine.trackedKeys == [1])
        engine.expire(now: origin + 90_000)
        #expect(engine.trackedKeys == [0])
    }

    @Test("match: every condition must hold; lists are any-of; a trailing * is a prefix")
    func matching() {
        let match = AlertMatch(event: ["ip-denied", "cors-origin-denied"], action: ["blocked"], rule: ["ip_access.*"], route: ["portal"])
        let engine = AlertEngine(rules: [rule(match: match, threshold: 1)])
        func fires(_ record: EventRecord) -> Bool { !engine.evaluate(record).isEmpty }
        #expect(fires(event("ip-denied", ip: "192.0.2.1", route: "portal", action: .blocked, rule: "ip_access.deny", at: 0)))
        #expect(!fires(event("ip-denied", ip: "192.0.2.2", route: "api", action: .blocked, rule: "ip_access.deny", at: 0)), "route")
        #expect(!fires(event("ip-denied", ip: "192.0.2.3", route: "portal", action: .flagged, rule: "ip_access.deny", at: 0)), "action")
        #expect(!fires(event("ip-denied", ip: "192.0.2.4", route: "portal", action: .blocked, rule: "cors.origin", at: 0)), "rule prefix")
        #expect(!fires(event("csp-violation", ip: "192.0.2.5", route: "portal", action: .blocked, rule: "ip_access.x", at: 0)), "event")
        #expect(!fires(event("ip-denied", ip: nil, route: "portal", action: .blocked, rule: "ip_access.deny", at: 0)),
                "no source.ip: nothing to group by")

        let severe = AlertEngine(rules: [rule(match: AlertMatch(kind: ["alert"], minSeverity: .medium), threshold: 1)])
        #expect(severe.evaluate(event("x", severity: .low, kind: "alert", at: 0)).isEmpty)
        #expect(severe.evaluate(event("x", ip: "192.0.2.9", severity: .medium, kind: "event", at: 0)).isEmpty)
        #expect(severe.evaluate(event("x", ip: "192.0.2.9", severity: .high, kind: "alert", at: 0)).count == 1)
    }

    @Test("group_by other fields, or nothing: one counter for all")
    func grouping() {
        let byRoute = AlertEngine(rules: [rule(match: AlertMatch(), threshold: 2, groupBy: [.route])])
        #expect(byRoute.evaluate(event(ip: "192.0.2.1", route: "a", at: 0)).isEmpty)
        #expect(byRoute.evaluate(event(ip: "192.0.2.2", route: "b", at: 0)).isEmpty)
        let fired = byRoute.evaluate(event(ip: "192.0.2.3", route: "a", at: 1))
        #expect(fired.first?.group.map(\.value) == ["a"] && fired.first?.sourceIP == nil)

        let global = AlertEngine(rules: [rule(match: AlertMatch(), threshold: 3, groupBy: [])])
        let results = run(global, [event(ip: "192.0.2.1", at: 0), event(ip: nil, at: 0), event(ip: "192.0.2.3", at: 0)])
        #expect(results.map(\.count) == [0, 0, 1])
        #expect(results[2][0].record(denyUntil: nil).event.reason?.contains("all sources") == true)
    }

    @Test("events slightly out of order (several workers) still count; time never goes back per key")
    func outOfOrder() {
        let engine = AlertEngine(rules: [rule(threshold: 3)])
        let fired = run(engine, [event(at: 10), event(at: 9), event(at: 11)])
        #expect(fired.map(\.count) == [0, 0, 1])
    }

    @Test("several rules see the same event independently")
    func severalRules() {
        let engine = AlertEngine(rules: [rule("a", threshold: 2), rule("b", match: AlertMatch(route: ["auth"]), threshold: 1)])
        #expect(engine.evaluate(event(at: 0)).map(\.rule.name) == ["b"])
        #expect(engine.evaluate(event(at: 1)).map(\.rule.name) == ["a"], "b is quiet for its window")
    }

    @Test("the alert event: kind alert, rule.id alert.<name>, details, schema-valid")
    func alertRecord() throws {
        let engine = AlertEngine(rules: [rule("brute-force-login", threshold: 2, window: .seconds(300), denyFor: .seconds(900))])
        _ = engine.evaluate(event(at: 0))
        let alert = try #require(engine.evaluate(event(at: 4, trace: "last-one")).first)
        let record = alert.record(denyUntil: origin + 904_000, now: origin + 4_000)
        let json = try JSON.parse(EventSerializer(observerName: "gw").json(record))
        #expect(json["event.kind"]?.string == "alert")
        #expect(json["event.action"]?.string == "brute-force-login")
        #expect(json["event.severity"]?.int == 73)
        #expect(json["rule.id"]?.string == "alert.brute-force-login")
        #expect(json["source.ip"]?.string == "203.0.113.9")
        #expect(json["gateway.action"]?.string == "flagged")
        #expect(json["gateway.count"]?.string == "2" && json["gateway.threshold"]?.string == "2")
        #expect(json["gateway.window"]?.string == "5m" && json["gateway.deny_for"]?.string == "15m")
        #expect(json["gateway.first_seen"]?.string == "2026-03-01T12:34:56.000Z")
        #expect(json["gateway.last_seen"]?.string == "2026-03-01T12:35:00.000Z")
        #expect(json["gateway.deny_until"]?.string == "2026-03-01T12:50:00.000Z")
        #expect(json["gateway.last_trace_id"]?.string == "last-one")
        #expect(json["gateway.group_by"]?.string == "source.ip")
        #expect(json["trace"] == nil, "an alert is about many requests")
        #expect(json["event.reason"]?.string?.contains("203.0.113.9 denied for 15m") == true)
        #expect(try SchemaChecker.eventSchema().violations(of: json).isEmpty)
    }

    @Test("a rule tracking many keys with a large threshold stays within max_keys x threshold timestamps")
    func memoryBound() {
        let engine = AlertEngine(rules: [rule(threshold: 1000, maxKeys: 50)])
        for n in 0..<20_000 { _ = engine.evaluate(event(ip: "10.1.\(n % 200 / 256).\(n % 200)", at: Int64(n / 1000))) }
        #expect(engine.trackedKeys == [50])
    }
}
