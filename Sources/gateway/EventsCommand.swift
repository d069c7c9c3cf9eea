import ArgumentParser
import Foundation
import GatewayConfig
import GatewayCore

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the security events the gateway writes (see docs/events.md).",
        subcommands: [Tail.self]
    )
}

extension Events {
    struct Tail: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print security events from a file sink or a Redis stream, one line each.",
            discussion: "The Redis password, if any, is read from REDISCLI_AUTH. Fields and examples: docs/events.md."
        )

        @Option(help: "A file sink's JSON-lines file.")
        var file: String?

        @Option(help: "A Redis server: host:port or unix:/path.")
        var redis: String?

        @Option(help: "The stream key, with any redis.key_prefix.")
        var stream = "gateway:events"

        @Option(help: "Redis database number.")
        var database = 0

        @Option(help: "Read as this consumer group (created at the stream's end if missing); read entries are acknowledged.")
        var group: String?

        @Option(help: "The consumer name within --group.")
        var consumer: String?

        @Flag(name: .shortAndLong, help: "Keep waiting for new events.")
        var follow = false

        @Option(name: [.customShort("n"), .long], help: "How many of the latest matching events to show first (not with --group).")
        var lines = 10

        @Option(name: .customLong("where"), help: ArgumentHelp("Only events whose field has this value, e.g. rule.id=ip.deny; repeatable (all must match).", valueName: "field=value"))
        var conditions: [String] = []

        @Flag(help: "Print each event's JSON as stored.")
        var json = false

        func validate() throws {
            guard (file == nil) != (redis == nil) else { throw ValidationError("give either --file or --redis") }
            guard (group == nil) == (consumer == nil) else { throw ValidationError("--group and --consumer go together") }
            if group != nil, redis == nil { throw ValidationError("--group needs --redis") }
            guard lines >= 0 else { throw ValidationError("--lines must be 0 or more") }
            _ = try EventFilter(conditions)
        }

        func run() throws {
            let output = EventOutput(filter: try EventFilter(conditions), json: json)
            if let file {
                try FileTail(path: file, output: output).run(lines: lines, follow: follow)
            } else if let redis {
                let address: RedisAddress
                do {
                    address = try RedisAddress(parsing: redis)
                } catch {
                    throw ValidationError(error.message)
                }
                let password = ProcessInfo.processInfo.environment["REDISCLI_AUTH"].flatMap { $0.isEmpty ? nil : $0 }
                let tail = try StreamTail(address: address, password: password, database: database, key: stream, output: output)
                if let group, let consumer {
                    try tail.runGroup(group, consumer: consumer, follow: follow)
                } else {
                    try tail.run(lines: lines, follow: follow)
                }
            }
        }
    }
}

/// Reports a problem met while reading (not a usage error) and exits with status 1.
private func failure(_ message: String) -> ExitCode {
    printError("gateway events tail: " + message)
    return ExitCode(1)
}

// MARK: - Matching and printing

/// `--where field=value` conditions on dotted ECS names; all must hold. An array field
/// matches when any element does.
struct EventFilter {
    private let conditions: [(path: [String], value: String)]

    init(_ arguments: [String]) throws {
        conditions = try arguments.map { argument in
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("--where expects field=value, such as gateway.action=blocked; found '\(argument)'")
            }
            return (argument[..<equals].split(separator: ".").map(String.init), String(argument[argument.index(after: equals)...]))
        }
    }

    func matches(_ event: [String: Any]) -> Bool {
        conditions.allSatisfy { condition in
            let value = EventOutput.value(at: condition.path, in: event)
            let candidates = (value as? [Any]) ?? value.map { [$0] } ?? []
            return candidates.contains { EventOutput.text($0) == condition.value }
        }
    }
}

/// Prints matching events: one human-readable line each, or the stored JSON with `--json`.
struct EventOutput {
    let filter: EventFilter
    let json: Bool

    /// Prints the event on `line` if it matches (lines that are not events are skipped).
    func handle(_ line: some Collection<UInt8>) {
        guard let event = EventOutput.parse(line), filter.matches(event) else { return }
        emit(line, event)
    }

    func matches(_ line: some Collection<UInt8>) -> Bool {
        EventOutput.parse(line).map(filter.matches) ?? false
    }

