import Foundation
import Testing
@testable import GatewayCore
@testable import GatewayConfig

@Suite("File sink: JSON lines, reopen, rotation")
struct FileSinkTests {
    func payloads(_ range: Range<Int>) -> ArraySlice<[UInt8]> {
        ArraySlice(range.map { Array("{\"n\":\($0)}".utf8) })
    }

    @Test("appends one line per event, after what the file already holds")
    func appends() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let path = folder.file("events.jsonl")
        try "{\"n\":-1}\n".write(toFile: path, atomically: false, encoding: .utf8)
        let sink = try FileSink(name: "file", config: FileSinkConfig(path: path))
        #expect(sink.deliver(payloads(0..<3)).count == 3)
        #expect(sink.deliver(payloads(3..<5)).count == 5 - 3)
        #expect(readTextFile(path) == (-1..<5).map { "{\"n\":\($0)}\n" }.joined())
    }

    @Test("a file that cannot be opened fails at startup")
    func unwritable() throws {
        #expect(throws: EventSinkError.self) {
            try FileSink(name: "file", config: FileSinkConfig(path: "/nonexistent-dir/events.jsonl"))
        }
    }

    @Test("reopen() continues in a new file after the old one was moved away")
    func reopen() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let path = folder.file("events.jsonl")
        let sink = try FileSink(name: "file", config: FileSinkConfig(path: path))
        _ = sink.deliver(payloads(0..<2))
        rename(path, path + ".old")
        _ = sink.deliver(payloads(2..<3))  // still the moved file, as with logrotate before SIGUSR1
        sink.reopen()
        _ = sink.deliver(payloads(3..<4))
        #expect(readTextFile(path + ".old") == "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n")
        #expect(readTextFile(path) == "{\"n\":3}\n")
    }

    @Test("with max_size, rotates to path.1 ... path.keep and never splits a line")
    func rotation() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let path = folder.file("events.jsonl")
        var config = FileSinkConfig(path: path, maxSize: 4096)
        config.keep = 2
        let sink = try FileSink(name: "file", config: config)
        // 100-byte lines (numbers of 4 digits): 40 fit in one file.
        let line = { (n: Int) in Array(("{\"n\":\(1000 + n),\"pad\":\"" + String(repeating: "x", count: 80) + "\"}").utf8) }
        #expect(line(0).count + 1 == 100)
        for start in stride(from: 0, to: 150, by: 10) {
            #expect(sink.deliver(ArraySlice((start..<start + 10).map(line))).count == 10)
        }
        let files = [path, path + ".1", path + ".2"].map { lines(readTextFile($0)) }
        #expect(files.map(\.count) == [30, 40, 40], "current, .1 and .2; the oldest 40 lines are gone")
        #expect(!FileManager.default.fileExists(atPath: path + ".3"))
        let numbers = try (files[2] + files[1] + files[0]).map { try parseLine($0)["n"]?.int ?? -1 }
        #expect(numbers == Array(1040..<1150))
        for file in [path, path + ".1", path + ".2"] {
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int
            #expect(size.map { $0 <= 4096 } == true)
        }
    }
}
