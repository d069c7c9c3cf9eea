import GatewayConfig

/// Parses `base + yaml` as a gateway config at a fixed path: the config tests' fixture.
func parseConfig(_ base: String, _ yaml: String) -> Result<GatewayConfiguration, ConfigDiagnostics> {
    ConfigLoader.parse(yaml: base + yaml, path: "/etc/gateway/gw.yaml")
}

/// The `file:line:col: reason` lines for `base + yaml`, empty when it is valid.
func configErrors(_ base: String, _ yaml: String) -> [String] {
    switch parseConfig(base, yaml) {
    case .success: []
    case .failure(let diagnostics): diagnostics.errors.map(\.description)
    }
}