    func emit(_ line: some Collection<UInt8>, _ event: [String: Any]? = nil) {
        guard let event = event ?? EventOutput.parse(line) else { return }
        var text = (json ? String(decoding: line, as: UTF8.self) : EventOutput.summary(event)) + "\n"
        text.withUTF8 { bytes in
            var written = 0
            while written < bytes.count {
                let result = write(1, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 && errno != EINTR { return }
                written += max(0, result)
            }
        }
    }

    static func parse(_ line: some Collection<UInt8>) -> [String: Any]? {
        guard !line.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
    }

    /// `TIME SEVERITY ACTION RULE SOURCE METHOD PATH trace=ID`, `-` for what is missing.
    static func summary(_ event: [String: Any]) -> String {
        func field(_ path: String) -> String {
            value(at: path.split(separator: ".").map(String.init), in: event).map(text).map(printable) ?? "-"
        }
        let severity = switch field("event.severity") {
        case "21": "low"
        case "47": "medium"
        case "73": "high"
        case "99": "critical"
        case let other: other
        }
        let columns = [
            field("@timestamp"), pad(severity, 8), pad(field("gateway.action"), 7), pad(field("rule.id"), 24),
            pad(field("source.ip"), 15), field("http.request.method"), field("url.path"), "trace=" + field("trace.id"),
        ]
        return columns.joined(separator: " ")
    }

    /// The value at a dotted path (`source.ip` as `["source", "ip"]`), through nested objects.
    static func value(at path: [String], in event: [String: Any]) -> Any? {
        var value: Any? = event
        for key in path { value = (value as? [String: Any])?[key] }
        return value
    }

    /// A JSON value as `--where` compares it: strings as they are, numbers and booleans as written.
    static func text(_ value: Any) -> String {
        if let number = value as? NSNumber, !(value is String) {
            return String(cString: number.objCType) == "c" ? (number.boolValue ? "true" : "false") : number.stringValue
        }
        if let string = value as? String { return string }
        if value is NSNull { return "null" }
        return String(describing: value)
    }

    /// Control and format characters (escape sequences, bidi overrides) as `\u{..}`, so an
    /// event cannot rewrite the analyst's terminal.
    private static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

// MARK: - File

/// Reads a JSON-lines file, then (with `--follow`) waits for more, following a rotation
/// (a new file at the path) or a truncation.
struct FileTail {
    let path: String
    let output: EventOutput

    func run(lines: Int, follow: Bool) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw failure("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var reader = LineReader(handle: handle)
        var latest: [[UInt8]] = []  // the last `lines` matching lines
        if lines > 0 {
            while let line = reader.next() {
                guard output.matches(line) else { continue }
                latest.append(line)
                if latest.count > lines { latest.removeFirst() }
            }
        } else {
            reader.skipToEnd()
        }
        for line in latest { output.emit(line) }
        guard follow else { return }

        var identity = FileTail.identity(of: handle.fileDescriptor)
        while true {
            while let line = reader.next() { output.handle(line) }
            usleep(200_000)
            var status = stat()
            if stat(path, &status) == 0, (status.st_dev, status.st_ino) != identity {
                // Rotated: finish the old file, then start the new one from its beginning.
                while let line = reader.next() { output.handle(line) }
                guard let next = FileHandle(forReadingAtPath: path) else { continue }
                reader = LineReader(handle: next)
                identity = FileTail.identity(of: next.fileDescriptor)
            } else if reader.offset > (status.st_size >= 0 ? UInt64(status.st_size) : 0) {
                reader.restart()  // truncated in place
            }
        }
    }

    private static func identity(of fd: Int32) -> (dev_t, ino_t) {
        var status = stat()
        fstat(fd, &status)
        return (status.st_dev, status.st_ino)
    }
}

/// Complete lines from a file that may still be growing: a trailing part without a newline
/// waits for the rest.
struct LineReader {
    let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    /// File offset just past the last byte read.
    private(set) var offset: UInt64 = 0

    init(handle: FileHandle) {
        self.handle = handle
    }

    mutating func next() -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                return line
            }
            let chunk = handle.readData(ofLength: 1 << 16)
            guard !chunk.isEmpty else { return nil }
            buffer.removeFirst(start)
            start = 0
            buffer.append(contentsOf: chunk)
            offset += UInt64(chunk.count)
        }
    }

    mutating func skipToEnd() {
        offset = handle.seekToEndOfFile()
        buffer = []
        start = 0
    }

    mutating func restart() {
        handle.seek(toFileOffset: 0)
        offset = 0
        buffer = []
        start = 0
    }
}

