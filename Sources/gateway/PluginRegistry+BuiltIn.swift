import GatewayCore

extension PluginRegistry {
    /// The plugins compiled into the `gateway` binary. A new plugin adds one line here.
    static var builtIn: PluginRegistry {
        PluginRegistry([])
    }
}
