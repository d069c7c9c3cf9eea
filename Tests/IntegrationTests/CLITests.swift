// The command line: `gateway version`, `gateway check` (exit codes and PATH:LINE:COL
// diagnostics), `gateway run` start-up and signal handling.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A config directory with certs/ (relative paths in the YAML are relative to it).
struct ConfigDir {
    let dir: TemporaryDirectory
    let pki: TestPKI

    static func make() throws -> ConfigDir {
        let pki = try TestPKI.generate()
        let dir = try TemporaryDirectory(prefix: "gw-conf")
        try FileManager.default.createDirectory(atPath: dir.file("certs"), withIntermediateDirectories: true)
        for (from, to) in [(pki.ec.cert, "certs/site.crt"), (pki.ec.key, "certs/site.key"),
                           (pki.rsa.cert, "certs/rsa.crt"), (pki.rsa.key, "certs/rsa.key")] {
            try FileManager.default.copyItem(atPath: from, toPath: dir.file(to))
        }
        return ConfigDir(dir: dir, pki: pki)
    }

    func remove() {
        dir.remove()
        pki.remove()
    }

    /// A complete valid config in the contract's shape (relative certificate paths).
    static func validYAML(ports: [UInt16]) -> String {
        """
        workers: 1
        trusted_proxies: [10.0.0.0/8]
        listeners:
          - { name: web, address: 127.0.0.1:\(ports[0]) }
          - name: web-tls
            address: 127.0.0.1:\(ports[1])
            tls:
              certificates:
                - { cert: certs/site.crt, key: certs/site.key }
                - { cert: certs/rsa.crt, key: certs/rsa.key }
              min_version: "1.2"
        admin: { address: 127.0.0.1:\(ports[2]) }
        limits: { max_header_bytes: 16KiB, max_headers: 100, max_uri_bytes: 8KiB, max_body_bytes: 10MiB, max_connections: 10000 }
        timeouts: { header: 10s, idle: 75s, body: 30s, send: 30s, upstream_connect: 5s, upstream_response: 60s, upstream_idle: 60s }
        upstreams:
          app: { targets: [127.0.0.1:\(ports[3])], max_idle: 64 }
        routes:
          - name: default
            match: { path_prefix: / }
            upstream: app
            filters: []
        filters: {}

        """
    }
}

extension GatewayIntegration {
@Suite("Command line: version, check, run and signals")
struct CLI {

