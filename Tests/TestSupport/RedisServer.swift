// A real redis-server for the tests that need Redis: started on a free loopback port, killed
// and restarted on the same port for outage tests.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A redis-server on a free loopback port. Its append-only file is written on every command, so
/// a SIGKILL (`kill()`) loses nothing Redis acknowledged and `start()` brings the data back.
public final class RedisServer: @unchecked Sendable {
    public let port: UInt16
    private let dir: TemporaryDirectory
    private var process: ChildProcess?
    /// Extra `redis-server` options, e.g. `["--requirepass", "s3cret"]`.
    private let options: [String]

    /// `port`: a fixed port (a test that starts Redis after an outage the client already saw).
    public init(port: UInt16? = nil, options: [String] = []) throws {
        dir = try TemporaryDirectory(prefix: "gw-redis")
        self.port = try port ?? Ports.free()
        self.options = options
        try start()
    }

    public var address: String { "127.0.0.1:\(port)" }

    /// The unix socket the server listens on besides its port.
    public var socketPath: String { dir.file("redis.sock") }

    public func start() throws {
        let process = try ChildProcess.spawn(
            ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--dir", dir.path,
             "--unixsocket", socketPath] + options,
            stdoutPath: dir.file("redis.log"), stderrPath: dir.file("redis.log"))
        self.process = process
        guard eventually(timeout: 20, { Ports.isAccepting(port: port) }) else {
            process.stop()
            throw HarnessError("redis-server did not start: \(tail(readTextFile(dir.file("redis.log"))))")
        }
    }

    /// SIGKILL: the outage (connections reset, the port refuses connections until `start()`).
    public func kill() {
        process?.stop()
        process = nil
    }

    /// SIGSTOP: the server keeps its connections and accepts new ones, but never answers.
    public func pause() { process?.signal(SIGSTOP) }

    public func resume() { process?.signal(SIGCONT) }

    /// `redis-cli` with `--raw` output.
    public func cli(_ arguments: [String]) throws -> String {
        let result = try Command.run(["redis-cli", "-p", String(port), "--raw"] + arguments, timeout: 20)
        guard result.succeeded else { throw HarnessError("\(result)") }
        return result.stdout
    }

    /// The `event` field of each entry of `stream`, raw, in stream order.
    public func eventLines(_ stream: String) throws -> [String] {
        try cli(["XRANGE", stream, "-", "+"]).split(separator: "\n").filter { $0.hasPrefix("{") }.map(String.init)
    }

    public func stop() {
        kill()
        dir.remove()
    }

    deinit { stop() }
}
