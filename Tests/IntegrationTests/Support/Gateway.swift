// The real `gateway` binary: a config builder (the YAML of the product contract), and a
// running `gateway run --config PATH` process on free loopback ports.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The gateway's YAML config, rendered from typed pieces. Listener and admin ports are
/// filled in when the gateway starts (free ports). Keys follow the product contract.
struct GatewayConfig {
    struct TLS {
        var certificates: [(cert: String, key: String)]
        var minVersion: String? = nil        // "1.2" or "1.3"
    }

    struct Upstream {
        var name: String
        var targets: [String]
        var maxIdle: Int? = nil
    }

    struct Route {
        var name: String
        var pathPrefix: String = "/"
        var hosts: [String]? = nil
        var methods: [String]? = nil
        var upstream: String
        /// Names of entries of `filtersYAML`, run in this order.
        var filters: [String] = []
    }

    var workers = 1
    var trustedProxies: [String]? = nil
    var plainListener = true
    var tls: TLS? = nil
    /// Off by default: no test uses the admin listener, and the tests must not depend on it.
    var admin = false
    /// e.g. [("max_body_bytes", "1MiB")]; only the given keys are written.
    var limits: [(String, String)] = []
    /// e.g. [("header", "1s")]; only the given keys are written.
    var timeouts: [(String, String)] = []
    var upstreams: [Upstream]
    var routes: [Route]
    /// The `filters:` section, verbatim (default `filters: {}`), e.g.
    /// "filters:\n  headers: { plugin: security_headers }\n".
    var filtersYAML: String? = nil
    /// Appended verbatim at the end (top-level keys).
    var extraYAML = ""

    init(upstreams: [Upstream], routes: [Route]) {
        self.upstreams = upstreams
        self.routes = routes
    }

    /// One upstream `app` with these targets and one catch-all route to it.
    init(targets: [String]) {
        self.init(upstreams: [Upstream(name: "app", targets: targets)],
                  routes: [Route(name: "default", upstream: "app")])
    }

    init(upstream: UpstreamServer) { self.init(targets: [upstream.address]) }

    private static func list(_ items: [String]) -> String {
        "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }

    func render(httpPort: UInt16?, httpsPort: UInt16?, adminPort: UInt16?) -> String {
        var y = "# written by the integration tests\nworkers: \(workers)\n"
        if let t = trustedProxies { y += "trusted_proxies: \(Self.list(t))\n" }
        y += "listeners:\n"
        if let p = httpPort { y += "  - name: web\n    address: 127.0.0.1:\(p)\n" }
        if let p = httpsPort, let tls {
            y += "  - name: web-tls\n    address: 127.0.0.1:\(p)\n    tls:\n      certificates:\n"
            for c in tls.certificates { y += "        - cert: \"\(c.cert)\"\n          key: \"\(c.key)\"\n" }
            if let v = tls.minVersion { y += "      min_version: \"\(v)\"\n" }
        }
        if let p = adminPort { y += "admin:\n  address: 127.0.0.1:\(p)\n" }
        if !limits.isEmpty {
            y += "limits:\n" + limits.map { "  \($0.0): \($0.1)\n" }.joined()
        }
        if !timeouts.isEmpty {
            y += "timeouts:\n" + timeouts.map { "  \($0.0): \($0.1)\n" }.joined()
        }
        y += "upstreams:\n"
        for u in upstreams {
            y += "  \(u.name):\n    targets: \(Self.list(u.targets))\n"
            if let m = u.maxIdle { y += "    max_idle: \(m)\n" }
        }
        y += "routes:\n"
        for r in routes {
            y += "  - name: \(r.name)\n    match:\n      path_prefix: \"\(r.pathPrefix)\"\n"
            if let h = r.hosts { y += "      hosts: \(Self.list(h))\n" }
            if let m = r.methods { y += "      methods: \(Self.list(m))\n" }
            y += "    upstream: \(r.upstream)\n    filters: [\(r.filters.joined(separator: ", "))]\n"
        }
        if let f = filtersYAML {
            y += f + (f.hasSuffix("\n") ? "" : "\n")
        } else {
            y += "filters: {}\n"
        }
        if !extraYAML.isEmpty { y += extraYAML + (extraYAML.hasSuffix("\n") ? "" : "\n") }
        return y
    }
}

final class GatewayProcess: @unchecked Sendable {
    let process: ChildProcess
    let configPath: String
    let configText: String
    let httpPort: UInt16
    let httpsPort: UInt16
    let adminPort: UInt16
    private let dir: TemporaryDirectory

    private init(process: ChildProcess, configPath: String, configText: String,
                 httpPort: UInt16, httpsPort: UInt16, adminPort: UInt16, dir: TemporaryDirectory) {
        self.process = process
        self.configPath = configPath
        self.configText = configText
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.adminPort = adminPort
        self.dir = dir
    }

    var pid: pid_t { process.pid }

