// Shared by the test targets that start real processes (IntegrationTests, GatewayEventsTests):
// errors, temporary directories, deadlines and polling.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An error of the harness itself (a fixture did not start, a socket timed out, ...).
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The last `errno` as text, for error messages.
public func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code)) + " (errno \(code))"
}

// MARK: - Temporary directories

/// A private directory under /tmp, removed by `remove()`.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(prefix: String = "gw-it") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw HarnessError("mkdtemp: \(errnoText())") }
        path = String(cString: p)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        let p = file(name)
        try FileManager.default.createDirectory(
            atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) throws -> String {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    public func read(_ name: String) -> String {
        (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? ""
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Reads a whole file as text (lossy UTF-8); "" when missing.
public func readTextFile(_ path: String) -> String {
    guard let data = FileManager.default.contents(atPath: path) else { return "" }
    return String(decoding: data, as: UTF8.self)
}

/// The last `maxLines` lines of a text, for failure messages.
public func tail(_ text: String, _ maxLines: Int = 40) -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    return lines.suffix(maxLines).joined(separator: "\n")
}

// MARK: - Time

/// Monotonic seconds.
public func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

public struct Deadline {
    public let at: Double
    public init(_ seconds: Double) { at = monotonicNow() + seconds }
    public var remaining: Double { max(0, at - monotonicNow()) }
    public var expired: Bool { monotonicNow() >= at }
    /// Remaining time in milliseconds for poll(2) (at least 1 ms unless expired).
    public var pollMilliseconds: Int32 {
        let ms = remaining * 1000
        return ms <= 0 ? 0 : Int32(min(ms.rounded(.up), Double(Int32.max)))
    }
}

public func sleepSeconds(_ s: Double) {
    guard s > 0 else { return }
    var request = timespec(tv_sec: Int(s), tv_nsec: Int((s - Double(Int(s))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
/// Use generous timeouts: this is how the tests avoid sleeping for fixed margins.
@discardableResult
public func eventually(timeout: Double = 20, interval: Double = 0.02, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Deadline(timeout)
    var pause = interval
    while true {
        if try condition() { return true }
        if deadline.expired { return false }
        sleepSeconds(min(pause, deadline.remaining))
        pause = min(pause * 1.5, 0.25)
    }
}