// MARK: - Redis stream

/// Reads a Redis stream: the latest entries with XREVRANGE, new ones with XREAD BLOCK, or as
/// a consumer group member with XREADGROUP and XACK.
struct StreamTail {
    let connection: RedisConnection
    let key: String
    let output: EventOutput
    /// How long one blocking read waits; the connection timeout is longer.
    static let blockMilliseconds = 2000

    init(address: RedisAddress, password: String?, database: Int, key: String, output: EventOutput) throws {
        do {
            connection = try RedisConnection(address: address, timeout: .seconds(10), password: password, database: database)
        } catch {
            throw failure(error.message)
        }
        self.key = key
        self.output = output
    }

    func run(lines: Int, follow: Bool) throws {
        // Where following starts: after the newest entry now, or from the start of an empty stream.
        var lastID = try StreamTail.entries(command(["XREVRANGE", key, "+", "-", "COUNT", "1"])).first?.id ?? "0-0"
        // Newest first, a page at a time, until enough match or the stream's start.
        var latest: [[UInt8]] = []
        var before = lastID == "0-0" ? nil : lastID
        pages: while lines > 0, let end = before {
            let entries = try StreamTail.entries(command(["XREVRANGE", key, end, "-", "COUNT", "500"]))
            for entry in entries where output.matches(entry.event) {
                latest.append(entry.event)
                if latest.count == lines { break pages }
            }
            before = entries.count == 500 ? entries.last.map { "(" + $0.id } : nil
        }
        for event in latest.reversed() { output.emit(event) }
        guard follow else { return }
        while true {
            let reply = try command(["XREAD", "COUNT", "100", "BLOCK", String(StreamTail.blockMilliseconds), "STREAMS", key, lastID])
            for entry in try StreamTail.streamEntries(reply) {
                output.handle(entry.event)
                lastID = entry.id
            }
        }
    }

    func runGroup(_ group: String, consumer: String, follow: Bool) throws {
        let created = try command(["XGROUP", "CREATE", key, group, "$", "MKSTREAM"])
        if case .error(let message) = created, !message.hasPrefix("BUSYGROUP") {
            throw failure("XGROUP CREATE failed: \(message)")
        }
        while true {
            var arguments = ["XREADGROUP", "GROUP", group, consumer, "COUNT", "100"]
            if follow { arguments += ["BLOCK", String(StreamTail.blockMilliseconds)] }
            let entries = try StreamTail.streamEntries(try command(arguments + ["STREAMS", key, ">"]))
            if entries.isEmpty, !follow { return }
            for entry in entries { output.handle(entry.event) }
            if !entries.isEmpty { _ = try command(["XACK", key, group] + entries.map(\.id)) }
        }
    }

    private func command(_ arguments: [String]) throws -> RedisReply {
        let reply: RedisReply
        do {
            reply = try connection.command(arguments)
        } catch {
            throw failure(error.message)
        }
        if case .error(let message) = reply, arguments[0] != "XGROUP" {
            throw failure("\(arguments[0]) failed: \(message)")
        }
        return reply
    }

    /// `[[id, [field, value, ...]], ...]` -> the entries' ids and `event` fields.
    private static func entries(_ reply: RedisReply) throws -> [(id: String, event: [UInt8])] {
        guard case .array(let items) = reply else { return [] }
        return items.compactMap { item in
            guard case .array(let parts) = item, parts.count == 2, let id = parts[0].text, case .array(let fields) = parts[1] else { return nil }
            let eventIndex = stride(from: 0, to: fields.count - 1, by: 2).first { fields[$0].text == "event" }
            guard let eventIndex, case .string(let event) = fields[eventIndex + 1] else { return nil }
            return (id, event)
        }
    }

    /// XREAD / XREADGROUP: `[[key, entries]]`, or null after a timeout.
    private static func streamEntries(_ reply: RedisReply) throws -> [(id: String, event: [UInt8])] {
        guard case .array(let streams) = reply, case .array(let stream)? = streams.first, stream.count == 2 else { return [] }
        return try entries(stream[1])
    }
}
