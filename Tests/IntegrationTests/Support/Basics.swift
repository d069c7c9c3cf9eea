// Small shared pieces of the integration-test harness: errors, paths, temporary
// directories, deadlines and polling.
//
// The harness drives the real `gateway` executable only; it never imports a gateway module.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An error of the harness itself (a fixture did not start, a socket timed out, ...).
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The last `errno` as text, for error messages.
func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code)) + " (errno \(code))"
}

// MARK: - Paths

enum Paths {
    /// Tests/IntegrationTests, found from this source file (the Fixtures folder cannot be
    /// declared as a resource because the harness must not edit Package.swift).
    static var integrationTestsDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
    }

    static var fixturesDirectory: String { integrationTestsDirectory + "/Fixtures" }
    static var upstreamScript: String { fixturesDirectory + "/upstream.py" }
    static var webSocketClientScript: String { fixturesDirectory + "/wsclient.py" }

    /// The directory of the running test bundle (`.build/<triple>/debug/` under `swift test`).
    static var testBundleDirectory: String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let bytes = buf[0..<n].map { UInt8(bitPattern: $0) }
        let exe = String(decoding: bytes, as: UTF8.self)
        return (exe as NSString).deletingLastPathComponent
    }

    /// The `gateway` binary: `GATEWAY_BIN`, else next to the test bundle (SwiftPM puts the
    /// products of the package in the same folder, and the test target depends on `gateway`).
    static var gatewayBinaryCandidate: String {
        if let env = ProcessInfo.processInfo.environment["GATEWAY_BIN"], !env.isEmpty { return env }
        return (testBundleDirectory ?? ".build/debug") + "/gateway"
    }

    static func gatewayBinary() throws -> String {
        let path = gatewayBinaryCandidate
        guard access(path, X_OK) == 0 else {
            throw HarnessError("""
                gateway binary not found or not executable at \(path) \
                (set GATEWAY_BIN, or run `swift test` so that the gateway product is built next to the tests)
                """)
        }
        return path
    }

    /// python3: `PYTHON3`, else /usr/bin/python3 (avoids slow version-manager shims), else PATH.
    static var python3: String {
        if let env = ProcessInfo.processInfo.environment["PYTHON3"], !env.isEmpty { return env }
        if access("/usr/bin/python3", X_OK) == 0 { return "/usr/bin/python3" }
        return "python3"
    }
}

// MARK: - Temporary directories

/// A private directory under /tmp, removed by `remove()`.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init(prefix: String = "gw-it") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw HarnessError("mkdtemp: \(errnoText())") }
        path = String(cString: p)
    }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let p = file(name)
        try FileManager.default.createDirectory(
            atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? ""
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Reads a whole file as text (lossy UTF-8); "" when missing.
func readTextFile(_ path: String) -> String {
    guard let data = FileManager.default.contents(atPath: path) else { return "" }
    return String(decoding: data, as: UTF8.self)
}

/// The last `maxLines` lines of a text, for failure messages.
func tail(_ text: String, _ maxLines: Int = 40) -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    return lines.suffix(maxLines).joined(separator: "\n")
}

// MARK: - Time

/// Monotonic seconds.
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

struct Deadline {
    let at: Double
    init(_ seconds: Double) { at = monotonicNow() + seconds }
    var remaining: Double { max(0, at - monotonicNow()) }
    var expired: Bool { monotonicNow() >= at }
    /// Remaining time in milliseconds for poll(2) (at least 1 ms unless expired).
    var pollMilliseconds: Int32 {
        let ms = remaining * 1000
        return ms <= 0 ? 0 : Int32(min(ms.rounded(.up), Double(Int32.max)))
    }
}

func sleepSeconds(_ s: Double) {
    guard s > 0 else { return }
    var request = timespec(tv_sec: Int(s), tv_nsec: Int((s - Double(Int(s))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
/// Use generous timeouts: this is how the tests avoid sleeping for fixed margins.
@discardableResult
func eventually(timeout: Double = 20, interval: Double = 0.02, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Deadline(timeout)
    var pause = interval
    while true {
        if try condition() { return true }
        if deadline.expired { return false }
        sleepSeconds(min(pause, deadline.remaining))
        pause = min(pause * 1.5, 0.25)
    }
}

// MARK: - /proc

enum ProcStatus {
    /// A `kB` field of /proc/PID/status (VmRSS, VmHWM, ...), in KiB.
    static func kib(pid: pid_t, _ field: String) -> Int? {
        let text = readTextFile("/proc/\(pid)/status")
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let digits = line.dropFirst(field.count + 1).filter { $0.isNumber }
            return Int(digits)
        }
        return nil
    }

    /// A raw field of /proc/PID/status (e.g. SigBlk, SigIgn).
    static func field(pid: pid_t, _ field: String) -> String? {
        let text = readTextFile("/proc/\(pid)/status")
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}

// MARK: - Bytes

extension Array where Element == UInt8 {
    init(_ string: String) { self = Array(string.utf8) }
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Printable rendering of raw bytes for failure messages (\r, \n, \0 and others escaped).
func printable(_ bytes: some Collection<UInt8>, limit: Int = 400) -> String {
    var s = ""
    for b in bytes.prefix(limit) {
        switch b {
        case 0x0D: s += "\\r"
        case 0x0A: s += "\\n"
        case 0x09: s += "\\t"
        case 0x20...0x7E: s.unicodeScalars.append(Unicode.Scalar(b))
        default: s += String(format: "\\x%02x", b)
        }
    }
    if bytes.count > limit { s += "…(\(bytes.count) bytes)" }
    return s
}

/// Samples a process' VmRSS every 20 ms on a background thread and keeps the maximum.
final class PeakRSSSampler: @unchecked Sendable {
    private let pid: pid_t
    private let lock = NSLock()
    private var peak = 0
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(pid: pid_t) {
        self.pid = pid
        let thread = Thread { [self] in
            while true {
                let rss = ProcStatus.kib(pid: pid, "VmRSS") ?? 0
                lock.lock()
                peak = max(peak, rss)
                let go = running
                lock.unlock()
                if !go { break }
                sleepSeconds(0.02)
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops sampling; returns the largest VmRSS seen (KiB).
    func stop() -> Int {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning { done.wait() }
        lock.lock()
        defer { lock.unlock() }
        return peak
    }

    deinit { _ = stop() }
}
