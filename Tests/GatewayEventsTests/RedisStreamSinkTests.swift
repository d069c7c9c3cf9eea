import Testing
@testable import GatewayCore
@testable import GatewayConfig

@Suite("Redis stream sink against a real redis-server")
struct RedisStreamSinkTests {
    func sink(_ server: RedisServer, stream: String = "gateway:events", prefix: String = "", maxLength: Int = 1_000_000) -> RedisStreamSink {
        var redis = RedisConfig(address: server.redisAddress, location: ConfigLocation(file: "t", line: 1, column: 1))
        redis.keyPrefix = prefix
        var config = RedisStreamSinkConfig(redis: redis)
        config.stream = stream
        config.maxLength = maxLength
        return RedisStreamSink(name: "redis", config: config)
    }

    func payloads(_ range: Range<Int>) -> ArraySlice<[UInt8]> {
        let serializer = EventSerializer(observerName: "gw")
        return ArraySlice(range.map { serializer.json(sampleRecord($0)) })
    }

    @Test("XADD puts each event in the stream under key_prefix + stream, in order")
    func xadd() throws {
        let server = try RedisServer()
        let sink = sink(server, stream: "sec", prefix: "gw1:")
        #expect(sink.deliver(payloads(0..<300)).failure == nil)
        #expect(sink.deliver(payloads(300..<310)).count == 10)
        let events = try server.streamEvents("gw1:sec")
        #expect(events.map { $0["trace.id"]?.string } == (0..<310).map { "req-\($0)" })
        let checker = try SchemaChecker.eventSchema()
        #expect(checker.violations(of: events[0]).isEmpty)
    }

    @Test("MAXLEN ~ trims the stream")
    func trims() throws {
        let server = try RedisServer()
        let sink = sink(server, maxLength: 100)
        for start in stride(from: 0, to: 2000, by: 200) { _ = sink.deliver(payloads(start..<start + 200)) }
        guard case .integer(let length) = try server.connect().command(["XLEN", "gateway:events"]) else {
            Issue.record("XLEN")
            return
        }
        #expect(length >= 100 && length < 1000, "approximately 100 kept, found \(length)")
    }

    @Test("a stopped server is a failure; the next delivery reconnects")
    func reconnects() throws {
        let server = try RedisServer()
        let sink = sink(server)
        #expect(sink.deliver(payloads(0..<5)).count == 5)
        server.kill()
        let failed = sink.deliver(payloads(5..<10))
        #expect(failed.count == 0 && failed.failure != nil)
        try server.start()
        #expect(sink.deliver(payloads(5..<10)).count == 5)
        #expect(try server.streamEvents("gateway:events").map { $0["trace.id"]?.string } == (0..<10).map { "req-\($0)" },
                "the first five kept by the append-only file, the rest delivered once after reconnecting")
    }

    @Test("a Redis error reply (wrong key type) is a failure, not a delivery")
    func errorReply() throws {
        let server = try RedisServer()
        _ = try server.connect().command(["SET", "gateway:events", "not a stream"])
        let result = sink(server).deliver(payloads(0..<3))
        #expect(result.count == 0)
        #expect(result.failure?.contains("WRONGTYPE") == true, "\(result.failure ?? "")")
    }
}