    @Test("gateway version exits 0 and prints something")
    func version() throws {
        let r = try runGatewayCommand(["version"])
        #expect(r.succeeded, "\(r)")
        #expect(!(r.stdout + r.stderr).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test("gateway check accepts the contract's example config, relative paths resolved from the config's folder")
    func checkValid() throws {
        let c = try ConfigDir.make()
        defer { c.remove() }
        let path = try c.dir.write("gateway.yaml", ConfigDir.validYAML(ports: try Ports.free(count: 4)))
        // run from another directory: certs/... must be found relative to the config file
        let r = try runGatewayCommand(["check", "--config", path], workingDirectory: "/")
        #expect(r.succeeded, "\(r)")
        #expect(ConfigDiagnostic.parse(r.stderr, path: path).isEmpty, "\(r)")
    }

    /// Replaces the line of the valid config that contains `old` by `new` (one or more
    /// lines), runs check, and expects exit 1 with a PATH:LINE:COL diagnostic on the line
    /// that contains `lineMarker`.
    private func expectInvalid(
        replacingLineWith old: String, by new: String, lineMarker: String, column: Int? = nil,
        mentions: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let c = try ConfigDir.make()
        defer { c.remove() }
        let valid = ConfigDir.validYAML(ports: try Ports.free(count: 4))
        var lines = valid.components(separatedBy: "\n")
        let index = try #require(lines.firstIndex { $0.contains(old) }, "test bug: \(old) not in the config",
                                 sourceLocation: sourceLocation)
        lines[index] = new
        let text = lines.joined(separator: "\n")
        let path = try c.dir.write("gateway.yaml", text)
        let r = try runGatewayCommand(["check", "--config", path], workingDirectory: "/")
        #expect(r.exitCode == 1, "expected exit 1:\n\(r)", sourceLocation: sourceLocation)
        let diags = ConfigDiagnostic.parse(r.stderr, path: path)
        let line = try #require(lineNumber(of: lineMarker, in: text), sourceLocation: sourceLocation)
        let onLine = diags.filter { $0.line == line }
        #expect(!onLine.isEmpty, "no \(path):\(line):COL: diagnostic for `\(lineMarker)`:\n\(r.stderr)",
                sourceLocation: sourceLocation)
        if let column, let d = onLine.first {
            #expect(d.column == column, "column \(d.column), expected \(column): \(d)", sourceLocation: sourceLocation)
        }
        for word in mentions {
            #expect(onLine.contains { $0.message.contains(word) }, "the diagnostic does not mention \(word): \(diags)",
                    sourceLocation: sourceLocation)
        }
    }

    @Test("an unknown top-level key: exit 1, PATH:LINE:COL, the nearest valid key suggested")
    func unknownTopLevelKey() throws {
        try expectInvalid(replacingLineWith: "listeners:", by: "listners:", lineMarker: "listners:", column: 1,
                          mentions: ["listeners"])
    }

    @Test("an unknown nested key: exit 1 on its line, the nearest valid key suggested")
    func unknownNestedKey() throws {
        try expectInvalid(replacingLineWith: "limits:", by: "limits:\n  max_headers: 100\n  max_header_byte: 16KiB\n  max_body_bytes: 10MiB",
                          lineMarker: "max_header_byte:", column: 3, mentions: ["max_header_bytes"])
    }

    @Test("a missing certificate file: exit 1 on the line of that certificate")
    func missingCertificate() throws {
        try expectInvalid(replacingLineWith: "cert: certs/rsa.crt", by: "        - { cert: certs/missing.crt, key: certs/rsa.key }",
                          lineMarker: "certs/missing.crt", mentions: ["missing.crt"])
    }

    @Test("a bad listener address: exit 1 on its line")
    func badAddress() throws {
        try expectInvalid(replacingLineWith: "name: web, address:", by: "  - { name: web, address: 127.0.0.1:99999 }",
                          lineMarker: "127.0.0.1:99999")
    }

    @Test("a route naming an unknown upstream: exit 1 on its line")
    func unknownUpstream() throws {
        try expectInvalid(replacingLineWith: "upstream: app", by: "    upstream: nope", lineMarker: "upstream: nope",
                          mentions: ["nope"])
    }

    @Test("an unsupported min_version: exit 1 on its line")
    func badMinVersion() throws {
        try expectInvalid(replacingLineWith: "min_version:", by: "      min_version: \"1.1\"", lineMarker: "min_version")
    }

    @Test("a YAML syntax error: exit 1 with PATH:LINE:COL")
    func yamlSyntax() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("broken.yaml", "workers: 1\nlisteners: [ { name: web, address: 127.0.0.1:1\nroutes: []\n")
        let r = try runGatewayCommand(["check", "--config", path])
        #expect(r.exitCode == 1, "\(r)")
        #expect(!ConfigDiagnostic.parse(r.stderr, path: path).isEmpty, "no \(path):LINE:COL: line:\n\(r.stderr)")
    }

    @Test("gateway check on a file that does not exist fails")
    func checkMissingFile() throws {
        let r = try runGatewayCommand(["check", "--config", "/nonexistent/gateway.yaml"])
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stderr.contains("/nonexistent/gateway.yaml"), "\(r)")
    }

    @Test("gateway run with an invalid config exits 1 without starting")
    func runInvalid() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let port = try Ports.free()
        let path = try dir.write("gateway.yaml", "workers: 1\nlistners:\n  - { name: web, address: 127.0.0.1:\(port) }\n")
        let r = try runGatewayCommand(["run", "--config", path], timeout: 60)
        #expect(r.exitCode == 1, "\(r)")
        #expect(!ConfigDiagnostic.parse(r.stderr, path: path).isEmpty, "\(r)")
        #expect(!Ports.isAccepting(port: port))
    }

    @Test("gateway run announces `listening` on stderr once up")
    func listeningLine() throws {
        try withProxy { s in
            #expect(eventually(timeout: 10) { s.gateway.stderrText.contains("listening") }, "\(s.diagnostics)")
        }
    }

    @Test("SIGTERM drains an in-flight request, then the gateway exits 0", arguments: [SIGTERM, SIGINT])
    func signalDrain(_ sig: Int32) throws {
        try withProxy { s in
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("GET", "/slow?ms=1500"))
            #expect(eventually(timeout: 20) { (try? s.upstream.stats().active) == 1 }, "the request never reached the upstream")
            s.gateway.signal(sig)
            let r = try c.readFinalResponse(timeout: 30)
            #expect(r.status == 200, "the in-flight request was not drained: \(r)\n\(s.diagnostics)")
            let status = s.gateway.waitForExit(timeout: 30)
            #expect(status == .exited(0), "after signal \(sig): \(status.map { "\($0)" } ?? "still running")\n\(s.diagnostics)")
        }
    }

    @Test("an idle gateway exits 0 promptly on SIGTERM and stops listening")
    func sigtermIdle() throws {
        try withProxy { s in
            s.gateway.signal(SIGTERM)
            let status = s.gateway.waitForExit(timeout: 30)
            #expect(status == .exited(0), "\(status.map { "\($0)" } ?? "still running")\n\(s.diagnostics)")
            #expect(!Ports.isAccepting(port: s.port))
        }
    }
}
}
