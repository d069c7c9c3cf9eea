// Reloading a running gateway and asking its admin endpoints.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension YAMLGateway {
    /// Reload outcomes logged so far (applied or rejected).
    var reloadOutcomes: Int {
        let log = stderr
        return log.components(separatedBy: "gateway: reloaded ").count - 1
            + log.components(separatedBy: "; still running config ").count - 1
    }

    /// Writes `template` (placeholders filled) as the config file, sends SIGHUP and waits until
    /// the gateway logged the outcome. Returns whether it was applied.
    @discardableResult
    func reload(_ template: String, timeout: Double = 30) throws -> Bool {
        let before = reloadOutcomes
        let applied = stderr.components(separatedBy: "gateway: reloaded ").count
        _ = try dir.write("gateway.yaml", fill(template))
        process.signal(SIGHUP)
        guard eventually(timeout: timeout, { reloadOutcomes > before }) else {
            throw HarnessError("no reload outcome logged after SIGHUP\n\(diagnostics)")
        }
        return stderr.components(separatedBy: "gateway: reloaded ").count > applied
    }
}

/// `GET path` on the admin listener at `port`.
func adminGet(port: UInt16, _ path: String, method: String = "GET") throws -> HTTPResponse {
    try oneRequest(port: port, method, path, hostHeader: "127.0.0.1:\(port)", headers: [("Connection", "close")])
}

/// Prometheus text as `name{labels}` -> value, labels exactly as rendered.
func parseMetrics(_ text: String) -> [String: Double] {
    var values: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        values[String(line[..<space])] = value
    }
    return values
}
