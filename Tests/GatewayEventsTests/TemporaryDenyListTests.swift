import Foundation
import Testing
@testable import GatewayCore
@testable import GatewayConfig
import GatewayNetwork

private let ip1 = IPAddress("203.0.113.9")!
private let ip2 = IPAddress("2001:db8::7")!

private func denyListConfig(_ server: RedisServer, prefix: String = "", maxEntries: Int = 100_000) -> DenyListConfig {
    denyListConfig(server.redisAddress, prefix: prefix, maxEntries: maxEntries)
}

private func denyListConfig(_ address: RedisAddress, prefix: String = "", maxEntries: Int = 100_000) -> DenyListConfig {
    var redis = RedisConfig(address: address, location: ConfigLocation(file: "t", line: 1, column: 1))
    redis.keyPrefix = prefix
    var config = DenyListConfig()
    config.redis = redis
    config.maxEntries = maxEntries
    config.syncInterval = .milliseconds(100)
    return config
}

private func sync(_ list: TemporaryDenyList, _ config: DenyListConfig) -> DenyListSync {
    DenyListSync(config: config, redis: config.redis!, list: list, log: { _ in })
}

@Suite("Temporary deny list: expiry, bounds, Redis sharing")
struct TemporaryDenyListTests {
    @Test("an entry denies until it expires; the later expiry wins; mapped addresses match")
    func expiry() {
        let list = TemporaryDenyList()
        #expect(list.lookup(ip1, now: 0) == nil && list.count == 0)
        #expect(list.add(ip1, until: 10_000, alert: "brute"))
        #expect(list.lookup(ip1, now: 9_999)?.alert == "brute")
        #expect(list.lookup(IPAddress("::ffff:203.0.113.9")!, now: 9_999) != nil)
        #expect(list.lookup(ip1, now: 10_000) == nil, "expired at its end")
        #expect(list.lookup(ip2, now: 0) == nil)
        #expect(!list.add(ip1, until: 5_000, alert: "other"), "an earlier end does not shorten a deny")
        #expect(list.add(ip1, until: 20_000, alert: "other"))
        #expect(list.lookup(ip1, now: 15_000)?.alert == "other")
        list.add(ip2, until: 12_000, alert: "burst")
        #expect(list.prune(now: 12_000) == 1 && list.count == 1)
        list.remove(ip1)
        #expect(list.count == 0 && list.lookup(ip1, now: 0) == nil)
    }

    @Test("a full list makes room by dropping the entry that ends first")
    func bound() {
        let list = TemporaryDenyList()
        list.maxEntries = 3
        for n in 1...3 { list.add(IPAddress("192.0.2.\(n)")!, until: Int64(n) * 1000, alert: "a") }
        #expect(list.add(IPAddress("192.0.2.9")!, until: 9000, alert: "a"))
        #expect(list.count == 3 && list.lookup(IPAddress("192.0.2.1")!, now: 0) == nil)
        #expect(!list.add(IPAddress("192.0.2.10")!, until: 500, alert: "a"), "ends before everything kept")
        #expect(list.count == 3)
    }

    @Test("lookups from many threads while the list changes")
    func concurrentReads() async {
        let list = TemporaryDenyList()
        let now = EventRecord.now()
        await withTaskGroup(of: Int.self) { group in
            for reader in 0..<4 {
                group.addTask {
                    var hits = 0
                    for n in 0..<50_000 where list.lookup(IPAddress("10.0.\(reader).\(n % 200)")!, now: now) != nil { hits += 1 }
                    return hits
                }
            }
            group.addTask {
                for n in 0..<2000 {
                    list.add(IPAddress("10.0.\(n / 50 % 4).\(n % 50)")!, until: now + 60_000, alert: "a")
                    if n % 100 == 0 { list.prune(now: now) }
                }
                return 0
            }
            for await _ in group {}
        }
        #expect(list.count == 200)
    }

