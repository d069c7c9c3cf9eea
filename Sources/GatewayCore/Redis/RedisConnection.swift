import CGatewayHiredis
import Glibc
import GatewayConfig

/// A Redis reply, copied out of hiredis (whose reply objects die with the callback or next call).
public enum RedisReply: Sendable, Equatable {
    case string([UInt8])
    case status(String)
    case error(String)
    case integer(Int)
    case array([RedisReply])
    case null

    init(_ reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        func bytes() -> [UInt8] {
            guard let text = r.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: text, count: r.len))
        }
        switch r.type {
        case REDIS_REPLY_STRING: self = .string(bytes())
        case REDIS_REPLY_STATUS: self = .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: self = .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: self = .integer(Int(r.integer))
        case REDIS_REPLY_ARRAY:
            self = .array((0..<r.elements).map { RedisReply(UnsafePointer(r.element[$0]!)) })
        default: self = .null
        }
    }

    /// The text of a bulk string or status reply.
    public var text: String? {
        switch self {
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }
}

/// Why a Redis connection or command failed.
package struct RedisError: Error, Sendable, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

/// A blocking Redis connection on hiredis' synchronous API, for threads that are not event
/// loops: the event dispatcher and `gateway events tail`. Connect and every command are bounded
/// by the timeout; after an I/O failure the connection is dead (``isBroken``).
package final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    /// Connects, then `AUTH` and `SELECT` as configured.
    package init(address: RedisAddress, timeout: Duration, password: String? = nil, database: Int = 0) throws(RedisError) {
        let (seconds, attoseconds) = timeout.components
        let limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        let connected: UnsafeMutablePointer<redisContext>? = switch address {
        case .tcp(let socketAddress): redisConnectWithTimeout(socketAddress.ip.description, Int32(socketAddress.port), limit)
        case .unix(let path): redisConnectUnixWithTimeout(path, limit)
        }
        guard let connected else { throw RedisError(message: "cannot connect to Redis at \(address): out of memory") }
        guard connected.pointee.err == 0 else {
            let reason = RedisConnection.errorText(connected)
            redisFree(connected)
            throw RedisError(message: "cannot connect to Redis at \(address): \(reason)")
        }
        context = connected
        redisSetTimeout(context, limit)
        if let password { try expectOK(["AUTH", password], doing: "AUTH") }
        if database != 0 { try expectOK(["SELECT", String(database)], doing: "SELECT \(database)") }
    }

    deinit { redisFree(context) }

    /// True after an I/O error or timeout: every later command fails; connect anew.
    package var isBroken: Bool { context.pointee.err != 0 }

    /// Sends one command and waits for its reply. Redis errors are `.error` replies; only
    /// connection failures throw.
    package func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        var argv = RedisArgv(arguments.map { Array($0.utf8) })
        let reply = argv.withArgv { count, argv, lengths in
            gw_redis_command_argv(context, count, argv, lengths)
        }
        guard let reply else { throw RedisError(message: "Redis: \(RedisConnection.errorText(context))") }
        defer { freeReplyObject(reply) }
        return RedisReply(reply)
    }

    /// Sends all `commands` in one write, then reads their replies in order: one round trip
    /// for a batch. Returns the replies read before a connection failure, and that failure.
    package func pipeline(_ commands: [[[UInt8]]]) -> (replies: [RedisReply], failure: RedisError?) {
        for arguments in commands {
            var argv = RedisArgv(arguments)
            let status = argv.withArgv { redisAppendCommandArgv(context, $0, $1, $2) }
            guard status == REDIS_OK else { return ([], RedisError(message: "Redis: \(RedisConnection.errorText(context))")) }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var reply: UnsafeMutableRawPointer?
            guard redisGetReply(context, &reply) == REDIS_OK, let reply else {
                return (replies, RedisError(message: "Redis: \(RedisConnection.errorText(context))"))
            }
            let typed = reply.assumingMemoryBound(to: redisReply.self)
            replies.append(RedisReply(typed))
            freeReplyObject(typed)
        }
        return (replies, nil)
    }

    private func expectOK(_ arguments: [String], doing what: String) throws(RedisError) {
        let reply = try command(arguments)
        if case .error(let message) = reply { throw RedisError(message: "Redis \(what) failed: \(message)") }
    }

    /// `errstr` is a `char[128]` in a synchronous context (a tuple in Swift).
    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: &context.pointee.errstr) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
    }
}

/// The argv/argvlen arrays hiredis takes, built in storage that is reused from command to
/// command: no allocation per command once warm.
struct RedisArgv {
    private var bytes: [UInt8] = []
    private var ranges: [(start: Int, count: Int)] = []
    private var pointers: [UnsafePointer<CChar>?] = []
    private var lengths: [Int] = []

    init() {}

    init(_ arguments: [[UInt8]]) {
        for argument in arguments { append(argument) }
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        ranges.removeAll(keepingCapacity: true)
    }

    mutating func append(_ argument: some Collection<UInt8>) {
        let start = bytes.count
        bytes.append(contentsOf: argument)
        ranges.append((start, bytes.count - start))
    }

    mutating func append(_ number: Int) {
        append(String(number).utf8)
    }

    /// Calls `body` with the arrays, valid only during the call (hiredis copies the arguments
    /// into its output buffer).
    mutating func withArgv<R>(_ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        bytes.append(0)  // never empty, so the buffer has an address
        defer { bytes.removeLast() }
        pointers.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        return bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            for range in ranges {
                pointers.append(base + range.start)
                lengths.append(range.count)
            }
            let count = Int32(ranges.count)
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { body(count, argv.baseAddress!, $0.baseAddress!) }
            }
        }
    }
}
