import Foundation
import Testing
@testable import GatewayCore

@Suite("Event spool: bounded on-disk FIFO")
struct EventSpoolTests {
    func line(_ n: Int, size: Int = 100) -> [UInt8] {
        let head = Array("{\"n\":\(n),\"pad\":\"".utf8)
        return head + [UInt8](repeating: UInt8(ascii: "x"), count: max(0, size - head.count - 2)) + Array("\"}".utf8)
    }

    func number(_ bytes: [UInt8]) throws -> Int { try JSON.parse(bytes)["n"]?.int ?? -1 }

    /// Everything in the spool, oldest first, removing it.
    func drain(_ spool: EventSpool, batch: Int = 7) throws -> [Int] {
        var numbers: [Int] = []
        while spool.count > 0 {
            let lines = spool.peek(max: batch)
            numbers += try lines.map(number)
            spool.removeFirst(lines.count)
        }
        return numbers
    }

    func segments(_ folder: TemporaryDirectory) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".spool") }.sorted()
    }

    @Test("lines come back in order across segments; delivered segments are deleted")
    func order() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let spool = try EventSpool(directory: folder.path, maxBytes: 512 << 10)  // 64 KiB segments
        for n in 0..<2000 { #expect(spool.append(line(n))) }  // 200 kB
        #expect(spool.count == 2000)
        #expect(segments(folder).count >= 3)
        #expect(spool.peek(max: 3).count == 3 && spool.count == 2000, "peek does not remove")
        #expect(try drain(spool) == Array(0..<2000))
        #expect(segments(folder).isEmpty)
        // Appending and removing interleaved.
        for n in 0..<10 { _ = spool.append(line(n)) }
        let first = spool.peek(max: 4)
        spool.removeFirst(first.count)
        for n in 10..<15 { _ = spool.append(line(n)) }
        #expect(try first.map(number) + drain(spool) == Array(0..<15))
    }

    @Test("the spool is bounded: appends beyond max fail")
    func bounded() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        let spool = try EventSpool(directory: folder.path, maxBytes: 10_100)
        let accepted = (0..<200).filter { spool.append(line($0)) }
        #expect(accepted == Array(0..<100), "101-byte lines (with newline) into 10 100 bytes")
        #expect(spool.count == 100)
    }

    @Test("a later run takes over what an earlier one left, skipping a line cut short by a crash")
    func survivesRestart() throws {
        let folder = try TemporaryDirectory(prefix: "gw-events")
        defer { folder.remove() }
        do {
            let spool = try EventSpool(directory: folder.path, maxBytes: 10 << 20)
            for n in 0..<1000 { _ = spool.append(line(n)) }
            let delivered = spool.peek(max: 10)
            spool.removeFirst(delivered.count)
            spool.close()
        }
        // A crash in the middle of a write leaves a line without its newline.
        let last = try #require(segments(folder).last)
        let handle = try #require(FileHandle(forWritingAtPath: folder.file(last)))
        handle.seekToEndOfFile()
        handle.write(Data("{\"n\":99999,\"pa".utf8))
        try handle.close()

        let spool = try EventSpool(directory: folder.path, maxBytes: 10 << 20)
        #expect(spool.count == 1000, "at least once: the partly delivered segment is read again from its start")
        _ = spool.append(line(1000))
        #expect(try drain(spool, batch: 64) == Array(0...1000))
    }
}
