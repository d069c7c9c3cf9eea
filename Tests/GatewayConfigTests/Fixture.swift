import Foundation
import GatewayConfig

/// A temporary folder holding a config file and whatever files it refers to.
final class Fixture {
    let directory: String

    init(_ files: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-config-\(UUID().uuidString)").path
        for (name, contents) in files { try write(name, contents) }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func write(_ name: String, _ contents: String) throws {
        let url = URL(fileURLWithPath: path(name))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Writes `gateway.yaml` and loads it.
    func load(_ yaml: String) throws -> Result<GatewayConfiguration, ConfigDiagnostics> {
        try write("gateway.yaml", yaml)
        return ConfigLoader.load(path: path("gateway.yaml"))
    }
}

/// The errors for `yaml` read as the file `gw.yaml`, as printed; empty when it is valid.
func errors(_ yaml: String) -> [String] {
    switch ConfigLoader.parse(yaml: yaml, path: "gw.yaml") {
    case .success: []
    case .failure(let diagnostics): diagnostics.errors.map(\.description)
    }
}

/// The smallest valid config, for tests that add one mistake.
let minimalYAML = """
    listeners:
      - name: web
        address: 127.0.0.1:8080
    upstreams:
      app:
        targets: [127.0.0.1:18080]
    routes:
      - name: default
        match: { path_prefix: / }
        upstream: app

    """
