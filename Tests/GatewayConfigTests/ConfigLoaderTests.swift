import Foundation
import GatewayConfig
import GatewayNetwork
import Testing

@Suite struct ConfigLoaderTests {
    @Test func fullValidFile() throws {
        let fixture = try Fixture(["certs/site.crt": "CERT", "certs/site.key": "KEY", "certs/other.crt": "CERT", "other.key": "KEY"])
        let yaml = """
            workers: 3
            trusted_proxies: [10.0.0.0/8, "2001:db8::/32", 192.168.1.1]
            listeners:
              - name: web
                address: 127.0.0.1:8080
              - name: web-tls
                address: "[::1]:8443"
                tls:
                  certificates:
                    - cert: certs/site.crt
                      key: certs/site.key
                    - { cert: ./certs/other.crt, key: \(fixture.path("other.key")) }
                  min_version: 1.3
                  ciphers: ECDHE-RSA-AES128-GCM-SHA256
            admin:
              address: 127.0.0.1:9901
            limits:
              max_header_bytes: 32KiB
              max_headers: 50
              max_uri_bytes: 4096
              max_body_bytes: 1MB
              max_connections: 10_000
            timeouts:
              header: 5s
              idle: 2m
              body: 1h
              send: 1d
              upstream_connect: 500ms
              upstream_response: 90s
              upstream_idle: 15m
            upstreams:
              app:
                targets: [127.0.0.1:18080, "[::1]:18081", 127.0.0.1:18080]
                max_idle: 8
              api:
                targets:
                  - localhost:9000
            routes:
              - name: api
                match: { path_prefix: /api/, hosts: [API.Example.org, "*.example.org"], methods: [get, POST] }
                listeners: [web-tls]
                upstream: api
                filters: [headers, cors]
              - name: default
                match:
                  path_prefix: /
                upstream: app
            filters:
              cors:
                plugin: cors
                allow_origins: ["https://app.example.org"]
                max_age: 10m
              headers:
                plugin: headers

            """
        let config = try fixture.load(yaml).get()
        #expect(config.path == fixture.path("gateway.yaml"))
        #expect(config.workers == 3)
        #expect(config.trustedProxies.contains(IPAddress("10.9.8.7")!))
        #expect(config.trustedProxies.contains(IPAddress("2001:db8::5")!))
        #expect(config.trustedProxies.contains(IPAddress("192.168.1.1")!))
        #expect(!config.trustedProxies.contains(IPAddress("192.168.1.2")!))

        #expect(config.listeners.map(\.name) == ["web", "web-tls"])
        #expect(config.listeners.map(\.address) == [SocketAddress("127.0.0.1:8080")!, SocketAddress("[::1]:8443")!])
        #expect(config.listeners[0].tls == nil)
        #expect(config.listeners[1].location.line == 6)
        #expect(config.listeners[1].addressLocation.line == 7)
        let tls = try #require(config.listeners[1].tls)
        #expect(tls.certificates.map(\.certPath) == [fixture.path("certs/site.crt"), fixture.path("certs/other.crt")])
        #expect(tls.certificates.map(\.keyPath) == [fixture.path("certs/site.key"), fixture.path("other.key")])
        #expect(tls.certificates[0].location == ConfigLocation(file: fixture.path("gateway.yaml"), line: 10, column: 17))
        #expect(tls.certificates[0].keyLocation.line == 11)
        #expect(tls.minVersion == .v1_3)
        #expect(tls.ciphers == "ECDHE-RSA-AES128-GCM-SHA256")
        #expect(tls.ciphersLocation?.line == 14)

        #expect(config.admin?.address == SocketAddress("127.0.0.1:9901"))
        #expect(config.admin?.location.line == 16)

        #expect(config.limits.maxHeaderBytes == 32 * 1024)
        #expect(config.limits.maxHeaders == 50)
        #expect(config.limits.maxURIBytes == 4096)
        #expect(config.limits.maxBodyBytes == 1_000_000)
        #expect(config.limits.maxConnections == 10_000)

        #expect(config.timeouts.header == .seconds(5))
        #expect(config.timeouts.idle == .seconds(120))
        #expect(config.timeouts.body == .seconds(3600))
        #expect(config.timeouts.send == .seconds(86400))
        #expect(config.timeouts.upstreamConnect == .milliseconds(500))
        #expect(config.timeouts.upstreamResponse == .seconds(90))
        #expect(config.timeouts.upstreamIdle == .seconds(900))

        #expect(config.upstreams.map(\.name) == ["app", "api"])
        #expect(config.upstreams[0].targets.map(\.address) == [SocketAddress("127.0.0.1:18080")!, SocketAddress("[::1]:18081")!])
        #expect(config.upstreams[0].maxIdle == 8)
        #expect(config.upstreams[0].location.line == 32)
        #expect(config.upstreams[1].targets.map(\.address).allSatisfy { $0.port == 9000 && ($0.ip == IPAddress("127.0.0.1") || $0.ip == IPAddress("::1")) })
        #expect(!config.upstreams[1].targets.isEmpty)

        let api = config.routes[0]
        #expect(config.routes.map(\.name) == ["api", "default"])
        #expect(api.pathPrefix == "/api/")
        #expect(api.hosts == ["api.example.org", "*.example.org"])
        #expect(api.methods == ["GET", "POST"])
        #expect(api.listeners == ["web-tls"])
        #expect(api.upstream == "api")
        #expect(api.filters == ["headers", "cors"])
        #expect(api.location.line == 39)
        #expect(config.routes[1].listeners == nil)

        #expect(config.filters.map(\.name) == ["cors", "headers"])
        #expect(config.filters.map(\.plugin) == ["cors", "headers"])
        #expect(config.filters[0].pluginLocation.line == 50)
        #expect(config.filters[0].location.line == 49)

        // The plugin reads its settings without seeing `plugin:`.
        let d = ConfigDiagnostics()
        let settings = try #require(config.filters[0].settings.mapping(d, keys: ["allow_origins", "max_age"]))
        #expect(settings.keys == ["allow_origins", "max_age"])
        #expect(settings["max_age"]?.duration(d) == .seconds(600))
        #expect(settings["allow_origins"]?.stringList(d) == ["https://app.example.org"])
        #expect(config.filters[1].settings.mapping(d, keys: [])?.keys == [])
        #expect(!d.hasErrors)

        #expect(config.sourceHash.count == 16 && config.sourceHash.allSatisfy(\.isHexDigit))
        let again = try fixture.load(yaml).get()
        #expect(again.sourceHash == config.sourceHash)
        let changed = try fixture.load(yaml + "# edited\n").get()
        #expect(changed.sourceHash != config.sourceHash)
    }

