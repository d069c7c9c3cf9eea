import GatewayConfig
import Testing
@testable import GatewayCore

/// Whether a reload keeps an upstream's pool: `RuntimeUpstream` equality.
@Suite struct RuntimeUpstreamTests {
    /// Upstream `app` of a config whose upstream section is `upstream` (indented under `app:`).
    private func app(_ upstream: String, route: String = "/") throws -> RuntimeConfig.RuntimeUpstream {
        let yaml = """
            listeners: [{ name: web, address: "127.0.0.1:8080" }]
            upstreams:
              app:
            \(upstream.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            routes: [{ name: main, match: { path_prefix: "\(route)" }, upstream: app }]
            """
        let diagnostics = ConfigDiagnostics()
        let configuration = try #require(ConfigLoader.parse(yaml: yaml, path: "/test/gateway.yaml", diagnostics: diagnostics))
        let runtime = try #require(RuntimeConfig.build(configuration, registry: PluginRegistry(), diagnostics: diagnostics),
                                   "\(diagnostics.errors)")
        return runtime.upstreams[0]
    }

    private let base = """
        targets: ["127.0.0.1:9001", { address: "127.0.0.1:9002", weight: 2 }]
        health: { max_failures: 2, check: { path: /healthz } }
        tls: { server_name: app.internal }
        """

    @Test func sameSettingsAreEqualEvenWithOtherRoutes() throws {
        // Each load builds its own TLS context: equal by settings, not identity.
        #expect(try app(base) == app(base, route: "/api/"))
    }

    @Test(arguments: [
        ("weight", #"{ address: "127.0.0.1:9002", weight: 2 }"#, #"{ address: "127.0.0.1:9002", weight: 3 }"#),
        ("target", #""127.0.0.1:9001""#, #""127.0.0.1:9003""#),
        ("health", "max_failures: 2", "max_failures: 3"),
        ("check", "path: /healthz", "path: /ready"),
        ("tls", "server_name: app.internal", "server_name: other.internal"),
    ])
    func anyUpstreamSettingChangeIsUnequal(_ what: String, _ from: String, _ to: String) throws {
        let changed = base.replacingOccurrences(of: from, with: to)
        #expect(changed != base, "the \(what) case changes nothing")
        #expect(try app(base) != app(changed), "a changed \(what) kept the pool")
    }

    @Test func balanceMaxIdleAndPlainVersusTLSAreCompared() throws {
        #expect(try app(base) != app(base + "\nbalance: least_connections"))
        #expect(try app(base) != app(base + "\nmax_idle: 3"))
        let plain = base.split(separator: "\n").filter { !$0.hasPrefix("tls:") }.joined(separator: "\n")
        #expect(try app(base) != app(plain))
    }
}
