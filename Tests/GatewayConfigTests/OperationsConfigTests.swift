import Foundation
import GatewayConfig
import Testing

/// `timeouts.drain`, `admin.allow_remote`, `access_log:` and the redacted view `/config` serves.
@Suite struct OperationsConfigTests {
    private static let base = """
        listeners: [{ name: web, address: 127.0.0.1:8080 }]
        upstreams: { app: { targets: [127.0.0.1:9000] } }
        routes: [{ name: main, match: { path_prefix: / }, upstream: app }]

        """

    private func parse(_ extra: String) -> Result<GatewayConfiguration, ConfigDiagnostics> {
        ConfigLoader.parse(yaml: OperationsConfigTests.base + extra, path: "/etc/gw/gateway.yaml")
    }

    private func errors(_ extra: String) -> [String] {
        guard case .failure(let d) = parse(extra) else { return [] }
        return d.errors.map(\.description)
    }

    @Test func drainTimeoutDefaultsTo30sAndIsConfigurable() throws {
        #expect(try parse("").get().timeouts.drain == .seconds(30))
        #expect(try parse("timeouts: { drain: 5s }").get().timeouts.drain == .seconds(5))
        #expect(errors("timeouts: { drain: 5 }").first?.hasPrefix("/etc/gw/gateway.yaml:4:20:") == true)
    }

    @Test func adminMustBeLoopbackUnlessAllowed() throws {
        #expect(try parse("admin: { address: \"[::1]:9901\" }").get().admin?.allowRemote == false)
        let refused = errors("admin: { address: 10.0.0.5:9901 }")
        #expect(refused.count == 1)
        #expect(refused.first?.hasPrefix("/etc/gw/gateway.yaml:4:19: the admin address 10.0.0.5:9901 is not a loopback address") == true,
                "\(refused)")
        let allowed = try parse("admin: { address: 10.0.0.5:9901, allow_remote: true }").get().admin
        #expect(allowed?.allowRemote == true)
    }

    @Test func accessLogToAFileOrStdout() throws {
        let file = try #require(try parse("access_log: { path: logs/access.jsonl, max_size: 10MiB, keep: 3 }").get().accessLog)
        #expect(file.file.path == "/etc/gw/logs/access.jsonl")
        #expect(file.file.maxSize == 10 << 20 && file.file.keep == 3)
        #expect(!file.includeQuery && !file.isStdout)
        let stdout = try #require(try parse("access_log: { stdout: true, include_query: true }").get().accessLog)
        #expect(stdout.isStdout && stdout.includeQuery && stdout.file.path == "/dev/stdout")
    }

    @Test func accessLogMistakesAreReportedWithTheirPlace() {
        #expect(errors("access_log: { include_query: true }").first?.contains("access_log needs 'path' (a file) or 'stdout: true'") == true)
        let both = errors("access_log: { stdout: true, path: a.log }").first ?? ""
        #expect(both.hasPrefix("/etc/gw/gateway.yaml:4:") && both.contains("access_log takes either 'path' or 'stdout: true'"), "\(both)")
        #expect(errors("access_log: { stdout: true, max_size: 1MiB }").first?.contains("do not apply to stdout") == true)
        #expect(errors("access_log: { path: a.log, inclde_query: true }").first?.contains("did you mean 'include_query'") == true)
    }

    @Test func redactedJSONHidesSecretsAndKeepsTheRest() throws {
        let config = try parse("""
            redis: { address: "10.0.0.1:6379", password: hunter2 }
            filters:
              auth: { plugin: jwt, signing_key: abc, api_token: xyz, keys: [a, b], dsn: "postgres://user:pw123@db/x" }
            """).get()
        let json = try #require(config.source?.redactedJSON())
        for secret in ["hunter2", "pw123", "abc", "xyz"] { #expect(!json.contains(secret), "\(json)") }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let redis = object["redis"] as? [String: Any]
        #expect(redis?["password"] as? String == "[redacted]")
        #expect(redis?["address"] as? String == "10.0.0.1:6379")
        let auth = (object["filters"] as? [String: Any])?["auth"] as? [String: Any]
        #expect(auth?["dsn"] as? String == "postgres://[redacted]@db/x")
        #expect(auth?["keys"] as? [String] == ["a", "b"])
        #expect(auth?["plugin"] as? String == "jwt")
        #expect((object["listeners"] as? [[String: Any]])?.first?["address"] as? String == "127.0.0.1:8080")
    }
}