    @Test func defaults() throws {
        let config = try ConfigLoader.parse(yaml: minimalYAML, path: "gw.yaml").get()
        #expect(config.workers == ProcessInfo.processInfo.activeProcessorCount)
        #expect(config.trustedProxies.isEmpty)
        #expect(config.admin == nil)
        #expect(config.filters.isEmpty)
        #expect(config.listeners[0].tls == nil)
        #expect(config.upstreams[0].maxIdle == 64)
        #expect(config.routes[0].hosts.isEmpty && config.routes[0].methods.isEmpty && config.routes[0].filters.isEmpty)
        #expect(config.routes[0].listeners == nil)

        #expect(config.limits == LimitsConfig())
        #expect(config.limits.maxHeaderBytes == 16 * 1024)
        #expect(config.limits.maxHeaders == 100)
        #expect(config.limits.maxURIBytes == 8 * 1024)
        #expect(config.limits.maxBodyBytes == 10 * 1024 * 1024)
        #expect(config.limits.maxConnections == 10_000)

        #expect(config.timeouts == TimeoutsConfig())
        #expect(config.timeouts.header == .seconds(10))
        #expect(config.timeouts.idle == .seconds(75))
        #expect(config.timeouts.body == .seconds(30))
        #expect(config.timeouts.send == .seconds(30))
        #expect(config.timeouts.upstreamConnect == .seconds(5))
        #expect(config.timeouts.upstreamResponse == .seconds(60))
        #expect(config.timeouts.upstreamIdle == .seconds(60))
    }

