// Event delivery through the real binary: every event type the gateway raises, produced by real
// requests, arriving at every sink at once (file, Redis stream, syslog over UDP and TCP); and a
// Redis outage in the middle of an attack burst, after which the stream holds every event the
// file sink recorded, in the same order (at least once).

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif


/// A syslog collector on two free loopback ports: UDP (one message per datagram, RFC 5426) and
/// TCP (octet counting, RFC 6587). Each message is appended to a file as `udp <msg>` or
/// `tcp <msg>` (a TCP frame that is not octet-counted becomes `tcp-bad <bytes>`).
private final class SyslogCollector: @unchecked Sendable {
    let udpPort: UInt16
    let tcpPort: UInt16
    private let process: ChildProcess
    private let dir: TemporaryDirectory

    private static let script = #"""
        import os, socket, sys, threading, time
        out_path, port_path, parent = sys.argv[1], sys.argv[2], int(sys.argv[3])
        out = open(out_path, "a", buffering=1)
        lock = threading.Lock()
        def emit(kind, data):
            text = data.decode("ascii", "backslashreplace").replace("\n", "\\n")
            with lock:
                out.write(kind + " " + text + "\n")
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(16)
        def udp_loop():
            while True:
                data, _ = udp.recvfrom(70000)
                emit("udp", data)
        def connection(conn):
            buf = b""
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
                while True:
                    space = buf.find(b" ")
                    if space < 0:
                        break
                    if not buf[:space].isdigit():
                        emit("tcp-bad", buf)
                        return
                    size = int(buf[:space])
                    if len(buf) < space + 1 + size:
                        break
                    emit("tcp", buf[space + 1:space + 1 + size])
                    buf = buf[space + 1 + size:]
        def tcp_loop():
            while True:
                conn, _ = tcp.accept()
                threading.Thread(target=connection, args=(conn,), daemon=True).start()
        threading.Thread(target=udp_loop, daemon=True).start()
        threading.Thread(target=tcp_loop, daemon=True).start()
        with open(port_path + ".tmp", "w") as f:
            f.write("%d %d" % (udp.getsockname()[1], tcp.getsockname()[1]))
        os.rename(port_path + ".tmp", port_path)
        while os.getppid() == parent:
            time.sleep(0.5)
        """#

    init() throws {
        dir = try TemporaryDirectory(prefix: "gw-syslog")
        let script = try dir.write("collector.py", Self.script)
        process = try ChildProcess.spawn(
            [Paths.python3, "-u", script, dir.file("messages"), dir.file("ports"), String(getpid())],
            stdoutPath: dir.file("stdout"), stderrPath: dir.file("stderr"))
        var ports: [UInt16] = []
        let ready = eventually(timeout: 30) { [dir, process] in
            ports = readTextFile(dir.file("ports")).split(separator: " ").compactMap { UInt16($0) }
            return ports.count == 2 || !process.isRunning
        }
        guard ready, ports.count == 2 else {
            let log = process.stderrText
            process.stop()
            dir.remove()
            throw HarnessError("the syslog collector did not start:\n\(tail(log))")
        }
        (udpPort, tcpPort) = (ports[0], ports[1])
    }

    /// Messages received so far over `transport` ("udp", "tcp"; "tcp-bad" for broken framing).
    func messages(_ transport: String) -> [String] {
        readTextFile(dir.file("messages")).split(separator: "\n").compactMap { line in
            line.hasPrefix(transport + " ") ? String(line.dropFirst(transport.count + 1)) : nil
        }
    }

    func stop() {
        process.stop()
        dir.remove()
    }

    deinit { stop() }
}

extension GatewayIntegration {
@Suite("Event delivery: every sink at once, and a Redis outage during a burst")
struct EventDelivery {

    @Test("each event type, from real requests, reaches the file, the Redis stream and syslog over UDP and TCP")
    func everySinkAtOnce() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let syslog = try SyslogCollector()
        defer { syslog.stop() }
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let dead = try ReservedPort()
        defer { dead.close() }
        let gateway = try YAMLGateway(
            """
            workers: 2
            listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
            upstreams:
              app: { targets: ["\(upstream.address)"] }
              gone: { targets: ["\(dead.address)"] }
            routes:
              - { name: dead, match: { path_prefix: /dead }, upstream: gone }
              - { name: denied, match: { path_prefix: /denied }, upstream: app, filters: [nobody] }
              - { name: api, match: { path_prefix: /api }, upstream: app, filters: [cors] }
              - { name: errors, match: { path_prefix: /status/500 }, upstream: app, filters: [errors] }
              - { name: reports, match: { path_prefix: /csp-report }, upstream: app, filters: [reporting] }
              - { name: auth, match: { path_prefix: /status/401 }, upstream: app, auth_failure_statuses: [401] }
              - { name: default, match: { path_prefix: / }, upstream: app }
            filters:
              nobody: { plugin: ip_access, deny: [127.0.0.0/8] }
              cors: { plugin: cors, allow_origins: ["https://portal.example.org"] }
              errors: { plugin: error_pages }
              reporting: { plugin: security_headers, report_path: /csp-report }
            redis: { address: \(redis.address) }
            events:
              sinks:
                - { type: file, path: "{DIR}/events.jsonl" }
                - { type: redis_stream, stream: "it:delivery" }
                - { name: syslog-udp, type: syslog, address: "udp://127.0.0.1:\(syslog.udpPort)", app_name: gw-it, hostname: edge-it }
                - { name: syslog-tcp, type: syslog, address: "tcp://127.0.0.1:\(syslog.tcpPort)", facility: local3, app_name: gw-it, hostname: edge-it }
              spool_dir: "{DIR}/spool"

