// Shared pieces of the event tests: temporary folders, records, polling, free ports, and
// child processes started with posix_spawn.
//
// Why posix_spawn and not Foundation.Process: under Swift Testing a Process child inherits a
// signal mask with SIGTERM blocked (see /work/shared/notes/swift-c-interop.md). Children here
// get an empty mask and default dispositions.

import Foundation
import Glibc
@testable import GatewayCore
@testable import GatewayConfig
import GatewayNetwork

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A private folder under /tmp, removed by `remove()`.
final class TemporaryFolder: Sendable {
    let path: String

    init(_ prefix: String = "gw-events") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestError("mkdtemp failed") }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

func readText(_ path: String) -> String {
    (FileManager.default.contents(atPath: path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
}

func lines(_ text: String) -> [String] {
    text.split(separator: "\n").map(String.init)
}

/// A record like the pipeline makes for a blocked request, numbered so order can be checked.
func sampleRecord(_ number: Int = 0, action: SecurityEvent.Action = .blocked, severity: SecurityEvent.Severity = .high) -> EventRecord {
    EventRecord(
        event: SecurityEvent(name: "ip-denied", action: action, severity: severity, ruleID: "ip.deny.\(number)",
                             ruleName: "client address on the deny list", ruleCategory: "access", filter: "ip-access",
                             reason: "203.0.113.9 is in 203.0.113.0/24", matched: "203.0.113.9",
                             details: ["list": "blocklist"]),
        requestID: "req-\(number)", sourceIP: IPAddress("203.0.113.9"), method: "GET", path: "/patients/\(number)",
        userAgent: "curl/8.5.0", route: "portal", tags: ["geo:new-country"])
}

/// Polls `condition` until it holds or `timeout` seconds pass.
@discardableResult
func eventually(timeout: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() > deadline { return false }
        usleep(20_000)
    }
}

func parseLine(_ line: some StringProtocol) throws -> JSON { try JSON.parse(String(line)) }

// MARK: - Ports

enum Ports {
    /// A loopback port nothing listens on at the moment.
    static func free(type: Int32 = Int32(SOCK_STREAM.rawValue)) throws -> UInt16 {
        let fd = socket(AF_INET, type, 0)
        defer { close(fd) }
        try SocketAddress(ip: .v4(0x7f00_0001), port: 0).withSockAddr { address, length in
            guard bind(fd, address, length) == 0 else { throw TestError("bind: \(errno)") }
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress(sockaddr: $0)!.port }
        }
    }
}

// MARK: - Child processes

final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private var reaped = false

    /// Starts `argv` (PATH searched), output to `logPath`.
    init(_ argv: [String], logPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid = pid_t()
        let status = posix_spawnp(&pid, argv[0], &actions, &attributes, cArguments, environ)
        guard status == 0 else { throw TestError("cannot start \(argv[0]): \(String(cString: strerror(status)))") }
        self.pid = pid
    }

    /// SIGKILL and reap; safe to call twice.
    func kill() {
        guard !reaped else { return }
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        reaped = true
    }

    deinit { kill() }
}

/// A real redis-server on a loopback port, for as long as the test needs it.
final class RedisServer: @unchecked Sendable {
    let port: UInt16
    let folder: TemporaryFolder
    private let persistent: Bool
    private var process: ChildProcess?

    /// `persistent`: an append-only file synced on every write, so data survives a kill.
    init(port: UInt16? = nil, persistent: Bool = false) throws {
        self.port = try port ?? Ports.free()
        self.persistent = persistent
        folder = try TemporaryFolder("gw-redis")
        try start()
    }

    var address: RedisAddress { .tcp(SocketAddress(ip: .v4(0x7f00_0001), port: port)) }

    func start() throws {
        var argv = ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no",
                    "--dir", folder.path]
        argv += persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]
        process = try ChildProcess(argv, logPath: folder.file("redis.log"))
        let ready = eventually(timeout: 20) {
            (try? RedisConnection(address: address, timeout: .seconds(1)).command(["PING"])) == .status("PONG")
        }
        guard ready else { throw TestError("redis-server did not start on \(port): \(readText(folder.file("redis.log")))") }
    }

    func kill() {
        process?.kill()
        process = nil
    }

    func connect() throws -> RedisConnection { try RedisConnection(address: address, timeout: .seconds(5)) }

    /// The `event` field of every stream entry, in stream order.
    func streamEvents(_ key: String) throws -> [JSON] {
        guard case .array(let entries) = try connect().command(["XRANGE", key, "-", "+"]) else { return [] }
        return try entries.map { entry in
            guard case .array(let parts) = entry, case .array(let fields) = parts[1],
                  let index = fields.firstIndex(of: .string(Array("event".utf8))), case .string(let json) = fields[index + 1]
            else { throw TestError("unexpected entry \(entry)") }
            return try JSON.parse(json)
        }
    }

    deinit {
        kill()
        folder.remove()
    }
}

// MARK: - Dispatcher

/// Collects what the dispatcher logs, from its thread.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    @Sendable func append(_ line: String) { lock.withLock { collected.append(line) } }

    var lines: [String] { lock.withLock { collected } }
}

extension EventsConfig {
    init(_ sinks: [EventSinkConfig], queue: Int = 10_000, spool: String? = nil, spoolMax: Int = 100 << 20) {
        self.init(sinks: sinks, location: ConfigLocation(file: "test.yaml", line: 1, column: 1))
        queueCapacity = queue
        spoolDirectory = spool
        spoolMaxBytes = spoolMax
    }
}

extension EventSinkConfig {
    init(_ name: String, _ kind: Kind) {
        self.init(name: name, kind: kind, location: ConfigLocation(file: "test.yaml", line: 1, column: 1))
    }

    static func redis(_ server: RedisServer, stream: String = "gateway:events", name: String = "redis") -> EventSinkConfig {
        redis(server.address, stream: stream, name: name)
    }

    static func redis(_ address: RedisAddress, stream: String = "gateway:events", name: String = "redis") -> EventSinkConfig {
        var sink = RedisStreamSinkConfig(redis: RedisConfig(address: address, location: ConfigLocation(file: "test.yaml", line: 1, column: 1)))
        sink.stream = stream
        sink.timeout = .milliseconds(500)
        return EventSinkConfig(name, .redisStream(sink))
    }
}

extension EventDispatcher {
    /// Waits until every sink has delivered everything it holds.
    func waitUntilDelivered(timeout: Double = 30) -> Bool {
        eventually(timeout: timeout) { stats.allSatisfy { $0.queued == 0 && $0.spooled == 0 } }
    }
}