    @Test func tlsDefaults() throws {
        let fixture = try Fixture(["a.crt": "", "a.key": ""])
        let config = try fixture.load("""
            listeners:
              - name: tls
                address: 127.0.0.1:8443
                tls: { certificates: [{ cert: a.crt, key: a.key }] }
            upstreams: { app: { targets: [127.0.0.1:1] } }
            routes: [{ name: r, match: { path_prefix: / }, upstream: app }]
            """).get()
        #expect(config.listeners[0].tls?.minVersion == .v1_2)
        #expect(config.listeners[0].tls?.ciphers == nil)
    }

    @Test func unknownKeys() {
        #expect(errors(minimalYAML.replacingOccurrences(of: "    address: 127.0.0.1:8080", with: "    adress: 127.0.0.1:8080")) == [
            "gw.yaml:3:5: unknown key 'adress' in listener; did you mean 'address'?",
        ])
        #expect(errors(minimalYAML + "listners: []\ntimeout: { header: 1s }\nlimits: { colour: blue }\n") == [
            "gw.yaml:11:1: unknown key 'listners' in the configuration; did you mean 'listeners'?",
            "gw.yaml:12:1: unknown key 'timeout' in the configuration; did you mean 'timeouts'?",
            "gw.yaml:13:11: unknown key 'colour' in limits (valid keys: max_header_bytes, max_headers, max_uri_bytes, max_body_bytes, max_connections)",
        ])
    }

    @Test func wrongTypes() {
        let yaml = """
            workers: many
            trusted_proxies: 10.0.0.0/8
            listeners:
              web:
                address: 127.0.0.1:8080
            upstreams:
              app:
                targets: [127.0.0.1:18080]
                max_idle: [1]
            routes:
              - name: default
                match: /
                upstream: { name: app }
            admin:

            """
        #expect(errors(yaml) == [
            "gw.yaml:1:10: expected an integer, found 'many'",
            "gw.yaml:2:18: expected a list, found '10.0.0.0/8'",
            "gw.yaml:4:3: expected a list, found a mapping",
            "gw.yaml:9:15: expected an integer, found a list",
            "gw.yaml:12:12: expected a mapping, found '/'",
            "gw.yaml:13:15: expected a string, found a mapping",
            "gw.yaml:14:7: expected a mapping, found an empty value",
        ])
    }

    @Test func badValues() throws {
        let fixture = try Fixture(["a.crt": "", "a.key": ""])
        let yaml = """
            trusted_proxies: [10.0.0.0/33, 10.0.0.1/8, bad]
            listeners:
              - name: web
                address: 127.0.0.1:99999
              - name: v6
                address: ::1:8080
              - name: tls
                address: localhost:8443
                tls:
                  certificates: [{ cert: a.crt, key: a.key }]
                  min_version: 1.1
            limits:
              max_header_bytes: 16XB
              max_uri_bytes: 0
              max_headers: 0
            timeouts:
              header: 10
              idle: 5 minutes
              body: 0s
              send: soon
            upstreams:
              app:
                targets: [127.0.0.1:0]
            routes:
              - name: default
                match: { path_prefix: api, hosts: ["bad host", "*.ok.org", "a..b"], methods: ["GE T"] }
                upstream: app

            """
        let path = fixture.path("gateway.yaml")
        guard case .failure(let d) = try fixture.load(yaml) else {
            Issue.record("expected errors")
            return
        }
        #expect(d.errors.map(\.description) == [
            "\(path):1:19: invalid network '10.0.0.0/33': the prefix length must be a number from 0 to 32",
            "\(path):1:44: invalid network 'bad': 'bad' is not an IP address; expected a network such as 10.0.0.0/8 or 2001:db8::/32",
            "\(path):4:14: invalid address '127.0.0.1:99999': the port must be a number from 1 to 65535, found '99999'",
            "\(path):6:14: invalid address '::1:8080': write IPv6 addresses in brackets, such as [::1]:8080",
            "\(path):8:14: invalid address 'localhost:8443': 'localhost' is not an IP address (host names are not allowed here)",
            "\(path):11:20: expected '1.2' or '1.3', found '1.1'",
            "\(path):13:21: unknown size unit 'XB' in '16XB'; use B, KB, MB, GB, KiB, MiB or GiB",
            "\(path):14:18: expected a size >= 1, found '0'",
            "\(path):15:16: expected an integer >= 1, found '0'",
            "\(path):17:11: duration '10' needs a unit: ms, s, m, h or d",
            "\(path):18:9: unknown duration unit 'minutes' in '5 minutes'; use ms, s, m, h or d",
            "\(path):19:9: a duration must be greater than 0, found '0s'",
            "\(path):20:9: expected a duration such as '30s' or '500ms', found 'soon'",
            "\(path):23:15: invalid address '127.0.0.1:0': the port must be a number from 1 to 65535, found '0'",
            "\(path):26:27: path_prefix must start with '/', found 'api'",
            "\(path):26:40: invalid host 'bad host'; expected a name such as api.example.org or a wildcard such as *.example.org",
            "\(path):26:64: invalid host 'a..b'; expected a name such as api.example.org or a wildcard such as *.example.org",
            "\(path):26:83: invalid method 'GE T'; expected an HTTP method such as GET or POST",
        ])
    }

    @Test func missingRequiredKeys() {
        let yaml = """
            listeners:
              - name: web
              - address: 127.0.0.1:8081
            upstreams:
              app: { max_idle: 1 }
            routes:
              - name: default
                upstream: app
            filters:
              cors: { allow_origins: [a] }
              auth: {}

            """
        #expect(errors(yaml) == [
            "gw.yaml:2:5: missing required key 'address' in listener",
            "gw.yaml:3:5: missing required key 'name' in listener",
            "gw.yaml:5:8: missing required key 'targets' in upstream 'app'",
            "gw.yaml:7:5: missing required key 'match' in route",
            "gw.yaml:10:9: missing required key 'plugin' in filter 'cors'",
            "gw.yaml:11:9: missing required key 'plugin' in filter 'auth'",
        ])
        #expect(errors("workers: 2\n") == [
            "gw.yaml:1:1: missing required key 'listeners' in the configuration",
            "gw.yaml:1:1: missing required key 'upstreams' in the configuration",
            "gw.yaml:1:1: missing required key 'routes' in the configuration",
        ])
        #expect(errors("listeners: []\nupstreams: {}\nroutes: []\n") == [
            "gw.yaml:1:12: at least one listener is required",
            "gw.yaml:2:12: at least one upstream is required",
            "gw.yaml:3:9: at least one route is required",
        ])
    }

    @Test func missingCertificateFiles() throws {
        let fixture = try Fixture(["certs/site.crt": "", "certs/dir/.keep": ""])
        let path = fixture.path("gateway.yaml")
        let result = try fixture.load("""
            listeners:
              - name: tls
                address: 127.0.0.1:8443
                tls:
                  certificates:
                    - cert: certs/site.crt
                      key: certs/site.key
                    - cert: \(fixture.path("missing.crt"))
                      key: certs/dir
                  ciphers: ""
              - name: tls2
                address: 127.0.0.1:8444
                tls: { certificates: [], min_version: "1.0" }
            upstreams: { app: { targets: [127.0.0.1:1] } }
            routes: [{ name: r, match: { path_prefix: / }, upstream: app }]
            """)
        guard case .failure(let d) = result else {
            Issue.record("expected errors")
            return
        }
        #expect(d.errors.map(\.description) == [
            "\(path):7:16: file 'certs/site.key' does not exist (resolved to \(fixture.path("certs/site.key")))",
            "\(path):8:17: file '\(fixture.path("missing.crt"))' does not exist",
            "\(path):9:16: file 'certs/dir' is a directory (resolved to \(fixture.path("certs/dir")))",
            "\(path):10:16: expected an OpenSSL cipher list, found an empty string",
            "\(path):13:26: at least one certificate is required",
            "\(path):13:43: expected '1.2' or '1.3', found '1.0'",
        ])
    }

    @Test func unknownReferences() {
        let yaml = """
            listeners:
              - name: web
                address: 127.0.0.1:8080
              - name: internal
                address: 127.0.0.1:8081
            upstreams:
              app: { targets: [127.0.0.1:18080] }
              billing: { targets: [127.0.0.1:18081] }
            routes:
              - name: a
                match: { path_prefix: /a }
                upstream: ap
                listeners: [web, public]
                filters: [cors]
              - name: b
                match: { path_prefix: /b }
                upstream: payments

            """
        #expect(errors(yaml) == [
            "gw.yaml:12:15: unknown upstream 'ap'; did you mean 'app'?",
            "gw.yaml:13:22: unknown listener 'public' (defined: web, internal)",
            "gw.yaml:14:15: unknown filter 'cors'; no filters are defined",
            "gw.yaml:17:15: unknown upstream 'payments' (defined: app, billing)",
        ])
        // References may come before the definitions.
        #expect(errors("""
            routes: [{ name: r, match: { path_prefix: / }, upstream: app, listeners: [web], filters: [f] }]
            filters: { f: { plugin: p } }
            upstreams: { app: { targets: [127.0.0.1:1] } }
            listeners: [{ name: web, address: 127.0.0.1:8080 }]
            """) == [])
    }

    @Test func duplicateNamesAndAddresses() {
        let yaml = """
            listeners:
              - name: web
                address: 127.0.0.1:8080
              - name: web
                address: 127.0.0.1:8081
              - name: other
                address: 127.0.0.1:8080
            admin:
              address: 127.0.0.1:8081
            upstreams:
              app: { targets: [127.0.0.1:18080] }
            routes:
              - { name: r, match: { path_prefix: / }, upstream: app }
              - { name: r, match: { path_prefix: /x }, upstream: app }

            """
        #expect(errors(yaml) == [
            "gw.yaml:4:11: duplicate listener name 'web'; first defined at line 2",
            "gw.yaml:7:14: address 127.0.0.1:8080 is already used by listener 'web' at line 3",
            "gw.yaml:9:12: address 127.0.0.1:8081 is already used by listener 'web' at line 5",
            "gw.yaml:14:13: duplicate route name 'r'; first defined at line 13",
        ])
    }

    @Test func yamlSyntaxErrors() {
        #expect(errors("listeners:\n  - name: web\n    address: [127.0.0.1:8080\nroutes: []\n") == [
            "gw.yaml:4:7: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 3, column 14)",
        ])
        #expect(errors("workers: 1\nlisteners\nroutes: []\n") == [
            "gw.yaml:3:1: invalid YAML: could not find expected ':' (while scanning a simple key at line 2, column 1)",
        ])
        #expect(errors("upstreams:\n  app:\n    targets: []\n    max_idle: 1\n    targets: []\n") == [
            "gw.yaml:5:5: duplicate key 'targets'; first defined at line 3",
        ])
        #expect(errors(minimalYAML + "---\nworkers: 1\n") == [
            "gw.yaml:12:1: a config file holds one YAML document; remove this second one",
        ])
        #expect(errors("") == ["gw.yaml:1:1: the file is empty; expected a mapping of settings"])
        #expect(errors("- a\n") == ["gw.yaml:1:1: expected a mapping, found a list"])
    }

    @Test func severalErrorsInFileOrder() {
        // The reference error is found last but sits first in the file.
        let yaml = """
            routes:
              - name: default
                match: { path_prefix: / }
                upstream: nowhere
            listeners:
              - name: web
                address: 127.0.0.1:80800
            timeouts:
              idle: forever
            upstreams:
              app: { targets: [127.0.0.1:18080], max_idel: 3 }

            """
        #expect(errors(yaml) == [
            "gw.yaml:4:15: unknown upstream 'nowhere' (defined: app)",
            "gw.yaml:7:14: invalid address '127.0.0.1:80800': the port must be a number from 1 to 65535, found '80800'",
            "gw.yaml:9:9: expected a duration such as '30s' or '500ms', found 'forever'",
            "gw.yaml:11:38: unknown key 'max_idel' in upstream 'app'; did you mean 'max_idle'?",
        ])
    }

    @Test func relativePathsResolveAgainstTheConfigFolder() throws {
        let fixture = try Fixture(["etc/gateway/tls/a.crt": "", "etc/shared/a.key": ""])
        try fixture.write("etc/gateway/gateway.yaml", """
            listeners:
              - name: tls
                address: 127.0.0.1:8443
                tls: { certificates: [{ cert: tls/a.crt, key: ../shared/a.key }] }
            upstreams: { app: { targets: [127.0.0.1:1] } }
            routes: [{ name: r, match: { path_prefix: / }, upstream: app }]
            """)
        // Loaded through a path relative to the working directory (not changed: tests run in
        // parallel); cert paths still resolve against the config's folder.
        let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
        let relative = String(repeating: "../", count: depth) + fixture.path("etc/gateway/gateway.yaml").dropFirst()
        let config = try ConfigLoader.load(path: relative).get()
        let certificate = try #require(config.listeners.first?.tls?.certificates.first)
        #expect(certificate.certPath == fixture.path("etc/gateway/tls/a.crt"))
        #expect(certificate.keyPath == fixture.path("etc/shared/a.key"))
        #expect(certificate.location.file == relative)
    }

    @Test func unreadableFiles() throws {
        let fixture = try Fixture(["bad.yaml": ""])
        let missing = fixture.path("nope.yaml")
        #expect(loadErrors(missing) == ["\(missing):1:1: config file does not exist"])
        #expect(loadErrors(fixture.directory) == ["\(fixture.directory):1:1: config file is a directory"])
        let bad = fixture.path("bad.yaml")
        // "a: 1\nb: é" then a byte that is never UTF-8.
        try Data([0x61, 0x3a, 0x20, 0x31, 0x0a, 0x62, 0x3a, 0x20, 0xc3, 0xa9, 0xff, 0x0a]).write(to: URL(fileURLWithPath: bad))
        #expect(loadErrors(bad) == ["\(bad):2:5: the file is not valid UTF-8"])
    }

    private func loadErrors(_ path: String) -> [String] {
        guard case .failure(let d) = ConfigLoader.load(path: path) else { return [] }
        return d.errors.map(\.description)
    }

    @Test func unresolvableTargets() {
        let yaml = minimalYAML.replacingOccurrences(of: "[127.0.0.1:18080]", with: "[no-such-host.invalid:80, 010.1.1.1:80]")
        let found = errors(yaml)
        #expect(found.count == 2)
        #expect(found.first?.hasPrefix("gw.yaml:6:15: cannot resolve 'no-such-host.invalid' in 'no-such-host.invalid:80': ") == true)
        #expect(found.last == "gw.yaml:6:40: invalid address '010.1.1.1:80': '010.1.1.1' is not a valid IPv4 address")
    }

    @Test func partialResultLetsPluginsBeCheckedDespiteErrors() throws {
        let d = ConfigDiagnostics()
        let yaml = minimalYAML + "workers: 0\nfilters: { cors: { plugin: cors, max_age: 1s } }\n"
        let config = try #require(ConfigLoader.parse(yaml: yaml, path: "gw.yaml", diagnostics: d))
        #expect(d.hasErrors)
        #expect(config.filters.map(\.name) == ["cors"])
        // The engine adds plugin problems to the same diagnostics, in file order.
        _ = config.filters[0].settings.mapping(d, keys: ["allow_origins"], in: "filter 'cors'")
        #expect(d.description == """
            gw.yaml:11:10: expected an integer >= 1, found '0'
            gw.yaml:12:34: unknown key 'max_age' in filter 'cors' (valid keys: allow_origins)
            """)
    }
}
