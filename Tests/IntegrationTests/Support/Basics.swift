// Small shared pieces of the integration-test harness: errors, paths, temporary
// directories, deadlines and polling.
//
// The harness drives the real `gateway` executable only; it never imports a gateway module.

@_exported import TestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    /// python3, as TestSupport finds it.
    static var python3: String { python3Path }
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