    @Test("two instances share denies through a real Redis: push, pull, prune, lift")
    func redisSharing() throws {
        let server = try RedisServer()
        let config = denyListConfig(server, prefix: "gw:")
        let (listA, listB) = (TemporaryDenyList(), TemporaryDenyList())
        let (syncA, syncB) = (sync(listA, config), sync(listB, config))
        let now = EventRecord.now()

        listA.add(ip1, until: now + 60_000, alert: "brute-force-login")
        syncA.added(ip1, until: now + 60_000, alert: "brute-force-login")
        syncA.sync(now: now)
        #expect(syncA.failure == nil && !syncA.hasPending)
        guard case .array(let members) = try server.connect().command(["ZRANGE", "gw:gateway:deny", "0", "-1", "WITHSCORES"]) else {
            Issue.record("ZRANGE")
            return
        }
        #expect(members.map(\.text) == ["203.0.113.9|brute-force-login", String(now + 60_000)])

        // B learns it on its next round trip.
        syncB.sync(now: now)
        #expect(listB.lookup(ip1, now: now)?.alert == "brute-force-login")
        #expect(listB.lookup(ip1, now: now)?.expiresAt == now + 60_000)

        // B adds an IPv6 address with a shorter deny; A sees both; a later end from A wins.
        syncB.added(ip2, until: now + 30_000, alert: "blocked-burst")
        listB.add(ip2, until: now + 30_000, alert: "blocked-burst")
        syncB.sync(now: now)
        syncA.sync(now: now)
        #expect(listA.snapshot.count == 2 && listA.lookup(ip2, now: now)?.alert == "blocked-burst")

        // Expired entries are pruned from Redis and from the lists.
        syncA.sync(now: now + 30_000)
        #expect(listA.lookup(ip2, now: now) == nil && listA.count == 1)
        guard case .integer(let left) = try server.connect().command(["ZCARD", "gw:gateway:deny"]) else {
            Issue.record("ZCARD")
            return
        }
        #expect(left == 1)

        // An operator lifts a deny with ZREM: gone everywhere on the next round trip.
        _ = try server.connect().command(["ZREM", "gw:gateway:deny", "203.0.113.9|brute-force-login"])
        syncA.sync(now: now)
        syncB.sync(now: now)
        #expect(listA.count == 0 && listB.count == 0)
    }

    @Test("Redis down: the local list keeps working; what was added is pushed once Redis is back")
    func redisOutage() throws {
        let port = try Ports.free()
        let config = denyListConfig(.tcp(SocketAddress(ip: .v4(0x7f00_0001), port: port)))
        let list = TemporaryDenyList()
        let log = LogLines()
        let denySync = DenyListSync(config: config, redis: config.redis!, list: list, log: log.append)
        let now = EventRecord.now()
        list.add(ip1, until: now + 60_000, alert: "a")
        denySync.added(ip1, until: now + 60_000, alert: "a")
        denySync.sync(now: now)
        #expect(denySync.failure != nil && denySync.hasPending)
        #expect(list.lookup(ip1, now: now) != nil, "the local entry stays")
        #expect(log.lines.count == 1 && log.lines[0].contains("cannot share"), "\(log.lines)")

        let server = try RedisServer(port: port)
        // The failure is waited out before the next attempt.
        denySync.sync(now: now)
        #expect(denySync.hasPending)
        #expect(eventually(timeout: 15) { denySync.sync(now: now); return !denySync.hasPending })
        #expect(denySync.failure == nil && log.lines.last?.contains("reachable again") == true, "\(log.lines)")
        guard case .integer(let count) = try server.connect().command(["ZCARD", "gateway:deny"]) else {
            Issue.record("ZCARD")
            return
        }
        #expect(count == 1)
    }

    @Test("members that are not <ip>|<alert> are ignored")
    func foreignMembers() {
        let entries = DenyListSync.entries([
            .string(Array("192.0.2.1|a".utf8)), .string(Array("5000".utf8)),
            .string(Array("garbage".utf8)), .string(Array("6000".utf8)),
            .string(Array("not-an-ip|a".utf8)), .string(Array("7000".utf8)),
            .string(Array("192.0.2.1|b".utf8)), .string(Array("8000".utf8)),
        ])
        #expect(entries == [IPAddress("192.0.2.1")!: TemporaryDenyList.Entry(expiresAt: 8000, alert: "b")])
    }
}

@Suite("Alerts through the event dispatcher")
struct AlertDispatchTests {
    func config(_ path: String, alerts: [AlertRuleConfig], denyList: DenyListConfig = DenyListConfig()) -> EventsConfig {
        var config = EventsConfig([EventSinkConfig("file", .file(FileSinkConfig(path: path)))])
        config.alerts = alerts
        config.denyList = denyList
        return config
    }

    func authFailure(_ n: Int, ip: String = "203.0.113.9") -> EventRecord {
        var event = SecurityEvent.authFailure(status: 401, upstream: "app")
        event.filter = nil
        return EventRecord(event: event, requestID: "req-\(n)", sourceIP: IPAddress(ip), method: "POST", path: "/auth/login", route: "auth")
    }

