import Glibc
import Testing
@testable import GatewayCore
@testable import GatewayConfig
import GatewayNetwork

@Suite("Syslog sink: RFC 5424 over UDP and TCP (octet counting)")
struct SyslogSinkTests {
    func sink(_ transport: SyslogSinkConfig.Transport, port: UInt16, facility: Int = 16) -> SyslogSink {
        var config = SyslogSinkConfig(transport: transport, address: SocketAddress(ip: .v4(0x7f00_0001), port: port))
        config.facility = facility
        config.appName = "gateway-test"
        return SyslogSink(name: "syslog", config: config, hostname: "gw-1")
    }

    func payloads(_ sink: SyslogSink, _ records: [EventRecord]) -> ArraySlice<[UInt8]> {
        let serializer = EventSerializer(observerName: "gw-1")
        return ArraySlice(records.map { sink.payload(for: $0, json: serializer.json($0)) })
    }

    /// Checks the RFC 5424 header, structured data and JSON MSG of one message.
    func expectMessage(_ text: String, for record: EventRecord, priority: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let message = try SyslogMessage(text)
        #expect(message.priority == priority, sourceLocation: sourceLocation)
        #expect(message.version == 1, sourceLocation: sourceLocation)
        var timestamp: [UInt8] = []
        EventSerializer.appendTimestamp(record.timestampMilliseconds, to: &timestamp)
        #expect(message.timestamp == String(decoding: timestamp, as: UTF8.self), sourceLocation: sourceLocation)
        #expect(message.hostname == "gw-1" && message.appName == "gateway-test", sourceLocation: sourceLocation)
        #expect(Int(message.procID) != nil && message.msgID == record.event.name, sourceLocation: sourceLocation)
        #expect(message.structuredData.hasPrefix("[gateway@32473 id=\"\(record.id)\" action=\"\(record.event.action.rawValue)\" rule=\"\(record.event.ruleID)\""),
                "\(message.structuredData)", sourceLocation: sourceLocation)
        let json = try JSON.parse(message.message)
        #expect(json["event.id"]?.string == record.id && json["rule.id"]?.string == record.event.ruleID, sourceLocation: sourceLocation)
    }

    @Test("UDP: one message per datagram, PRI from facility and severity")
    func udp() throws {
        let receiver = try UDPReceiver()
        let sink = sink(.udp, port: receiver.port, facility: 10)  // authpriv
        let records = [sampleRecord(1, severity: .critical), sampleRecord(2, severity: .high),
                       sampleRecord(3, severity: .medium), sampleRecord(4, severity: .low)]
        #expect(sink.deliver(payloads(sink, records)).count == 4)
        let messages = receiver.receive(4)
        #expect(messages.count == 4)
        for (message, (record, severity)) in zip(messages, zip(records, [2, 3, 4, 5])) {
            try expectMessage(message, for: record, priority: 10 * 8 + severity)
        }
    }

    @Test("TCP: octet-counted frames; after the collector drops the connection the sink reconnects")
    func tcp() throws {
        let receiver = try TCPReceiver()
        let sink = sink(.tcp, port: receiver.port)
        let first = (0..<50).map { sampleRecord($0) }
        #expect(sink.deliver(payloads(sink, first)).count == 50)
        let received = try receiver.receive(50)
        #expect(received.count == 50)
        for (text, record) in zip(received, first) { try expectMessage(text, for: record, priority: 16 * 8 + 3) }

        receiver.dropConnection()
        // Give the FIN time to arrive, as it has long before the next batch when a collector
        // restarts: a batch sent into a connection whose close is still in flight is lost
        // (syslog over TCP has no acknowledgements).
        usleep(100_000)
        let second = (50..<60).map { sampleRecord($0) }
        #expect(sink.deliver(payloads(sink, second)).count == 10)
        let again = try receiver.receive(10)
        #expect(try again.map { try JSON.parse(SyslogMessage($0).message)["trace.id"]?.string } == second.map(\.requestID))
    }

    @Test("TCP: nobody listening is a failure the dispatcher retries, not a crash")
    func refused() throws {
        let sink = sink(.tcp, port: try Ports.free())
        let result = sink.deliver(payloads(sink, [sampleRecord()]))
        #expect(result.count == 0)
        #expect(result.failure?.contains("refused") == true, "\(result.failure ?? "")")
    }

    @Test("structured data values are escaped and stay on one line")
    func escaping() throws {
        let receiver = try UDPReceiver()
        let sink = sink(.udp, port: receiver.port)
        var record = sampleRecord()
        record.event.ruleID = "a\"b]c\\d\ne"
        _ = sink.deliver(payloads(sink, [record]))
        let text = try #require(receiver.receive(1).first)
        #expect(text.contains(#"rule="a\"b\]c\\d?e""#), "\(text)")
        #expect(!text.contains("\n"))
        #expect(try JSON.parse(SyslogMessage(text).message)["rule.id"]?.string == "a\"b]c\\d\ne")
    }
}
