// A gateway started from a whole config the test writes, for tests whose config the
// `GatewayConfig` renderer does not cover (plugins, events, alerts).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `gateway run` on a YAML config in which `{PORT}` and `{PORT2}` are replaced by free loopback
/// ports and `{DIR}` by the gateway's own temporary folder (for sinks, spools, certificates).
final class YAMLGateway: @unchecked Sendable {
    let process: ChildProcess
    let port: UInt16
    let port2: UInt16
    let configText: String
    let dir: TemporaryDirectory

    /// Waits until `{PORT}` (and `{PORT2}` when `waitForPort2`) accepts connections.
    init(_ template: String, waitForPort2: Bool = false) throws {
        dir = try TemporaryDirectory(prefix: "gw-yaml")
        let ports = try Ports.free(count: 2)
        (port, port2) = (ports[0], ports[1])
        configText = YAMLGateway.fill(template, port: port, port2: port2, dir: dir.path)
        let path = try dir.write("gateway.yaml", configText)
        process = try ChildProcess.spawn([try Paths.gatewayBinary(), "run", "--config", path],
                                         stdoutPath: dir.file("stdout.log"), stderrPath: dir.file("stderr.log"))
        let wanted = waitForPort2 ? [port, port2] : [port]
        let ready = eventually(timeout: 60) { [process] in !process.isRunning || wanted.allSatisfy { Ports.isAccepting(port: $0) } }
        guard ready, process.isRunning else {
            let output = process.stderrText
            stop()
            throw HarnessError("the gateway did not start:\n\(configText)\n--- stderr ---\n\(tail(output))")
        }
    }

    /// `template` with its placeholders replaced, as the gateway's config file has it.
    func fill(_ template: String) -> String {
        YAMLGateway.fill(template, port: port, port2: port2, dir: dir.path)
    }

    private static func fill(_ template: String, port: UInt16, port2: UInt16, dir: String) -> String {
        template
            .replacingOccurrences(of: "{PORT2}", with: String(port2))
            .replacingOccurrences(of: "{PORT}", with: String(port))
            .replacingOccurrences(of: "{DIR}", with: dir)
    }

    /// The config file `gateway run` was started with (tests rewrite it before a reload).
    var configPath: String { dir.file("gateway.yaml") }

    /// Where a config that says `path: "{DIR}/events.jsonl"` has its file sink.
    var eventsPath: String { dir.file("events.jsonl") }

    /// The file sink's lines, raw, and parsed.
    var fileLines: [String] { readTextFile(eventsPath).split(separator: "\n").map(String.init) }
    var fileEvents: [[String: Any]] { fileLines.compactMap { try? eventJSON($0) } }

    /// The gateway's stderr: its log and, with no `events:` sinks configured, one line per event.
    var stderr: String { process.stderrText }

    var diagnostics: String {
        "--- gateway config ---\n\(configText)\n--- gateway stderr (tail) ---\n\(tail(process.stderrText, 30))"
    }

    func stop() {
        process.stop()
        dir.remove()
    }

    deinit { stop() }
}