            """)
        defer { gateway.stop() }

        // One request per event type; the X-Request-ID the client got is the trace.id to find.
        var requests: [(action: String, status: Int, requestID: String?)] = []
        func record(_ action: String, _ response: HTTPResponse) {
            requests.append((action, response.status, response.header("X-Request-ID")))
        }
        let smuggling = try RawConnection(port: gateway.port)
        try smuggling.send("POST /echo HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        record("protocol-violation", try smuggling.readFinalResponse(method: "POST"))
        smuggling.close()
        record("upstream-failure", try oneRequest(port: gateway.port, "GET", "/dead/records"))
        record("ip-denied", try oneRequest(port: gateway.port, "GET", "/denied/admin"))
        record("cors-preflight-denied", try oneRequest(port: gateway.port, "OPTIONS", "/api/records", headers: [
            ("Origin", "https://evil.example.com"), ("Access-Control-Request-Method", "POST"),
        ]))
        // A stack trace with a line break, a tab and a backslash: the event shows it escaped once.
        record("upstream-error-hidden", try oneRequest(port: gateway.port, "GET", "/status/500?body=Traceback:%0A%09at%20db%5Cquery"))
        let report = Array(#"{"csp-report":{"document-uri":"https://portal.example.org/chart","violated-directive":"script-src","blocked-uri":"https://evil.example/x.js"}}"#.utf8)
        record("csp-violation", try oneRequest(port: gateway.port, "POST", "/csp-report",
                                               headers: [("Content-Type", "application/csp-report")], body: report))
        record("auth-failure", try oneRequest(port: gateway.port, "POST", "/status/401",
                                              headers: [("Content-Type", "application/json")],
                                              body: Array(#"{"user":"alice","password":"hunter2"}"#.utf8)))

        let expectedStatus = ["protocol-violation": 400, "upstream-failure": 502, "ip-denied": 403,
                              "cors-preflight-denied": 403, "upstream-error-hidden": 500, "csp-violation": 204,
                              "auth-failure": 401]
        for request in requests {
            #expect(request.status == expectedStatus[request.action], "\(request)\n\(gateway.diagnostics)")
            #expect(request.requestID?.isEmpty == false, "no X-Request-ID on the \(request.action) response")
        }
        let traceIDs = requests.compactMap(\.requestID)
        try #require(traceIDs.count == requests.count && Set(traceIDs).count == traceIDs.count, "\(requests)")

        // Wait until every sink has one event per request.
        func withTrace(_ lines: [String], _ trace: String) -> [String] {
            lines.filter { (try? eventJSON($0)).map { eventField($0, "trace.id") == trace } ?? false }
        }
        func allArrived() -> Bool {
            let file = gateway.fileLines
            let stream = (try? redis.eventLines("it:delivery")) ?? []
            let udp = syslog.messages("udp").compactMap { (try? SyslogMessage($0))?.message }
            let tcp = syslog.messages("tcp").compactMap { (try? SyslogMessage($0))?.message }
            return traceIDs.allSatisfy { trace in
                [file, stream, udp, tcp].allSatisfy { !withTrace($0, trace).isEmpty }
            }
        }
        #expect(eventually(timeout: 15) { allArrived() },
                "not every event reached every sink\nfile:\n\(tail(readTextFile(gateway.eventsPath), 10))\nudp: \(syslog.messages("udp").count) tcp: \(syslog.messages("tcp").count)\n\(gateway.diagnostics)")
        #expect(syslog.messages("tcp-bad").isEmpty, "TCP syslog frames not octet-counted: \(syslog.messages("tcp-bad"))")

        let fileLines = gateway.fileLines
        let streamLines = try redis.eventLines("it:delivery")
        let udp = syslog.messages("udp")
        let tcp = syslog.messages("tcp")
        for request in requests {
            guard let trace = request.requestID else { continue }
            let inFile = withTrace(fileLines, trace)
            #expect(inFile.count == 1, "\(request.action): \(inFile.count) file events for trace \(trace)\n\(fileLines)")
            guard let line = inFile.first, let event = try? eventJSON(line) else { continue }
            #expect(eventField(event, "event.action") == request.action, "trace \(trace): \(line)")
            if request.action == "upstream-error-hidden" {
                #expect(eventField(event, "gateway.matched") == #"Traceback:\x0a\x09at db\x5cquery"#, "\(line)\n\(gateway.diagnostics)")
            }
            #expect(eventField(event, "trace.id") == trace)
            #expect(eventField(event, "source.ip") == "127.0.0.1", "\(line)")
            let eventID = try #require(eventField(event, "event.id"))
            let severity = try #require(Int(eventField(event, "event.severity") ?? ""))

            // The Redis stream: the same JSON, once.
            #expect(streamLines.filter { $0 == line }.count == 1, "\(request.action): not once in the stream\n\(streamLines)")

            // Syslog: RFC 5424, the same JSON as MSG, PRI from the facility and the severity.
            let syslogSeverity = [21: 5, 47: 4, 73: 3, 99: 2][severity] ?? -1
            for (transport, messages, facility) in [("udp", udp, 16), ("tcp", tcp, 19)] {
                let mine = messages.filter { $0.contains("id=\"\(eventID)\"") }
                #expect(mine.count == 1, "\(request.action) over \(transport): \(mine.count) messages\n\(messages)")
                guard let raw = mine.first else { continue }
                #expect(raw.hasPrefix("<\(facility * 8 + syslogSeverity)>1 "), "\(transport): \(raw)")
                guard let message = try? SyslogMessage(raw) else {
                    Issue.record("\(transport): not an RFC 5424 message as expected: \(raw)")
                    continue
                }
                #expect(message.hostname == "edge-it" && message.appName == "gw-it", "\(transport): \(raw)")
                #expect(message.procID == String(gateway.process.pid), "\(transport): \(raw)")
                #expect(message.msgID == request.action, "\(transport): \(raw)")
                #expect(message.timestamp == eventField(event, "@timestamp"), "\(transport): \(raw)")
                for parameter in ["id=\"\(eventID)\"", "action=\"\(eventField(event, "gateway.action") ?? "?")\"",
                                  "rule=\"\(eventField(event, "rule.id") ?? "?")\"", "severity=\"\(severity)\"",
                                  "trace=\"\(trace)\"", "source=\"127.0.0.1\""] {
                    #expect(message.structuredData.contains(parameter), "\(transport): \(parameter) missing in \(message.structuredData)")
                }
                #expect(message.message == line, "\(transport): MSG is not the event JSON\n\(message.message)\n\(line)")
                #expect((try? eventJSON(message.message)).flatMap { eventField($0, "event.id") } == eventID)
            }
        }
        #expect(!readTextFile(gateway.eventsPath).contains("hunter2"), "request bodies never reach an event")
    }

    @Test("Redis killed and restarted during a 1,000-request attack: the stream ends up with every event of the file, in order")
    func redisOutageDuringBurst() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let dead = try ReservedPort()
        defer { dead.close() }
        let gateway = try YAMLGateway(
            """
            workers: 1
            listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
            upstreams: { app: { targets: ["\(dead.address)"] } }
            routes:
              - { name: default, match: { path_prefix: / }, upstream: app, filters: [nobody] }
            filters:
              nobody: { plugin: ip_access, deny: [127.0.0.0/8] }
            redis: { address: \(redis.address) }
            events:
              sinks:
                - { type: file, path: "{DIR}/events.jsonl" }
                - { type: redis_stream, stream: "it:burst" }
              queue: 100
              spool_dir: "{DIR}/spool"