    /// Starts `gateway run --config PATH` and waits until every listener accepts connections
    /// (and belongs to this process). Retries with other ports when a port was taken in the
    /// meantime.
    static func start(_ config: GatewayConfig, readyTimeout: Double = 30, attempts: Int = 4) throws -> GatewayProcess {
        let binary = try Paths.gatewayBinary()
        var lastError = ""
        for attempt in 1...attempts {
            let dir = try TemporaryDirectory(prefix: "gw-run")
            let ports = try Ports.free(count: 3)
            let http = config.plainListener ? ports[0] : 0
            let https = config.tls != nil ? ports[1] : 0
            let admin = config.admin ? ports[2] : 0
            let text = config.render(httpPort: http == 0 ? nil : http, httpsPort: https == 0 ? nil : https,
                                     adminPort: admin == 0 ? nil : admin)
            let path = try dir.write("gateway.yaml", text)
            let process = try ChildProcess.spawn(
                [binary, "run", "--config", path],
                stdoutPath: dir.file("stdout.log"), stderrPath: dir.file("stderr.log"))
            let wanted = [http, https, admin].filter { $0 != 0 }
            var stolen = false
            let ready = eventually(timeout: readyTimeout) {
                guard process.isRunning else { return true }
                guard wanted.allSatisfy({ Ports.isAccepting(port: $0) }) else { return false }
                stolen = !ListeningSockets.allOwned(ports: wanted, by: process.pid)
                return true
            }
            if ready && process.isRunning && !stolen {
                return GatewayProcess(process: process, configPath: path, configText: text,
                                      httpPort: http, httpsPort: https, adminPort: admin, dir: dir)
            }
            process.stop()
            let log = process.stderrText + process.stdoutText
            lastError = """
                attempt \(attempt): gateway \(ready ? (stolen ? "shares a port with another process" : "exited: \(process.poll().map { "\($0)" } ?? "?")") : "not listening after \(readyTimeout)s")
                --- config ---
                \(text)
                --- output ---
                \(tail(log))
                """
            dir.remove()
            let portTrouble = stolen || log.lowercased().contains("in use")
            if !portTrouble { break }
        }
        throw HarnessError("the gateway did not start.\n\(lastError)")
    }

    var stderrText: String { process.stderrText }

    /// Config + output tail: attached to failed expectations.
    var diagnostics: String {
        """
        --- gateway config (\(configPath)) ---
        \(configText)
        --- gateway stderr (tail) ---
        \(tail(process.stderrText + process.stdoutText, 30))
        """
    }

    var rssKiB: Int? { ProcStatus.kib(pid: pid, "VmRSS") }
    /// Peak resident set size since the process started.
    var peakRssKiB: Int? { ProcStatus.kib(pid: pid, "VmHWM") }

    func signal(_ sig: Int32) { process.signal(sig) }

    func waitForExit(timeout: Double) -> ExitStatus? { process.waitForExit(timeout: timeout) }

    var isRunning: Bool { process.isRunning }

    /// SIGKILL + cleanup.
    func stop() {
        process.stop()
        dir.remove()
    }

    deinit { stop() }
}

/// Which processes listen on which TCP ports (/proc/net/tcp{,6} + /proc/PID/fd).
enum ListeningSockets {
    /// Inodes of LISTEN sockets on `port`.
    static func inodes(port: UInt16) -> [String] {
        var out = [String]()
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            for line in readTextFile(file).split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count > 9, f[3] == "0A" else { continue }
                guard let portHex = f[1].split(separator: ":").last, UInt16(portHex, radix: 16) == port else { continue }
                out.append(String(f[9]))
            }
        }
        return out
    }

    static func socketInodes(pid: pid_t) -> Set<String> {
        let fdDir = "/proc/\(pid)/fd"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: fdDir) else { return [] }
        var set = Set<String>()
        for n in names {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: fdDir + "/" + n),
               target.hasPrefix("socket:[") {
                set.insert(String(target.dropFirst(8).dropLast()))
            }
        }
        return set
    }

    /// True when every LISTEN socket on each port belongs to `pid` (SO_REUSEPORT would let
    /// another process share a port silently).
    static func allOwned(ports: [UInt16], by pid: pid_t) -> Bool {
        let mine = socketInodes(pid: pid)
        guard !mine.isEmpty else { return true }   // cannot tell (no /proc access): assume yes
        return ports.allSatisfy { p in inodes(port: p).allSatisfy { mine.contains($0) } }
    }
}

/// Runs `gateway <args>` to completion.
func runGatewayCommand(_ args: [String], workingDirectory: String? = nil, timeout: Double = 60) throws -> CommandResult {
    try Command.run([try Paths.gatewayBinary()] + args, workingDirectory: workingDirectory, timeout: timeout)
}

// MARK: - Test scaffolding

/// A running upstream + gateway pair, stopped when the body returns or throws.
struct ProxyStack {
    let upstream: UpstreamServer
    let gateway: GatewayProcess

    var port: UInt16 { gateway.httpPort }
    var diagnostics: String { gateway.diagnostics + "\n--- upstream log (tail) ---\n" + tail(upstream.log, 15) }
}

/// Starts an upstream and a gateway in front of it (`configure` may adjust the config),
/// runs `body`, then kills both.
func withProxy<R>(
    configure: (inout GatewayConfig) throws -> Void = { _ in },
    _ body: (ProxyStack) throws -> R
) throws -> R {
    let upstream = try UpstreamServer.start()
    defer { upstream.stop() }
    var config = GatewayConfig(upstream: upstream)
    try configure(&config)
    let gateway = try GatewayProcess.start(config)
    defer { gateway.stop() }
    return try body(ProxyStack(upstream: upstream, gateway: gateway))
}
