// Security events through the real binary: the `events:` config section, events written by a
// running gateway to a file and a Redis stream (SIGUSR1 reopen, SIGTERM flush), and
// `gateway events tail` reading both.
//
// The tests that run a gateway need `gateway run` to build an EventDispatcher from the
// config's `events:` section, pass it to GatewayServer, call reopen() on SIGUSR1 and stop()
// after the workers stopped.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif




/// A hand-written event line, as the file sink writes them.
private func eventLine(id: String, action: String, rule: String, severity: Int, ip: String, path: String) -> String {
    """
    {"@timestamp":"2026-03-01T12:00:00.000Z","ecs":{"version":"8.11.0"},"event":{"id":"\(id)","kind":"alert","category":["web"],"type":["denied"],"action":"\(rule)","outcome":"failure","severity":\(severity),"dataset":"gateway.security"},"observer":{"name":"gw","type":"gateway","version":"0.1.0"},"trace":{"id":"trace-\(id)"},"source":{"ip":"\(ip)"},"http":{"request":{"method":"GET"}},"url":{"path":"\(path)"},"rule":{"id":"\(rule)","name":"r"},"gateway":{"action":"\(action)"}}
    """
}

extension GatewayIntegration {
@Suite("Security events: config, sinks, events tail")
struct SecurityEvents {

    // MARK: Config

    @Test("gateway check accepts an events: section and reports its mistakes at line:column")
    func check() throws {
        let dir = try TemporaryDirectory(prefix: "gw-events-check")
        defer { dir.remove() }
        let base = GatewayConfig(targets: ["127.0.0.1:9"]).render(httpPort: 18_080, httpsPort: nil, adminPort: nil)
        let good = try dir.write("good.yaml", base + """
            redis: { address: 127.0.0.1:6379 }
            events:
              sinks:
                - { type: file, path: \(dir.file("events.jsonl")), max_size: 10MiB }
                - { type: redis_stream, stream: "gateway:events", max_len: 1000 }
                - { type: syslog, address: "udp://127.0.0.1:514" }
              queue: 1000
              spool_dir: \(dir.file("spool"))

            """)
        let ok = try runGatewayCommand(["check", "--config", good])
        #expect(ok.succeeded, "\(ok)")

        let bad = try dir.write("bad.yaml", base + """
            events:
              sinks:
                - { type: redis_stream }
                - { type: syslog, address: "127.0.0.1:514" }

            """)
        let result = try runGatewayCommand(["check", "--config", bad])
        #expect(result.exitCode == 1, "\(result)")
        let diagnostics = ConfigDiagnostic.parse(result.stderr, path: bad)
        let sinkLine = try #require(lineNumber(of: "type: redis_stream", in: readTextFile(bad)))
        #expect(diagnostics.map(\.line) == [sinkLine, sinkLine + 1], "\(result)")
        #expect(diagnostics.first?.message.contains("redis:") == true, "\(diagnostics)")
    }

    // MARK: events tail

