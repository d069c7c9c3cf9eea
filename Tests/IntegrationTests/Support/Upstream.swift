// The test upstream: Fixtures/upstream.py started on a free port as a real process.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Counters of the upstream (`GET /stats`). Requests to /stats are never counted.
struct UpstreamStats: Decodable, CustomStringConvertible {
    let accepted: Int        // TCP connections accepted
    let connections: Int     // of those, connections that carried at least one counted request
    let requests: Int        // counted requests answered (counted when the response starts)
    let active: Int          // counted requests in progress
    let bad_requests: Int    // requests the upstream's strict parser refused (400)
    let aborted: Int         // requests whose peer vanished mid-way
    let recent: [[String]]   // last 50 [method, target]

    var description: String {
        "accepted=\(accepted) connections=\(connections) requests=\(requests) active=\(active) "
            + "bad_requests=\(bad_requests) aborted=\(aborted) recent=\(recent.suffix(10))"
    }
}

/// What `/echo` saw.
struct EchoResult: Decodable {
    let server: String
    let method: String
    let target: String
    let version: String
    let headers: [[String]]
    let body_length: Int
    let body_sha256: String
    let conn_id: Int
    let conn_requests: Int
    let peer: String
    /// Over TLS: the connection resumed an earlier session.
    let tls_session_reused: Bool?

    /// All values of a header as received (case-insensitive name), in order.
    func values(_ name: String) -> [String] {
        headers.filter { $0.count == 2 && $0[0].caseInsensitiveCompare(name) == .orderedSame }.map { $0[1] }
    }

    func header(_ name: String) -> String? { values(name).first }

    func has(_ name: String) -> Bool { !values(name).isEmpty }

    /// X-Forwarded-For entries (all lines, comma-split, trimmed), left to right.
    var forwardedFor: [String] {
        values("X-Forwarded-For").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

struct UploadResult: Decodable {
    let server: String
    let length: Int
    let sha256: String
    let pattern_ok: Bool
    let first_mismatch: Int
}

/// TLS settings for the upstream (used by the harness self-tests of the TLS tooling).
struct UpstreamTLS {
    var cert: String
    var key: String
    var sni: [(name: String, cert: String, key: String)] = []
}

final class UpstreamServer: @unchecked Sendable {
    let name: String
    let port: UInt16
    let process: ChildProcess
    private let dir: TemporaryDirectory

    var address: String { "127.0.0.1:\(port)" }

    private init(name: String, port: UInt16, process: ChildProcess, dir: TemporaryDirectory) {
        self.name = name
        self.port = port
        self.process = process
        self.dir = dir
    }

    /// Starts upstream.py on a free port chosen by the kernel (no bind race: the script
    /// binds port 0 and reports the port through a file).
    /// `port` 0 lets the kernel choose; `arguments` are extra options (e.g. `--health-status 503`).
    static func start(name: String = "app", tls: UpstreamTLS? = nil, port: UInt16 = 0, arguments: [String] = [],
                      timeout: Double = 30) throws -> UpstreamServer {
        let dir = try TemporaryDirectory(prefix: "gw-upstream")
        var argv = [Paths.python3, "-u", Paths.upstreamScript, "--port", String(port),
                    "--port-file", dir.file("port"), "--name", name, "--parent-pid", String(getpid())] + arguments
        if let tls {
            argv += ["--tls", tls.cert, tls.key]
            for s in tls.sni { argv += ["--tls-sni", s.name, s.cert, s.key] }
        }
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(argv, stdoutPath: dir.file("stdout"), stderrPath: dir.file("stderr"))
        } catch {
            dir.remove()
            throw error
        }
        var port: UInt16?
        let ready = eventually(timeout: timeout) {
            if let text = try? String(contentsOfFile: dir.file("port"), encoding: .utf8),
               let p = UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                port = p
                return true
            }
            return !process.isRunning
        }
        guard ready, let port, process.isRunning else {
            let log = process.stderrText
            process.stop()
            dir.remove()
            throw HarnessError("upstream \(name) did not start (\(ready ? "exited" : "timed out")):\n\(tail(log))")
        }
        return UpstreamServer(name: name, port: port, process: process, dir: dir)
    }

    /// The counters, fetched over a fresh direct connection (not through the gateway).
    func stats() throws -> UpstreamStats {
        let r = try oneRequest(port: port, "GET", "/stats", hostHeader: "upstream.test",
                               headers: [("Connection", "close")])
        guard r.status == 200 else { throw HarnessError("upstream /stats answered \(r.status)") }
        return try r.json(UpstreamStats.self)
    }

    var log: String { process.stderrText }

    func stop() {
        process.stop()
        dir.remove()
    }

    deinit { stop() }
}
