import Foundation
import Testing
@testable import GatewayCore
@testable import GatewayConfig
import GatewayNetwork

@Suite("Event dispatcher: several sinks, outages, spool, drops, shutdown")
struct EventDispatcherTests {
    /// The ids of `events`, each once, in the order first seen.
    func firstSeen(_ events: [JSON]) -> [String] {
        var seen: Set<String> = []
        return events.compactMap { $0["event.id"]?.string }.filter { seen.insert($0).inserted }
    }

    @Test("every sink gets every event, in order, schema-valid")
    func severalSinks() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let server = try RedisServer()
        let receiver = try UDPReceiver()
        let syslog = SyslogSinkConfig(transport: .udp, address: SocketAddress(ip: .v4(0x7f00_0001), port: receiver.port))
        let dispatcher = try EventDispatcher(config: EventsConfig([
            EventSinkConfig("file", .file(FileSinkConfig(path: folder.file("events.jsonl")))),
            .redis(server),
            EventSinkConfig("syslog", .syslog(syslog)),
        ]), observerName: "gw-1")
        dispatcher.start()
        let records = (0..<200).map { sampleRecord($0) }
        for record in records { dispatcher.publish(record) }
        #expect(dispatcher.waitUntilDelivered())
        dispatcher.stop()

        let ids = records.map(\.id)
        let fileEvents = try lines(readTextFile(folder.file("events.jsonl"))).map(parseLine)
        #expect(fileEvents.compactMap { $0["event.id"]?.string } == ids)
        #expect(try server.streamEvents("gateway:events").compactMap { $0["event.id"]?.string } == ids)
        let datagrams = receiver.receive(200)
        #expect(try datagrams.map { try JSON.parse(SyslogMessage($0).message)["event.id"]?.string } == ids)
        let checker = try SchemaChecker.eventSchema()
        #expect(fileEvents.allSatisfy { checker.violations(of: $0).isEmpty })
        #expect(dispatcher.stats.map(\.delivered) == [200, 200, 200])
        #expect(dispatcher.stats.allSatisfy { $0.dropped == 0 && $0.queued == 0 && $0.spooled == 0 && $0.failure == nil })
    }

    @Test("Redis stopped during a burst of 1,000 events and restarted: every event arrives, in order")
    func redisOutage() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let server = try RedisServer()
        let log = LogLines()
        let dispatcher = try EventDispatcher(config: EventsConfig([.redis(server)], queue: 100, spool: folder.path),
                                             observerName: "gw-1", log: log.append)
        dispatcher.start()
        var ids: [String] = []
        for n in 0..<1000 {
            if n == 300 { server.kill() }
            if n == 700 { try server.start() }
            let record = sampleRecord(n)
            ids.append(record.id)
            dispatcher.publish(record)
            usleep(2000)
        }
        #expect(dispatcher.waitUntilDelivered(timeout: 60), "\(dispatcher.stats)")
        dispatcher.stop()
        let stats = try #require(dispatcher.stats.first)
        #expect(stats.dropped == 0 && stats.delivered >= 1000, "\(stats)")
        #expect(firstSeen(try server.streamEvents("gateway:events")) == ids)
        #expect(log.lines.contains { $0.contains("is down") } && log.lines.contains { $0.contains("delivers again") }, "\(log.lines)")
    }

    @Test("overflow beyond queue and spool is dropped, counted, and reported once the sink is back")
    func spoolOverflow() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let port = try Ports.free()
        let address = RedisAddress.tcp(SocketAddress(ip: .v4(0x7f00_0001), port: port))
        let dispatcher = try EventDispatcher(config: EventsConfig([.redis(address)], queue: 10, spool: folder.path, spoolMax: 16 << 10),
                                             observerName: "gw-1")
        dispatcher.start()
        let records = (0..<200).map { sampleRecord($0) }
        for record in records { dispatcher.publish(record) }
        var stats = dispatcher.stats[0]
        #expect(eventually { stats = dispatcher.stats[0]; return stats.queued + stats.spooled + stats.dropped == 200 }, "\(stats)")
        #expect(stats.queued == 10 && stats.spooled > 0 && stats.dropped > 0 && stats.failure != nil, "\(stats)")

        let server = try RedisServer(port: port)
        #expect(dispatcher.waitUntilDelivered(timeout: 30), "\(dispatcher.stats)")
        dispatcher.stop()
        let events = try server.streamEvents("gateway:events")
        // The spool holds the oldest events, memory the newest; the ones in between were dropped.
        let survivors = records.prefix(stats.spooled) + records.suffix(10)
        #expect(firstSeen(Array(events.dropLast())) == survivors.map(\.id))
        let report = try #require(events.last)
        #expect(report["event.action"]?.string == "events-dropped")
        #expect(report["event.kind"]?.string == "pipeline_error")
        #expect(report["gateway.sink"]?.string == "redis")
        #expect(report["gateway.dropped_count"]?.string == String(stats.dropped))
        #expect(try SchemaChecker.eventSchema().violations(of: report).isEmpty)
        #expect(dispatcher.stats[0].dropped == stats.dropped, "\(dispatcher.stats)")
    }

    @Test("without a spool, what exceeds the queue is dropped and counted")
    func noSpool() throws {
        let address = RedisAddress.tcp(SocketAddress(ip: .v4(0x7f00_0001), port: try Ports.free()))
        let dispatcher = try EventDispatcher(config: EventsConfig([.redis(address)], queue: 5), observerName: "gw-1")
        dispatcher.start()
        for n in 0..<50 { dispatcher.publish(sampleRecord(n)) }
        #expect(eventually { dispatcher.stats[0].queued + dispatcher.stats[0].dropped == 50 })
        #expect(dispatcher.stats[0].queued == 5 && dispatcher.stats[0].dropped == 45)
        dispatcher.stop(timeout: .milliseconds(100))
        #expect(dispatcher.stats[0].dropped == 50, "without a spool, shutdown drops the queue too")
    }

    @Test("stop() spools what it could not deliver; the next run delivers it first, in order")
    func stopAndRestart() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let port = try Ports.free()
        let address = RedisAddress.tcp(SocketAddress(ip: .v4(0x7f00_0001), port: port))
        let config = EventsConfig([.redis(address)], queue: 20, spool: folder.path)
        let first = try EventDispatcher(config: config, observerName: "gw-1")
        first.start()
        let records = (0..<50).map { sampleRecord($0) }
        for record in records { first.publish(record) }
        let started = Date()
        first.stop(timeout: .milliseconds(300))
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(first.stats[0].spooled == 50 && first.stats[0].dropped == 0, "\(first.stats)")
        first.publish(sampleRecord(99))
        #expect(first.stats[0].dropped == 1, "publish after stop is counted, not kept")

        let server = try RedisServer(port: port)
        let second = try EventDispatcher(config: config, observerName: "gw-1")
        second.start()
        let later = sampleRecord(50)
        second.publish(later)
        #expect(second.waitUntilDelivered())
        second.stop()
        #expect(try server.streamEvents("gateway:events").compactMap { $0["event.id"]?.string } == (records + [later]).map(\.id))
    }

    @Test("an event too large for a UDP datagram is dropped and counted; the sink goes on")
    func oversizedDatagram() throws {
        let receiver = try UDPReceiver()
        let syslog = SyslogSinkConfig(transport: .udp, address: SocketAddress(ip: .v4(0x7f00_0001), port: receiver.port))
        let dispatcher = try EventDispatcher(config: EventsConfig([EventSinkConfig("syslog", .syslog(syslog))]), observerName: "gw-1")
        dispatcher.start()
        var huge = sampleRecord(1)
        huge.event.details = Dictionary(uniqueKeysWithValues: (0..<100).map { ("d\($0)", String(repeating: "\u{1}", count: 500)) })
        let records = [sampleRecord(0), huge, sampleRecord(2)]
        for record in records { dispatcher.publish(record) }
        #expect(dispatcher.waitUntilDelivered())
        dispatcher.stop()
        let events = try receiver.receive(3).map { try JSON.parse(SyslogMessage($0).message) }
        let reports = events.filter { $0["event.action"]?.string == "events-dropped" }
        #expect(events.filter { $0["event.action"]?.string == "ip-denied" }.map { $0["event.id"]?.string } == [records[0].id, records[2].id])
        #expect(reports.map { $0["gateway.dropped_count"]?.string } == ["1"])
        #expect(dispatcher.stats[0].dropped == 1 && dispatcher.stats[0].delivered == 3)
    }

    @Test("stop() without start() still flushes")
    func stopWithoutStart() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let dispatcher = try EventDispatcher(config: EventsConfig([EventSinkConfig("file", .file(FileSinkConfig(path: folder.file("e.jsonl"))))]),
                                             observerName: "gw-1")
        for n in 0..<3 { dispatcher.publish(sampleRecord(n)) }
        dispatcher.stop()
        #expect(lines(readTextFile(folder.file("e.jsonl"))).count == 3)
    }

    @Test("publish() never blocks: a full hand-off drops and counts")
    func publishNeverBlocks() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let dispatcher = try EventDispatcher(config: EventsConfig([EventSinkConfig("file", .file(FileSinkConfig(path: folder.file("e.jsonl"))))], queue: 10),
                                             observerName: "gw-1")
        // Not started: nothing drains the hand-off.
        let started = Date()
        for n in 0..<10_000 { dispatcher.publish(sampleRecord(n)) }
        #expect(Date().timeIntervalSince(started) < 5)
        let kept = EventDispatcher.minimumIntake
        #expect(dispatcher.stats[0].dropped == 10_000 - kept)
        dispatcher.stop()
        let events = try lines(readTextFile(folder.file("e.jsonl"))).map(parseLine)
        let reports = events.filter { $0["event.action"]?.string == "events-dropped" }
        #expect(events.count - reports.count == kept, "a healthy sink takes a burst larger than its queue")
        #expect(reports.map { $0["gateway.dropped_count"]?.string } == [String(10_000 - kept)])
        #expect(dispatcher.stats[0].dropped == 10_000 - kept)
    }

    @Test("reopen() moves the file sink to a new file (SIGUSR1 after logrotate)")
    func reopen() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let path = folder.file("events.jsonl")
        let dispatcher = try EventDispatcher(config: EventsConfig([EventSinkConfig("file", .file(FileSinkConfig(path: path)))]),
                                             observerName: "gw-1")
        dispatcher.start()
        dispatcher.publish(sampleRecord(1))
        #expect(dispatcher.waitUntilDelivered() && eventually { lines(readTextFile(path)).count == 1 })
        rename(path, path + ".1")
        dispatcher.reopen()
        #expect(eventually { FileManager.default.fileExists(atPath: path) })
        dispatcher.publish(sampleRecord(2))
        #expect(eventually { lines(readTextFile(path)).count == 1 })
        dispatcher.stop()
        #expect(lines(readTextFile(path + ".1")).count == 1)
    }
}