    @Test("events tail --file: the latest matching events, human-readable or raw JSON")
    func tailFile() throws {
        let dir = try TemporaryDirectory(prefix: "gw-events-tail")
        defer { dir.remove() }
        let lines = [
            eventLine(id: "a1", action: "blocked", rule: "ip-denied", severity: 73, ip: "203.0.113.9", path: "/admin"),
            eventLine(id: "a2", action: "flagged", rule: "geo-anomaly", severity: 47, ip: "198.51.100.7", path: "/login"),
            eventLine(id: "a3", action: "blocked", rule: "ip-denied", severity: 73, ip: "203.0.113.10", path: "/x\\u001b[31m"),
            eventLine(id: "a4", action: "blocked", rule: "cors-denied", severity: 21, ip: "203.0.113.11", path: "/api"),
        ]
        let file = try dir.write("events.jsonl", lines.joined(separator: "\n") + "\n")

        let all = try runGatewayCommand(["events", "tail", "--file", file])
        #expect(all.succeeded, "\(all)")
        let printed = all.stdout.split(separator: "\n")
        #expect(printed.count == 4)
        let first = String(printed.first ?? "")
        for part in ["2026-03-01T12:00:00.000Z", "high", "blocked", "ip-denied", "203.0.113.9", "GET /admin", "trace=trace-a1"] {
            #expect(first.contains(part), "'\(part)' missing in: \(first)")
        }
        #expect(!all.stdout.contains("\u{1B}"), "an escape sequence in an event must not reach the terminal")
        #expect(all.stdout.contains("\\u{1b}[31m"))

        let blocked = try runGatewayCommand(["events", "tail", "--file", file, "--where", "gateway.action=blocked",
                                             "--where", "event.severity=73", "-n", "1", "--json"])
        #expect(blocked.succeeded, "\(blocked)")
        let objects = try blocked.stdout.split(separator: "\n").map(eventJSON)
        #expect(objects.map { eventField($0, "event.id") } == ["a3"])

        let badWhere = try runGatewayCommand(["events", "tail", "--file", file, "--where", "nonsense"])
        #expect(badWhere.exitCode != 0 && badWhere.stderr.contains("field=value"), "\(badWhere)")
    }

    @Test("events tail --file --follow prints events appended later")
    func tailFollow() throws {
        let dir = try TemporaryDirectory(prefix: "gw-events-follow")
        defer { dir.remove() }
        let file = try dir.write("events.jsonl", eventLine(id: "old", action: "blocked", rule: "r", severity: 21, ip: "192.0.2.1", path: "/") + "\n")
        let tail = try ChildProcess.spawn([try Paths.gatewayBinary(), "events", "tail", "--file", file, "-f", "-n", "0", "--json"],
                                          stdoutPath: dir.file("out"), stderrPath: dir.file("err"))
        defer { tail.stop() }
        sleepSeconds(0.5)
        let handle = try #require(FileHandle(forWritingAtPath: file))
        handle.seekToEndOfFile()
        handle.write(Data((eventLine(id: "new", action: "blocked", rule: "r", severity: 21, ip: "192.0.2.1", path: "/") + "\n").utf8))
        try handle.close()
        #expect(eventually(timeout: 10) { readTextFile(dir.file("out")).contains("\"new\"") }, "\(readTextFile(dir.file("err")))")
        #expect(!readTextFile(dir.file("out")).contains("\"old\""))
    }

    @Test("events tail --redis: latest entries, and a consumer group that acknowledges what it read")
    func tailRedis() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let stream = "gateway:events"
        let readGroup = ["events", "tail", "--redis", redis.address, "--stream", stream, "--group", "soc", "--consumer", "c1", "--json"]
        let empty = try runGatewayCommand(readGroup)  // creates the group at the stream's end
        #expect(empty.succeeded && empty.stdout.isEmpty, "\(empty)")
        for (index, action) in ["blocked", "flagged", "blocked"].enumerated() {
            let line = eventLine(id: "r\(index)", action: action, rule: "rule-\(index)", severity: 73, ip: "192.0.2.\(index)", path: "/p")
            _ = try redis.cli(["XADD", stream, "*", "event", line])
        }
        let latest = try runGatewayCommand(["events", "tail", "--redis", redis.address, "--stream", stream, "-n", "2", "--json"])
        #expect(try latest.stdout.split(separator: "\n").map { eventField(try eventJSON($0), "event.id") } == ["r1", "r2"], "\(latest)")
        let filtered = try runGatewayCommand(["events", "tail", "--redis", redis.address, "--where", "gateway.action=blocked"])
        #expect(filtered.stdout.split(separator: "\n").count == 2 && filtered.stdout.contains("rule-2"), "\(filtered)")

        let first = try runGatewayCommand(readGroup)
        #expect(try first.stdout.split(separator: "\n").map { eventField(try eventJSON($0), "event.id") } == ["r0", "r1", "r2"], "\(first)")
        let again = try runGatewayCommand(readGroup)
        #expect(again.succeeded && again.stdout.isEmpty, "acknowledged entries are not read again: \(again)")
        #expect(try redis.cli(["XPENDING", stream, "soc"]).hasPrefix("0"))
    }