            """)
        defer { gateway.stop() }

        let started = monotonicNow()
        let client = HTTPClient(port: gateway.port)
        defer { client.close() }
        var statuses: [Int: Int] = [:]
        for index in 0..<1_000 {
            if index == 300 { redis.kill() }
            if index == 700 { try redis.start() }
            let response = try client.request("GET", "/admin/export?n=\(index)", headers: [("X-Request-ID", "burst-\(index)")],
                                              timeout: 10)
            statuses[response.status, default: 0] += 1
        }
        #expect(statuses == [403: 1_000], "\(statuses)\n\(gateway.diagnostics)")

        // The file sink is the reference: wait until it holds the burst, then until the stream caught up.
        func fileIDs() -> [String] {
            gateway.fileLines.compactMap { try? eventJSON($0) }.compactMap { eventField($0, "event.id") }
        }
        #expect(eventually(timeout: 10) { fileIDs().count >= 1_000 }, "file: \(fileIDs().count) events\n\(gateway.diagnostics)")
        let reference = fileIDs()
        let referenceSet = Set(reference)
        #expect(referenceSet.count == reference.count, "the file sink wrote an event twice")
        var streamIDs: [String] = []
        let caughtUp = eventually(timeout: 20) {
            streamIDs = ((try? redis.eventLines("it:burst")) ?? []).compactMap { try? eventJSON($0) }.compactMap { eventField($0, "event.id") }
            return referenceSet.isSubset(of: streamIDs)
        }
        let missing = reference.filter { !Set(streamIDs).contains($0) }
        #expect(caughtUp, "\(missing.count) of \(reference.count) events missing from the stream\n\(gateway.diagnostics)")

        // At least once, in the file's order: the first occurrence of each id, in stream order.
        var seen = Set<String>()
        let firstOccurrences = streamIDs.filter { referenceSet.contains($0) && seen.insert($0).inserted }
        #expect(firstOccurrences == reference, "the stream's order differs from the file's")
        let fileTraces = gateway.fileLines.compactMap { try? eventJSON($0) }.compactMap { eventField($0, "trace.id") }
        #expect(fileTraces == (0..<1_000).map { "burst-\($0)" }, "the file holds the burst in request order")
        let lines = try redis.eventLines("it:burst")
        #expect(!lines.contains { $0.contains("events-dropped") }, "nothing was dropped: queue + spool held the outage")
        let log = gateway.process.stderrText
        #expect(log.contains("sink 'redis_stream' (redis_stream) is down") && log.contains("sink 'redis_stream' (redis_stream) delivers again"),
                "the outage and the recovery are logged\n\(gateway.diagnostics)")
        #expect(monotonicNow() - started < 30, "took \(monotonicNow() - started) s")
    }
}
}
