// Self-tests of the harness: they run without the gateway and prove that the pieces the
// gateway tests rely on (spawning, the upstream fixture, the raw client, certificates, the
// TLS client tooling) do what the gateway tests assume.
//
//   swift test --filter HarnessSelfTests

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Harness self-tests")
struct HarnessSelfTests {

    // MARK: processes

    @Test("spawned children get an empty signal mask and default dispositions")
    func spawnSignalState() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let child = try ChildProcess.spawn(["/bin/sleep", "60"], stdoutPath: dir.file("out"), stderrPath: dir.file("err"))
        defer { child.stop() }
        #expect(eventually { ProcStatus.field(pid: child.pid, "State")?.hasPrefix("S") == true
                             && readTextFile("/proc/\(child.pid)/comm").hasPrefix("sleep") })
        #expect(ProcStatus.field(pid: child.pid, "SigBlk") == "0000000000000000")
        // Standard signals 1-31 (SIGTERM, SIGINT, SIGHUP, SIGPIPE, ...) are not ignored.
        // glibc's posix_spawn itself leaves its internal signals 32/33 ignored: not ours to change.
        let ignored = UInt64(try #require(ProcStatus.field(pid: child.pid, "SigIgn")), radix: 16)
        #expect(ignored.map { $0 & 0x7fff_ffff } == 0, "SigIgn = \(String(ignored ?? 0, radix: 16))")
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 20) == .signaled(SIGTERM))
    }

    @Test("commands: exit status and output are captured, a hung command is killed")
    func commandCapture() throws {
        let r = try Command.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(r.status == .exited(3))
        #expect(r.stdout == "out\n")
        #expect(r.stderr == "err\n")
        let fed = try Command.run(["/bin/cat"], stdinText: "piped")
        #expect(fed.stdout == "piped")
        let hung = try Command.run(["/bin/sleep", "60"], timeout: 0.5)
        #expect(hung.timedOut)
    }

    @Test("children do not inherit the test process' descriptors")
    func noDescriptorLeak() throws {
        let reserved = try ReservedPort()   // an open socket in this process
        defer { reserved.close() }
        let r = try Command.run(["/bin/sh", "-c", "ls /proc/self/fd"])
        let fds = r.stdout.split(separator: "\n").compactMap { Int($0) }.sorted()
        // 0-2 plus the descriptor ls uses to read the directory
        #expect(fds.filter { $0 > 2 }.count <= 1, "inherited: \(fds)")
    }

    @Test("the gateway binary is looked up next to the test bundle unless GATEWAY_BIN is set")
    func gatewayLocator() throws {
        let candidate = Paths.gatewayBinaryCandidate
        if let env = ProcessInfo.processInfo.environment["GATEWAY_BIN"], !env.isEmpty {
            #expect(candidate == env)
        } else {
            let dir = try #require(Paths.testBundleDirectory)
            #expect(candidate == dir + "/gateway")
            #expect(FileManager.default.fileExists(atPath: dir))
        }
        #expect(FileManager.default.isReadableFile(atPath: Paths.upstreamScript))
    }

    // MARK: sockets

    @Test("free ports can be bound; a reserved port refuses; a black hole never accepts")
    func ports() throws {
        let ports = try Ports.free(count: 5)
        #expect(Set(ports).count == 5)
        #expect(!Ports.isAccepting(port: ports[0]))

        let reserved = try ReservedPort()
        defer { reserved.close() }
        let start = monotonicNow()
        #expect(throws: HarnessError.self) { try RawConnection(port: reserved.port, timeout: 5) }
        #expect(monotonicNow() - start < 2, "a refused connect must fail at once")

        let hole = try BlackholeListener()
        defer { hole.close() }
        #expect(throws: HarnessError.self) { try RawConnection(port: hole.port, timeout: 0.7) }
    }

    @Test("SHA-256 matches known vectors and openssl")
    func sha256() throws {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let data = TestPattern.bytes(offset: 17, count: 1_000_003)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("data", bytes: data)
        let r = try Command.run(["openssl", "dgst", "-sha256", "-r", path])
        #expect(r.stdout.split(separator: " ").first.map(String.init) == SHA256.hex(data))
        // streaming in odd pieces gives the same digest
        var d = SHA256()
        var i = 0
        while i < data.count { let e = min(data.count, i + 7777); d.update(data[i..<e]); i = e }
        #expect(d.finalizeHex() == SHA256.hex(data))
    }

    // MARK: the upstream fixture, through the raw client

    @Test("upstream /echo reports method, target, headers and body digest")
    func upstreamEcho() throws {
        let up = try UpstreamServer.start(name: "echo-test")
        defer { up.stop() }
        let body = TestPattern.bytes(count: 5000)
        let r = try oneRequest(port: up.port, "POST", "/echo?a=1&b=2", headers: [("X-Multi", "one"), ("X-Multi", "two")], body: body)
        #expect(r.status == 200)
        let e = try r.json(EchoResult.self)
        #expect(e.method == "POST")
        #expect(e.target == "/echo?a=1&b=2")
        #expect(e.values("x-multi") == ["one", "two"])
        #expect(e.header("Host") == "gateway.test")
        #expect(e.body_length == 5000)
        #expect(e.body_sha256 == SHA256.hex(body))
        #expect(e.server == "echo-test")

        let head = try oneRequest(port: up.port, "HEAD", "/bytes?n=1000")
        #expect(head.status == 200 && head.header("Content-Length") == "1000" && head.body.isEmpty)
    }

    @Test("upstream response framings: Content-Length, chunked, close-delimited")
    func upstreamFramings() throws {
        let up = try UpstreamServer.start()
        defer { up.stop() }
        let n = 300_001
        let c = try RawConnection(port: up.port)
        try c.send(RawRequest.make("GET", "/bytes?n=\(n)"))
        let a = try c.readFinalResponse()
        #expect(a.header("Content-Length") == "\(n)" && !a.chunked && a.body == TestPattern.bytes(count: n))
        try c.send(RawRequest.make("GET", "/chunked?n=\(n)&chunk=4096"))
        let b = try c.readFinalResponse()
        #expect(b.chunked && b.header("Content-Length") == nil && b.body == TestPattern.bytes(count: n))
        try c.send(RawRequest.make("GET", "/close?n=\(n)"))
        let d = try c.readFinalResponse()
        #expect(d.closeDelimited && d.body == TestPattern.bytes(count: n))
        #expect(c.peerClosed)

        var v = PatternVerifier()
        v.feed(ArraySlice(TestPattern.bytes(offset: 0, count: 1000)))
        v.feed(ArraySlice(TestPattern.bytes(offset: 1000, count: 70000)))
        #expect(v.ok && v.offset == 71000)
        var bad = TestPattern.bytes(offset: 71000, count: 100)
        bad[42] ^= 1
        v.feed(ArraySlice(bad))
        #expect(v.firstMismatch == 71042)
    }

    @Test("upstream /stats counts connections and requests; keep-alive reuses one connection")
    func upstreamStats() throws {
        let up = try UpstreamServer.start()
        defer { up.stop() }
        let before = try up.stats()
        let client = HTTPClient(port: up.port)
        for i in 0..<5 {
            let r = try client.request("GET", "/echo?i=\(i)")
            #expect(r.status == 200)
            #expect(try r.json(EchoResult.self).conn_requests == i + 1)
        }
        client.close()
        #expect(client.connectionsOpened == 1)
        let after = try up.stats()
        #expect(after.requests - before.requests == 5)
        #expect(after.connections - before.connections == 1)
        #expect(after.recent.last == ["GET", "/echo?i=4"])
        #expect(after.bad_requests == 0)
    }

    @Test("upstream: /slow, /status, /headers, /upload with Expect and chunked bodies")
    func upstreamEndpoints() throws {
        let up = try UpstreamServer.start()
        defer { up.stop() }
        let t0 = monotonicNow()
        let slow = try oneRequest(port: up.port, "GET", "/slow?ms=400")
        #expect(slow.status == 200 && monotonicNow() - t0 >= 0.39)

        let teapot = try oneRequest(port: up.port, "GET", "/status/418")
        #expect(teapot.status == 418)
        let empty = try oneRequest(port: up.port, "GET", "/status/204")
        #expect(empty.status == 204 && empty.body.isEmpty)

        let h = try oneRequest(port: up.port, "GET", "/headers?set=Server:backend/1.0&set=X-Powered-By:PHP/5")
        #expect(h.header("Server") == "backend/1.0" && h.header("X-Powered-By") == "PHP/5")

        // Expect: 100-continue: the interim response comes before the body is sent
        let body = TestPattern.bytes(count: 200_000)
        let c = try RawConnection(port: up.port)
        try c.send(RawRequest.make("POST", "/upload", headers: [("Content-Length", "\(body.count)"), ("Expect", "100-continue")]))
        let interim = try c.readResponse()
        #expect(interim.status == 100)
        try c.send(body)
        let up1 = try c.readFinalResponse().json(UploadResult.self)
        #expect(up1.length == body.count && up1.pattern_ok && up1.sha256 == SHA256.hex(body))

        try c.send(RawRequest.make("POST", "/upload", headers: [("Transfer-Encoding", "chunked")])
                   + RawRequest.chunked(body, chunkSize: 3333))
        let up2 = try c.readFinalResponse().json(UploadResult.self)
        #expect(up2.length == body.count && up2.pattern_ok)

        var corrupt = body
        corrupt[1234] = 0xff
        try c.send(RawRequest.make("POST", "/upload", body: corrupt))
        let up3 = try c.readFinalResponse().json(UploadResult.self)
        #expect(!up3.pattern_ok && up3.first_mismatch == 1234)
    }

    @Test("upstream refuses ambiguous requests and counts them as bad_requests")
    func upstreamStrictness() throws {
        let up = try UpstreamServer.start()
        defer { up.stop() }
        let c = try RawConnection(port: up.port)
        try c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        let r = try c.readFinalResponse()
        #expect(r.status == 400)
        #expect(c.waitForClose() == .closed)
        #expect(try up.stats().bad_requests == 1)
        #expect(try up.stats().requests == 0)
    }

    @Test("raw client: close detection, slow sends, 1.0 close-delimited")
    func rawClientBehaviour() throws {
        let up = try UpstreamServer.start()
        defer { up.stop() }
        let c = try RawConnection(port: up.port)
        try c.sendSlowly(RawRequest.make("GET", "/echo", version: "HTTP/1.0", host: nil), pieceSize: 10, pause: 0.01)
        let r = try c.readFinalResponse()
        #expect(r.status == 200 && r.hasToken("Connection", "close"))
        #expect(c.waitForClose() == .closed)

        let k = try RawConnection(port: up.port)
        try k.send(RawRequest.make("GET", "/echo"))
        _ = try k.readFinalResponse()
        #expect(k.staysOpen(for: 0.3))
    }

    // MARK: certificates and TLS tooling

    @Test("generated certificates: P-256 and RSA 2048 leaves signed by the test CA, plus a self-signed one")
    func certificates() throws {
        let pki = try TestPKI.generate()
        defer { pki.remove() }
        for leaf in [pki.ec, pki.rsa] {
            let v = try Command.run(["openssl", "verify", "-CAfile", pki.caCert, leaf.cert])
            #expect(v.succeeded, "\(v)")
        }
        let ecText = try Command.run(["openssl", "x509", "-in", pki.ec.cert, "-noout", "-text"]).stdout
        #expect(ecText.contains("prime256v1") || ecText.contains("P-256"))
        #expect(ecText.contains("DNS:ec.test"))
        let rsaText = try Command.run(["openssl", "x509", "-in", pki.rsa.cert, "-noout", "-text"]).stdout
        #expect(rsaText.contains("2048 bit"))
        #expect(rsaText.contains("DNS:rsa.test"))
        let selfVerify = try Command.run(["openssl", "verify", "-CAfile", pki.selfSigned.cert, pki.selfSigned.cert])
        #expect(selfVerify.succeeded, "\(selfVerify)")
    }

    @Test("TLS tooling against a TLS upstream: curl SNI + verify, s_client ALPN, cert and resumption parsing")
    func tlsTooling() throws {
        let pki = try TestPKI.generate()
        defer { pki.remove() }
        let up = try UpstreamServer.start(tls: UpstreamTLS(cert: pki.ec.cert, key: pki.ec.key,
                                                           sni: [(TestPKI.rsaName, pki.rsa.cert, pki.rsa.key)]))
        defer { up.stop() }
        for name in [TestPKI.ecName, TestPKI.rsaName] {
            let r = try Curl.request("https://\(name):\(up.port)/echo", resolve: ["\(name):\(up.port):127.0.0.1"],
                                     cacert: pki.caCert)
            #expect(r.status == 200 && r.httpVersion == "1.1" && r.sslVerifyResult == 0, "\(r)")
            #expect(try r.json(EchoResult.self).header("Host") == "\(name):\(up.port)")
        }
        // a TLS 1.2-only client and a 1.3-only client both work against a 1.2+ server
        let tls12 = try Curl.request("https://\(TestPKI.ecName):\(up.port)/echo",
                                     resolve: ["\(TestPKI.ecName):\(up.port):127.0.0.1"], cacert: pki.caCert,
                                     args: ["--tls-max", "1.2"])
        #expect(tls12.status == 200, "\(tls12)")
        // curl fails when the certificate does not match the name
        let wrong = try Curl.request("https://wrong.test:\(up.port)/echo", resolve: ["wrong.test:\(up.port):127.0.0.1"],
                                     cacert: pki.caCert)
        #expect(wrong.status == 0 && wrong.exitCode != 0)

        let rsa = try SClient.run(port: up.port, servername: TestPKI.rsaName, alpn: "http/1.1", caFile: pki.caCert)
        #expect(rsa.handshakeCompleted, "\(rsa)")
        #expect(rsa.alpn == "http/1.1", "\(rsa)")
        #expect(rsa.peerSubject?.contains("rsa.test") == true, "\(rsa)")
        #expect(rsa.serverKeyBits == 2048, "\(rsa)")
        #expect(rsa.verifyCode == 0, "\(rsa)")
        let ec = try SClient.run(port: up.port, servername: TestPKI.ecName)
        #expect(ec.peerSubject?.contains("ec.test") == true && ec.serverKeyBits == 256, "\(ec)")
        let noAlpn = try SClient.run(port: up.port, servername: TestPKI.ecName)
        #expect(noAlpn.alpn == nil)

        // resumption parsing: a saved session offered again
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let request = "GET /echo HTTP/1.1\r\nHost: ec.test\r\nConnection: close\r\n\r\n"
        let first = try SClient.run(port: up.port, servername: TestPKI.ecName, sessOut: dir.file("sess"), request: request)
        #expect(first.output.contains("HTTP/1.1 200"), "\(first)")
        #expect(!first.reused && first.protocolVersion == "TLSv1.3", "\(first)")
        let second = try SClient.run(port: up.port, servername: TestPKI.ecName, sessIn: dir.file("sess"), request: request)
        #expect(second.reused, "python's server resumes TLS 1.3 sessions: \(second)")
    }

    // MARK: config rendering and /proc

    @Test("config rendering writes the contract's keys")
    func configRendering() throws {
        var c = GatewayConfig(targets: ["127.0.0.1:1", "127.0.0.1:2"])
        c.trustedProxies = ["10.0.0.0/8", "::1/128"]
        c.tls = .init(certificates: [("a.crt", "a.key"), ("b.crt", "b.key")], minVersion: "1.3")
        c.limits = [("max_body_bytes", "1MiB")]
        c.timeouts = [("header", "1s")]
        c.routes.append(.init(name: "api", pathPrefix: "/api", hosts: ["a.test"], methods: ["GET"], upstream: "app"))
        let y = c.render(httpPort: 1001, httpsPort: 1002, adminPort: 1003)
        for needle in ["workers: 1", "trusted_proxies: [\"10.0.0.0/8\", \"::1/128\"]", "address: 127.0.0.1:1001",
                       "address: 127.0.0.1:1002", "- cert: \"a.crt\"", "min_version: \"1.3\"", "admin:\n  address: 127.0.0.1:1003",
                       "limits:\n  max_body_bytes: 1MiB", "timeouts:\n  header: 1s",
                       "targets: [\"127.0.0.1:1\", \"127.0.0.1:2\"]", "path_prefix: \"/api\"", "hosts: [\"a.test\"]",
                       "methods: [\"GET\"]", "upstream: app", "filters: {}"] {
            #expect(y.contains(needle), "missing \(needle) in:\n\(y)")
        }
        let noTLS = GatewayConfig(targets: ["127.0.0.1:1"]).render(httpPort: 1, httpsPort: 2, adminPort: nil)
        #expect(!noTLS.contains("tls:") && !noTLS.contains("admin:"))
        var filtered = GatewayConfig(targets: ["127.0.0.1:1"])
        filtered.routes[0].filters = ["headers", "cors"]
        filtered.filtersYAML = "filters:\n  headers: { plugin: security_headers }\n  cors: { plugin: cors }"
        let f = filtered.render(httpPort: 1, httpsPort: nil, adminPort: nil)
        #expect(f.contains("    filters: [headers, cors]\n") && f.contains("filters:\n  headers: { plugin: security_headers }\n"))
        #expect(!f.contains("filters: {}"))
    }

    @Test("PATH:LINE:COL diagnostics are parsed; line numbers are 1-based")
    func diagnosticsParsing() {
        let stderr = """
            error: 2 problems in /tmp/x/gateway.yaml
            /tmp/x/gateway.yaml:3:1: unknown key 'listners' (did you mean 'listeners'?)
            /tmp/x/gateway.yaml:12:9: certificate file not found: certs/missing.crt
            /tmp/x/other.yaml:1:1: not this file
            """
        let d = ConfigDiagnostic.parse(stderr, path: "/tmp/x/gateway.yaml")
        #expect(d.count == 2)
        #expect(d.first?.line == 3 && d.first?.column == 1 && d.first?.message.contains("listeners") == true)
        #expect(d.last?.line == 12 && d.last?.column == 9)
        #expect(lineNumber(of: "b:", in: "a: 1\nb: 2\n") == 2)
    }

    @Test("RSS and listening-socket ownership are readable from /proc")
    func procReaders() throws {
        #expect((ProcStatus.kib(pid: getpid(), "VmRSS") ?? 0) > 1000)
        #expect((ProcStatus.kib(pid: getpid(), "VmHWM") ?? 0) > 1000)
        // the sampler sees a child's memory grow (python allocating 64 MiB, then exiting)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let child = try ChildProcess.spawn([Paths.python3, "-c", "import time; time.sleep(0.3); b = bytearray(64 << 20); time.sleep(1.5)"],
                                           stdoutPath: dir.file("out"), stderrPath: dir.file("err"))
        defer { child.stop() }
        let sampler = PeakRSSSampler(pid: child.pid)
        sleepSeconds(1.2)
        let peak = sampler.stop()
        #expect(peak > 64 * 1024, "sampled peak \(peak) KiB")
        let up = try UpstreamServer.start()
        defer { up.stop() }
        #expect(ListeningSockets.allOwned(ports: [up.port], by: up.process.pid))
        let held = try RawConnection(port: up.port)   // so that this process owns some socket
        defer { held.close() }
        #expect(!ListeningSockets.allOwned(ports: [up.port], by: getpid()))
    }
}