    @Test("the alert goes to the sinks after the event that fired it, once; deny_for fills the deny list")
    func alertToSinks() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        var brute = AlertRuleConfig(name: "brute-force-login", match: AlertMatch(event: ["auth-failure"], route: ["auth"]),
                                    threshold: 10, window: .seconds(300))
        brute.denyFor = .seconds(900)
        let list = TemporaryDenyList()
        let log = LogLines()
        let dispatcher = try EventDispatcher(config: config(folder.file("e.jsonl"), alerts: [brute]), observerName: "gw-1",
                                             log: log.append, denyList: list)
        dispatcher.start()
        for n in 0..<12 { dispatcher.publish(authFailure(n)) }
        dispatcher.publish(authFailure(99, ip: "198.51.100.1"))
        #expect(eventually { list.lookup(IPAddress("203.0.113.9")!) != nil })
        #expect(dispatcher.waitUntilDelivered())
        dispatcher.stop()

        let events = try lines(readTextFile(folder.file("e.jsonl"))).map(parseLine)
        #expect(events.count == 14)
        let alerts = events.enumerated().filter { $0.element["event.kind"]?.string == "alert" }
        #expect(alerts.count == 1)
        #expect(alerts.first?.offset == 10, "right after the tenth auth failure")
        let alert = try #require(alerts.first?.element)
        #expect(alert["rule.id"]?.string == "alert.brute-force-login" && alert["gateway.count"]?.string == "10")
        #expect(alert["gateway.last_trace_id"]?.string == "req-9")
        #expect(alert["gateway.deny_until"] != nil)
        let entry = try #require(list.lookup(IPAddress("203.0.113.9")!))
        #expect(entry.alert == "brute-force-login")
        #expect(abs(entry.expiresAt - EventRecord.now() - 900_000) < 60_000)
        #expect(list.lookup(IPAddress("198.51.100.1")!) == nil)
        #expect(log.lines.contains { $0.contains("alert 'brute-force-login'") }, "\(log.lines)")
        let failure = try #require(events.first)
        #expect(failure["event.action"]?.string == "auth-failure" && failure["event.outcome"]?.string == "failure")
        #expect(failure["event.category"]?.items.map(\.string) == ["authentication", "web"])
        let checker = try SchemaChecker.eventSchema()
        #expect(events.allSatisfy { checker.violations(of: $0).isEmpty })
    }

    @Test("with redis, the dispatcher shares its denies and picks up another instance's")
    func sharedThroughRedis() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let server = try RedisServer()
        var rule = AlertRuleConfig(name: "burst", match: AlertMatch(action: ["allowed"]), threshold: 2, window: .seconds(60))
        rule.denyFor = .seconds(600)
        let denyList = denyListConfig(server)
        let (listA, listB) = (TemporaryDenyList(), TemporaryDenyList())
        let a = try EventDispatcher(config: config(folder.file("a.jsonl"), alerts: [rule], denyList: denyList), observerName: "a", denyList: listA)
        let b = try EventDispatcher(config: config(folder.file("b.jsonl"), alerts: [rule], denyList: denyList), observerName: "b", denyList: listB)
        a.start()
        b.start()
        defer {
            a.stop()
            b.stop()
        }
        a.publish(authFailure(1))
        a.publish(authFailure(2))
        #expect(eventually { listB.lookup(IPAddress("203.0.113.9")!)?.alert == "burst" }, "instance B denies what A's alert denied")
        #expect(listA.lookup(IPAddress("203.0.113.9")!) != nil)
    }

    @Test("alert keys expire on the dispatcher's periodic tick")
    func keysExpire() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let rule = AlertRuleConfig(name: "slow", match: AlertMatch(), threshold: 100, window: .milliseconds(200))
        var denyList = DenyListConfig()
        denyList.syncInterval = .milliseconds(100)
        let dispatcher = try EventDispatcher(config: config(folder.file("e.jsonl"), alerts: [rule], denyList: denyList), observerName: "gw",
                                             denyList: TemporaryDenyList())
        dispatcher.start()
        defer { dispatcher.stop() }
        dispatcher.publish(authFailure(1))
        #expect(dispatcher.waitUntilDelivered())
        #expect(eventually(timeout: 5) { dispatcher.alertStats.map(\.trackedKeys) == [0] })
    }
}
