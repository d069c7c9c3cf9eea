// The access log: one JSON line per request, without query strings, cookies or credentials
// by default, reopened on SIGUSR1.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

private func accessLogConfig(_ upstream: UpstreamServer, _ accessLog: String) -> String {
    """
    workers: 2
    listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
    access_log: \(accessLog)
    upstreams: { app: { targets: ["\(upstream.address)"] } }
    routes:
      - { name: main, match: { path_prefix: / }, upstream: app }
      - { name: guarded, match: { path_prefix: /guarded }, upstream: app, filters: [deny_all] }
    filters:
      deny_all: { plugin: ip_access, deny: [0.0.0.0/0, "::/0"] }
    """
}

private func lines(_ path: String) -> [[String: Any]] {
    readTextFile(path).split(separator: "\n").compactMap {
        (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
    }
}

extension GatewayIntegration {
@Suite("Access log")
struct AccessLogTests {

    @Test("one line per request with its fields; no query string, cookies, Authorization or bodies")
    func fields() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try YAMLGateway(accessLogConfig(upstream, #"{ path: "{DIR}/access.jsonl" }"#))
        defer { gateway.stop() }
        let path = gateway.dir.file("access.jsonl")
        let body = Array("patient=QBODYSECRET".utf8)
        let r = try oneRequest(port: gateway.port, "POST", "/echo?mrn=QSECRET123", headers: [
            ("Cookie", "session=COOKIESECRET"), ("Authorization", "Bearer AUTHSECRET"), ("X-Request-ID", "access-log-test-1"),
        ], body: body)
        #expect(r.status == 200)
        #expect(try oneRequest(port: gateway.port, "GET", "/guarded/x").status == 403)
        #expect(eventually(timeout: 10) { lines(path).count == 2 }, "\(readTextFile(path))\n\(gateway.diagnostics)")
        let raw = readTextFile(path)
        for secret in ["QSECRET123", "COOKIESECRET", "AUTHSECRET", "QBODYSECRET", "mrn="] {
            #expect(!raw.contains(secret), "\(secret) leaked into the access log: \(raw)")
        }
        let entries = lines(path)
        let line = try #require(entries.first { $0["request_id"] as? String == "access-log-test-1" })
        #expect(line["method"] as? String == "POST")
        #expect(line["path"] as? String == "/echo")
        #expect(line["status"] as? Int == 200)
        #expect(line["client_ip"] as? String == "127.0.0.1")
        #expect(line["client_ip_source"] as? String == "peer")
        #expect(line["bytes_in"] as? Int == body.count)
        #expect(line["bytes_out"] as? Int == r.body.count)
        #expect(line["route"] as? String == "main")
        #expect(line["upstream"] as? String == "app")
        #expect(line["upstream_target"] as? String == upstream.address)
        #expect(line["verdict"] as? String == "passed")
        #expect((line["time"] as? String)?.hasSuffix("Z") == true)
        for field in ["duration_ms", "upstream_connect_ms", "upstream_first_byte_ms"] {
            #expect(line[field] is Double || line[field] is Int, "\(field) missing: \(line)")
        }
        let blocked = try #require(entries.first { $0["route"] as? String == "guarded" })
        #expect(blocked["status"] as? Int == 403)
        #expect(blocked["verdict"] as? String == "blocked")
        #expect(blocked["blocked_by"] as? String == "deny_all")
        #expect(blocked["filters"] as? [String] == ["deny_all"])
    }

    @Test("include_query: true logs the query string")
    func includeQuery() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try YAMLGateway(accessLogConfig(upstream, #"{ path: "{DIR}/access.jsonl", include_query: true }"#))
        defer { gateway.stop() }
        #expect(try oneRequest(port: gateway.port, "GET", "/echo?page=2").status == 200)
        let path = gateway.dir.file("access.jsonl")
        #expect(eventually(timeout: 10) { lines(path).first?["path"] as? String == "/echo?page=2" }, "\(readTextFile(path))")
    }

    @Test("SIGUSR1 reopens the file after logrotate renamed it")
    func reopen() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try YAMLGateway(accessLogConfig(upstream, #"{ path: "{DIR}/access.jsonl" }"#))
        defer { gateway.stop() }
        let path = gateway.dir.file("access.jsonl")
        #expect(try oneRequest(port: gateway.port, "GET", "/echo", headers: [("X-Request-ID", "before-rotate")]).status == 200)
        #expect(eventually(timeout: 10) { lines(path).count == 1 })
        #expect(rename(path, path + ".1") == 0)
        gateway.process.signal(SIGUSR1)
        var sent = 0
        let reopened = eventually(timeout: 20, interval: 0.1) {
            sent += 1
            _ = try? oneRequest(port: gateway.port, "GET", "/echo", headers: [("X-Request-ID", "after-rotate-\(sent)")])
            return lines(path).contains { ($0["request_id"] as? String)?.hasPrefix("after-rotate-") == true }
        }
        #expect(reopened, "no line in the new file\n\(gateway.diagnostics)")
        let old = lines(path + ".1")
        #expect(old.first?["request_id"] as? String == "before-rotate")
        // Every line is in one of the two files. With two workers, the line of the request
        // before the one found may still be on its way: its worker answered, then logs.
        #expect(eventually(timeout: 10) { lines(path).count + lines(path + ".1").count == sent + 1 },
                "\(lines(path).count) + \(lines(path + ".1").count) lines for \(sent + 1) requests")
    }
}
}
