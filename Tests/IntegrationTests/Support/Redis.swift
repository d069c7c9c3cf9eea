// A real redis-server for the tests that need Redis: started on a free loopback port, killed
// and restarted on the same port for outage tests.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A redis-server on a free loopback port. Its append-only file is written on every command, so
/// a SIGKILL (`kill()`) loses nothing Redis acknowledged and `start()` brings the data back.
final class RedisServer: @unchecked Sendable {
    let port: UInt16
    private let dir: TemporaryDirectory
    private var process: ChildProcess?

    init() throws {
        dir = try TemporaryDirectory(prefix: "gw-redis")
        port = try Ports.free()
        try start()
    }

    var address: String { "127.0.0.1:\(port)" }

    func start() throws {
        let process = try ChildProcess.spawn(
            ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--dir", dir.path],
            stdoutPath: dir.file("redis.log"), stderrPath: dir.file("redis.log"))
        self.process = process
        guard eventually(timeout: 20, { Ports.isAccepting(port: port) }) else {
            process.stop()
            throw HarnessError("redis-server did not start: \(tail(readTextFile(dir.file("redis.log"))))")
        }
    }

    /// SIGKILL: the outage (connections reset, the port refuses connections until `start()`).
    func kill() {
        process?.stop()
        process = nil
    }

    /// SIGSTOP: the server keeps its connections and accepts new ones, but never answers.
    func pause() { process?.signal(SIGSTOP) }

    func resume() { process?.signal(SIGCONT) }

    /// `redis-cli` with `--raw` output.
    func cli(_ arguments: [String]) throws -> String {
        let result = try Command.run(["redis-cli", "-p", String(port), "--raw"] + arguments, timeout: 20)
        guard result.succeeded else { throw HarnessError("\(result)") }
        return result.stdout
    }

    /// The `event` field of each entry of `stream`, raw, in stream order.
    func eventLines(_ stream: String) throws -> [String] {
        try cli(["XRANGE", stream, "-", "+"]).split(separator: "\n").filter { $0.hasPrefix("{") }.map(String.init)
    }

    /// The same, parsed.
    func events(_ stream: String) throws -> [[String: Any]] {
        try eventLines(stream).map(eventJSON)
    }

    func stop() {
        kill()
        dir.remove()
    }

    deinit { stop() }
}

/// One event line (file sink, stream entry, syslog MSG) as a JSON object.
func eventJSON(_ line: some StringProtocol) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw HarnessError("not a JSON object: \(line)")
    }
    return object
}

/// The value at a dotted ECS path (`trace.id`, `event.action`), as text.
func eventField(_ event: [String: Any], _ path: String) -> String? {
    var value: Any? = event
    for key in path.split(separator: ".") { value = (value as? [String: Any])?[String(key)] }
    switch value {
    case let text as String: return text
    case let number as NSNumber: return number.stringValue
    default: return nil
    }
}