    // MARK: A running gateway (needs the dispatcher wired into `gateway run`)

    @Test("a running gateway writes its events to a file and a Redis stream; SIGUSR1 reopens, SIGTERM flushes")
    func runningGateway() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let dead = try ReservedPort()
        defer { dead.close() }
        let dir = try TemporaryDirectory(prefix: "gw-events-run")
        defer { dir.remove() }
        let file = dir.file("events.jsonl")
        var config = GatewayConfig(targets: [dead.address])
        config.extraYAML = """
            redis: { address: \(redis.address) }
            events:
              sinks:
                - { type: file, path: \(file) }
                - { type: redis_stream, stream: "it:events" }
              spool_dir: \(dir.file("spool"))

            """
        let gw = try GatewayProcess.start(config)
        defer { gw.stop() }

        // An upstream failure (502) raises `upstream-failure` with the request id as trace.id.
        let requestID = "it-events-0123456789"
        let failed = try oneRequest(port: gw.httpPort, "GET", "/records?ssn=123-45-6789", headers: [("X-Request-ID", requestID)])
        #expect(failed.status == 502, "\(failed)")
        var fileEvents: [[String: Any]] = []
        #expect(eventually(timeout: 10) {
            fileEvents = (try? readTextFile(file).split(separator: "\n").map(eventJSON)) ?? []
            return fileEvents.contains { eventField($0, "trace.id") == requestID }
        }, "no event for \(requestID) in \(file)\n\(gw.diagnostics)")
        let event = try #require(fileEvents.first { eventField($0, "trace.id") == requestID })
        #expect(eventField(event, "event.action") == "upstream-failure")
        #expect(eventField(event, "url.path") == "/records")
        #expect(eventField(event, "source.ip") == "127.0.0.1")
        #expect(eventField(event, "http.request.method") == "GET")
        #expect(!readTextFile(file).contains("123-45-6789"), "the query string never reaches an event")
        #expect(eventually(timeout: 10) { ((try? redis.events("it:events")) ?? []).contains { eventField($0, "trace.id") == requestID } })

        // A malformed request raises `protocol-violation`.
        let raw = try RawConnection(port: gw.httpPort)
        try raw.send("GET /x HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
        _ = try? raw.readFinalResponse()
        raw.close()
        #expect(eventually(timeout: 10) { readTextFile(file).contains("protocol-violation") }, "\(gw.diagnostics)")

        // logrotate: move the file, SIGUSR1, and the next event goes to a new file.
        rename(file, file + ".1")
        gw.signal(SIGUSR1)
        #expect(eventually(timeout: 10) { FileManager.default.fileExists(atPath: file) }, "no new file after SIGUSR1\n\(gw.diagnostics)")
        _ = try oneRequest(port: gw.httpPort, "GET", "/after-reopen", headers: [("X-Request-ID", "it-events-reopen")])
        #expect(eventually(timeout: 10) { readTextFile(file).contains("it-events-reopen") })

        // What was raised just before SIGTERM is delivered before the process exits.
        for index in 0..<20 {
            _ = try oneRequest(port: gw.httpPort, "GET", "/burst", headers: [("X-Request-ID", "it-events-burst-\(index)")])
        }
        gw.signal(SIGTERM)
        #expect(gw.waitForExit(timeout: 40) != nil, "gateway did not exit after SIGTERM")
        let delivered = try redis.events("it:events").compactMap { eventField($0, "trace.id") }
        #expect((0..<20).allSatisfy { delivered.contains("it-events-burst-\($0)") }, "\(delivered)")

        // The analyst's view of the same stream.
        let tail = try runGatewayCommand(["events", "tail", "--redis", redis.address, "--stream", "it:events",
                                          "--where", "trace.id=\(requestID)"])
        #expect(tail.stdout.contains("upstream-failure") || tail.stdout.contains("upstream.502"), "\(tail)")
        #expect(tail.stdout.contains("GET /records"), "\(tail)")
    }
}
}
