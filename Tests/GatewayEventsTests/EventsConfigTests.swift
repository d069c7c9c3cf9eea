import Testing
import GatewayConfig
import GatewayNetwork

@Suite("events: and redis: config sections")
struct EventsConfigTests {
    static let base = """
        listeners:
          - name: web
            address: 127.0.0.1:8080
        upstreams:
          app:
            targets: [127.0.0.1:18080]
        routes:
          - name: default
            match: { path_prefix: / }
            upstream: app

        """

    func load(_ yaml: String) -> Result<GatewayConfiguration, ConfigDiagnostics> { parseConfig(Self.base, yaml) }

    func errors(_ yaml: String) -> [String] { configErrors(Self.base, yaml) }

    @Test("the contract example loads, with defaults for what it leaves out")
    func contract() throws {
        let configuration = try load("""
            redis: { address: 127.0.0.1:6379, timeout: 50ms }
            events:
              sinks:
                - { type: file, path: /var/log/gateway/events.jsonl }
                - { type: redis_stream, stream: "gateway:events", max_len: 1000000 }
                - { type: syslog, address: "udp://127.0.0.1:514" }
              queue: 10000
              spool_dir: /var/lib/gateway/spool

            """).get()
        let redis = try #require(configuration.redis)
        #expect(redis.address == .tcp(SocketAddress("127.0.0.1:6379")!))
        #expect(redis.timeout == .milliseconds(50) && redis.password == nil && redis.database == 0 && redis.keyPrefix == "")
        let events = try #require(configuration.events)
        #expect(events.queueCapacity == 10_000)
        #expect(events.spoolDirectory == "/var/lib/gateway/spool")
        #expect(events.spoolMaxBytes == 100 << 20 && events.flushTimeout == .seconds(5))
        #expect(events.sinks.map(\.name) == ["file", "redis_stream", "syslog"])
        guard case .file(let file) = events.sinks[0].kind, case .redisStream(let stream) = events.sinks[1].kind,
              case .syslog(let syslog) = events.sinks[2].kind
        else { Issue.record("wrong sink kinds"); return }
        #expect(file.path == "/var/log/gateway/events.jsonl" && file.maxSize == nil && file.keep == 5)
        #expect(stream.stream == "gateway:events" && stream.maxLength == 1_000_000 && stream.timeout == .seconds(1))
        #expect(stream.redis.address == redis.address)
        #expect(syslog.transport == .udp && syslog.address == SocketAddress("127.0.0.1:514")!)
        #expect(syslog.facility == 16 && syslog.appName == "gateway" && syslog.hostname == nil)
    }

    @Test("every key can be set; relative paths resolve against the config folder")
    func allKeys() throws {
        let configuration = try load("""
            redis:
              address: unix:/run/redis/redis.sock
              timeout: 20ms
              password: s3cret
              database: 3
              key_prefix: "gw1:"
            events:
              sinks:
                - type: file
                  name: audit
                  path: logs/events.jsonl
                  max_size: 10MiB
                  keep: 3
                - type: redis_stream
                  name: soc
                  stream: sec
                  max_len: 5000
                  timeout: 2s
                - type: syslog
                  address: tcp://[::1]:601
                  facility: authpriv
                  app_name: gw
                  hostname: edge-1
              queue: 500
              spool_dir: spool
              spool_max: 1GiB
              flush_timeout: 10s

            """).get()
        let redis = try #require(configuration.redis)
        #expect(redis.address == .unix(path: "/run/redis/redis.sock") && redis.address.description == "unix:/run/redis/redis.sock")
        #expect(redis.timeout == .milliseconds(20) && redis.password == "s3cret" && redis.database == 3 && redis.keyPrefix == "gw1:")
        let events = try #require(configuration.events)
        #expect(events.queueCapacity == 500 && events.spoolDirectory == "/etc/gateway/spool")
        #expect(events.spoolMaxBytes == 1 << 30 && events.flushTimeout == .seconds(10))
        #expect(events.sinks.map(\.name) == ["audit", "soc", "syslog"])
        guard case .file(let file) = events.sinks[0].kind, case .redisStream(let stream) = events.sinks[1].kind,
              case .syslog(let syslog) = events.sinks[2].kind
        else { Issue.record("wrong sink kinds"); return }
        #expect(file.path == "/etc/gateway/logs/events.jsonl" && file.maxSize == 10 << 20 && file.keep == 3)
        #expect(stream.stream == "sec" && stream.maxLength == 5000 && stream.timeout == .seconds(2))
        #expect(syslog.transport == .tcp && syslog.address == SocketAddress("[::1]:601")!)
        #expect(syslog.facility == 10 && syslog.appName == "gw" && syslog.hostname == "edge-1")
    }

    @Test("no events: section means no sinks (events go to stderr)")
    func absent() throws {
        let configuration = try load("").get()
        #expect(configuration.events == nil && configuration.redis == nil)
    }

    @Test("mistakes are reported at their line and column")
    func mistakes() {
        let found = errors("""
            redis: { address: "localhost", database: -1 }
            events:
              sinks:
                - { type: kafka }
                - { path: /tmp/x }
                - { type: file, path: /tmp/a, max_sise: 1MiB }
                - { type: file, path: /tmp/b }
                - { type: syslog, address: "127.0.0.1:514" }
                - { type: syslog, name: "bad name", address: "udp://127.0.0.1:514", facility: local9, app_name: "has space" }
              queue: 0
              spool_max: 10

            """)
        let expected = [
            "/etc/gateway/gw.yaml:11:19: invalid address 'localhost': missing port; expected host:port such as 127.0.0.1:8080",
            "/etc/gateway/gw.yaml:11:42: expected an integer from 0 to 2147483647, found '-1'",
            "/etc/gateway/gw.yaml:14:15: expected 'file', 'redis_stream' or 'syslog', found 'kafka'",
            "/etc/gateway/gw.yaml:15:7: missing required key 'type' in event sink (file, redis_stream, syslog)",
            "/etc/gateway/gw.yaml:16:35: unknown key 'max_sise' in file sink; did you mean 'max_size'?",
            "/etc/gateway/gw.yaml:17:15: duplicate sink name 'file'; first used at line 16 (give each sink of the same type a 'name')",
            "/etc/gateway/gw.yaml:18:32: expected a syslog address such as udp://127.0.0.1:514 or tcp://logs.internal:601, found '127.0.0.1:514'",
            "/etc/gateway/gw.yaml:19:29: invalid sink name 'bad name'; use letters, digits, '-' and '_'",
            "/etc/gateway/gw.yaml:19:83: expected 'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6' or 'local7', found 'local9'",
            "/etc/gateway/gw.yaml:19:101: expected 1 to 48 printable ASCII characters without spaces, found 'has space'",
            "/etc/gateway/gw.yaml:20:10: expected an integer from 1 to 10000000, found '0'",
            "/etc/gateway/gw.yaml:21:14: expected a size >= 1MiB, found '10'",
        ]
        #expect(found == expected, "\(found.joined(separator: "\n"))")
    }

    @Test("a redis_stream sink needs the top-level redis: section")
    func streamNeedsRedis() {
        #expect(errors("""
            events:
              sinks: [{ type: redis_stream }]

            """) == ["/etc/gateway/gw.yaml:12:19: a redis_stream sink needs the top-level 'redis:' section (address, ...)"])
        #expect(errors("""
            events:
              sinks: []

            """) == ["/etc/gateway/gw.yaml:12:10: at least one sink is required"])
    }
}
