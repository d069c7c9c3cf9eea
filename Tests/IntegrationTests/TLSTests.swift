// TLS termination: HTTPS proxying, SNI certificate selection (ECDSA + RSA), minimum
// version, ALPN, session resumption. Certificates are generated per test (TestPKI).

import Foundation
import Testing

/// A gateway with a TLS listener (certificates: ec.test first = default, then rsa.test).
struct TLSStack {
    let pki: TestPKI
    let upstream: UpstreamServer
    let gateway: GatewayProcess

    var port: UInt16 { gateway.httpsPort }
    var diagnostics: String { gateway.diagnostics }

    func url(_ name: String, _ path: String) -> String { "https://\(name):\(port)\(path)" }
    func resolve(_ name: String) -> [String] { ["\(name):\(port):127.0.0.1"] }

    /// curl to `name` (SNI + Host), verifying against the test CA.
    func curl(_ name: String, _ path: String, args: [String] = [], bodyFile: String? = nil) throws -> CurlResult {
        try Curl.request(url(name, path), resolve: resolve(name), cacert: pki.caCert, args: args, bodyFile: bodyFile)
    }

    /// curl to ec.test (the default certificate).
    func curl(_ path: String, args: [String] = [], bodyFile: String? = nil) throws -> CurlResult {
        try curl(TestPKI.ecName, path, args: args, bodyFile: bodyFile)
    }
}

func withTLSProxy<R>(
    minVersion: String? = nil, selfSignedOnly: Bool = false,
    configure: (inout GatewayConfig) -> Void = { _ in },
    _ body: (TLSStack) throws -> R
) throws -> R {
    let pki = try TestPKI.generate()
    defer { pki.remove() }
    let upstream = try UpstreamServer.start()
    defer { upstream.stop() }
    var config = GatewayConfig(upstream: upstream)
    let certs = selfSignedOnly
        ? [(pki.selfSigned.cert, pki.selfSigned.key)]
        : [(pki.ec.cert, pki.ec.key), (pki.rsa.cert, pki.rsa.key)]
    config.tls = .init(certificates: certs.map { (cert: $0.0, key: $0.1) }, minVersion: minVersion)
    configure(&config)
    let gateway = try GatewayProcess.start(config)
    defer { gateway.stop() }
    return try body(TLSStack(pki: pki, upstream: upstream, gateway: gateway))
}

extension GatewayIntegration {
@Suite("TLS: HTTPS proxying, SNI, versions, ALPN, resumption")
struct TLS {

    @Test("GET, POST and HEAD over HTTPS; the upstream sees X-Forwarded-Proto https")
    func httpsMethods() throws {
        try withTLSProxy { t in
            let get = try t.curl("/echo?tls=1")
            #expect(get.status == 200 && get.httpVersion == "1.1" && get.sslVerifyResult == 0, "\(get)\n\(t.diagnostics)")
            let e = try get.json(EchoResult.self)
            #expect(e.target == "/echo?tls=1")
            #expect(e.values("X-Forwarded-Proto") == ["https"])
            #expect(e.values("X-Forwarded-Host") == ["\(TestPKI.ecName):\(t.port)"])

            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let body = TestPattern.bytes(count: 200_000)
            let file = try dir.write("body", bytes: body)
            let post = try t.curl("/echo", args: ["-H", "Content-Type: application/octet-stream"], bodyFile: file)
            #expect(post.status == 200, "\(post)")
            let pe = try post.json(EchoResult.self)
            #expect(pe.method == "POST" && pe.body_length == body.count && pe.body_sha256 == SHA256.hex(body))

            // with -I curl writes the response head (and nothing else) to its output file
            let head = try t.curl("/bytes?n=4096", args: ["-I"])
            #expect(head.status == 200 && head.exitCode == 0, "\(head)")
            #expect(head.bodyText.hasPrefix("HTTP/1.1 200") && head.bodyText.hasSuffix("\r\n\r\n"), "\(printable(head.body))")
            #expect(head.header("Content-Length") == nil || head.header("Content-Length") == "4096")
        }
    }

    @Test("a 10 MiB response over HTTPS arrives intact")
    func httpsLargeDownload() throws {
        try withTLSProxy { t in
            let n = 10 * 1024 * 1024
            let r = try t.curl("/chunked?n=\(n)&chunk=65536")
            #expect(r.status == 200 && r.body.count == n, "\(r.status) \(r.body.count)\n\(t.diagnostics)")
            var v = PatternVerifier()
            v.feed(ArraySlice(r.body))
            #expect(v.ok, "first corrupted byte: \(v.firstMismatch ?? -1)")
        }
    }

    @Test("SNI picks the certificate: ECDSA for ec.test, RSA for rsa.test, the first one otherwise")
    func sniSelection() throws {
        try withTLSProxy { t in
            let ec = try SClient.run(port: t.port, servername: TestPKI.ecName, caFile: t.pki.caCert)
            #expect(ec.peerSubject?.contains("CN = ec.test") == true, "\(ec)\n\(t.diagnostics)")
            #expect(ec.serverKeyBits == 256 && ec.verifyCode == 0, "\(ec)")

            let rsa = try SClient.run(port: t.port, servername: TestPKI.rsaName, caFile: t.pki.caCert)
            #expect(rsa.peerSubject?.contains("CN = rsa.test") == true, "\(rsa)")
            #expect(rsa.serverKeyBits == 2048 && rsa.verifyCode == 0, "\(rsa)")

            let none = try SClient.run(port: t.port, servername: nil)
            #expect(none.handshakeCompleted && none.peerSubject?.contains("CN = ec.test") == true, "no SNI: \(none)")
            let unknown = try SClient.run(port: t.port, servername: "unknown.test")
            #expect(unknown.handshakeCompleted && unknown.peerSubject?.contains("CN = ec.test") == true, "unknown SNI: \(unknown)")

            // and curl verifies both names end to end
            for name in [TestPKI.ecName, TestPKI.rsaName] {
                let r = try t.curl(name, "/echo")
                #expect(r.status == 200 && r.sslVerifyResult == 0, "\(name): \(r)")
            }
        }
    }

