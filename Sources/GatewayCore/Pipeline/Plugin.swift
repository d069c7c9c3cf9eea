import GatewayConfig

/// A kind of filter that config files name with `plugin:`.
///
/// A plugin reads and validates its own settings (reporting every problem into the diagnostics
/// at the right YAML node) and returns a filter, or nil when the settings are invalid. It is
/// called once per `filters:` entry when a config loads, off the event loops.
public protocol Plugin: Sendable {
    /// The name config files use (`plugin: cors`).
    static var name: String { get }
    /// Builds a filter from the entry's settings (the mapping without its `plugin:` key).
    static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics: ConfigDiagnostics) -> (any Filter)?
}

/// What a plugin may use while building its filter.
public struct PluginContext: Sendable {
    /// The name of the `filters:` entry being built.
    public var filterName: String
    /// The whole gateway config, for plugins that read shared top-level settings.
    public var configuration: GatewayConfiguration

    package init(filterName: String, configuration: GatewayConfiguration) {
        self.filterName = filterName
        self.configuration = configuration
    }
}

/// The plugins a gateway binary knows, by name.
public struct PluginRegistry: Sendable {
    private var plugins: [String: any Plugin.Type] = [:]

    public init(_ plugins: [any Plugin.Type] = []) {
        for plugin in plugins { register(plugin) }
    }

    public mutating func register(_ plugin: any Plugin.Type) {
        precondition(plugins[plugin.name] == nil, "plugin \(plugin.name) registered twice")
        plugins[plugin.name] = plugin
    }

    public var names: [String] { plugins.keys.sorted() }

    public func plugin(named name: String) -> (any Plugin.Type)? { plugins[name] }
}