    @Test("by default TLS 1.2 and 1.3 clients are both accepted")
    func defaultVersions() throws {
        try withTLSProxy { t in
            let v12 = try t.curl("/echo", args: ["--tlsv1.2", "--tls-max", "1.2"])
            #expect(v12.status == 200, "TLS 1.2 client: \(v12)\n\(t.diagnostics)")
            let v13 = try t.curl("/echo", args: ["--tlsv1.3"])
            #expect(v13.status == 200, "TLS 1.3 client: \(v13)")
            let old = try SClient.run(port: t.port, servername: TestPKI.ecName, options: ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
            #expect(!old.handshakeCompleted, "TLS 1.1 must be refused: \(old)")
        }
    }

    @Test("min_version 1.3 refuses a TLS 1.2 client and accepts a 1.3 one")
    func minVersion13() throws {
        try withTLSProxy(minVersion: "1.3") { t in
            let v12 = try t.curl("/echo", args: ["--tlsv1.2", "--tls-max", "1.2"])
            #expect(v12.status == 0 && v12.exitCode != 0, "a TLS 1.2-only client got through: \(v12)\n\(t.diagnostics)")
            let s12 = try SClient.run(port: t.port, servername: TestPKI.ecName, options: ["-tls1_2"])
            #expect(!s12.handshakeCompleted, "\(s12)")
            let v13 = try t.curl("/echo", args: ["--tlsv1.3"])
            #expect(v13.status == 200, "\(v13)")

            // The refused handshakes become one aggregated event, published at the latest when
            // the gateway drains.
            t.gateway.signal(SIGTERM)
            _ = t.gateway.waitForExit(timeout: 30)
            let events = t.gateway.stderrText.split(separator: "\n").filter { $0.contains("event tls-handshake-failures") }
            #expect(events.count == 1, "\(t.diagnostics)")
            #expect(events.first?.contains("source.ip=127.0.0.1") == true)
        }
    }

    @Test("ALPN: http/1.1 is negotiated, h2 is never chosen")
    func alpn() throws {
        try withTLSProxy { t in
            let one = try SClient.run(port: t.port, servername: TestPKI.ecName, alpn: "http/1.1")
            #expect(one.alpn == "http/1.1", "\(one)\n\(t.diagnostics)")
            let both = try SClient.run(port: t.port, servername: TestPKI.ecName, alpn: "h2,http/1.1")
            #expect(both.alpn == "http/1.1", "\(both)")
            let h2only = try SClient.run(port: t.port, servername: TestPKI.ecName, alpn: "h2")
            #expect(h2only.alpn != "h2", "\(h2only)")
            // curl offers h2 and http/1.1 and ends up speaking HTTP/1.1
            let c = try t.curl("/echo")
            #expect(c.status == 200 && c.httpVersion == "1.1", "\(c)")
        }
    }

    @Test("TLS session resumption with tickets", arguments: ["1.3", "1.2"])
    func resumption(_ version: String) throws {
        try withTLSProxy { t in
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let option = version == "1.3" ? "-tls1_3" : "-tls1_2"
            let request = "GET /echo HTTP/1.1\r\nHost: \(TestPKI.ecName)\r\nConnection: close\r\n\r\n"
            let first = try SClient.run(port: t.port, servername: TestPKI.ecName, sessOut: dir.file("session"),
                                        options: [option], request: request)
            #expect(first.output.contains("HTTP/1.1 200"), "\(first)\n\(t.diagnostics)")
            #expect(first.protocolVersion == "TLSv\(version)" && !first.reused, "\(first)")
            let second = try SClient.run(port: t.port, servername: TestPKI.ecName, sessIn: dir.file("session"),
                                         options: [option], request: request)
            #expect(second.reused, "the session was not resumed: \(second)")
            #expect(second.output.contains("Reused, TLSv\(version)"), "\(second)")
            #expect(second.output.contains("HTTP/1.1 200"), "\(second)")
        }
    }

    @Test("a single self-signed certificate (no CA) works")
    func selfSigned() throws {
        try withTLSProxy(selfSignedOnly: true) { t in
            let name = TestPKI.selfSignedName
            let r = try Curl.request(t.url(name, "/echo"), resolve: t.resolve(name), cacert: t.pki.selfSigned.cert)
            #expect(r.status == 200 && r.sslVerifyResult == 0, "\(r)\n\(t.diagnostics)")
        }
    }

    @Test("plain HTTP and HTTPS listeners side by side")
    func bothListeners() throws {
        try withTLSProxy { t in
            let plain = try oneRequest(port: t.gateway.httpPort, "GET", "/echo")
            #expect(plain.status == 200, "\(plain)\n\(t.diagnostics)")
            #expect(try plain.json(EchoResult.self).values("X-Forwarded-Proto") == ["http"])
            let tls = try t.curl("/echo")
            #expect(tls.status == 200)
            #expect(try tls.json(EchoResult.self).values("X-Forwarded-Proto") == ["https"])
        }
    }
}
}
