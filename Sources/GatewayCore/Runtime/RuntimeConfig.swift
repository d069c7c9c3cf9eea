import GatewayConfig
import GatewayHTTP
import GatewayNetwork

/// An immutable, fully validated snapshot of everything the workers need: compiled routes with
/// their filter instances, TLS contexts, upstream targets, limits and timeouts.
///
/// Built off the event loops; a reload builds a new one and swaps it in whole, or keeps the old.
public final class RuntimeConfig: Sendable {
    public let configuration: GatewayConfiguration
    /// What the config's plugins want the admin to know (``ConfigDiagnostics/note(_:at:)``).
    public let notes: [ConfigError]
    let listeners: [RuntimeListener]
    let upstreams: [RuntimeUpstream]
    let routes: [Route]
    let router: Router
    let parserLimits: HTTPParserLimits
    let trustedProxies: CIDRSet
    /// Every upstream target's health as the workers running this config see it.
    public let upstreamHealth: UpstreamHealth
    /// The `geo:` databases, opened when this config was built (so a reload reopens them);
    /// nil without a `geo:` section.
    public let geo: GeoLocator?

    struct RuntimeListener: Sendable {
        let name: String
        let address: SocketAddress
        let tls: TLSServerContext?
    }

    /// Equatable so a reload keeps a worker's pool (its warm connections, balancer and health
    /// state) for an unchanged upstream: same name, targets with their weights, `max_idle`,
    /// balance, health settings and TLS settings. Any other change gets a new pool.
    struct RuntimeUpstream: Sendable, Equatable {
        let name: String
        let targets: [UpstreamTarget]
        let maxIdle: Int
        let balance: UpstreamBalance
        let health: UpstreamHealthConfig
        /// Nil for plain HTTP.
        let tls: UpstreamTLSContext?
    }

    private init(configuration: GatewayConfiguration, listeners: [RuntimeListener], upstreams: [RuntimeUpstream], routes: [Route],
                 geo: GeoLocator?, notes: [ConfigError]) {
        self.configuration = configuration
        self.geo = geo
        self.notes = notes
        self.listeners = listeners
        self.upstreams = upstreams
        self.routes = routes
        self.router = Router(routes: routes, listenerCount: listeners.count)
        var limits = HTTPParserLimits()
        limits.maxHeadBytes = configuration.limits.maxHeaderBytes
        limits.maxHeaderCount = configuration.limits.maxHeaders
        limits.maxURIBytes = configuration.limits.maxURIBytes
        self.parserLimits = limits
        self.trustedProxies = configuration.trustedProxies
        self.upstreamHealth = UpstreamHealth(upstreams: configuration.upstreams, workers: configuration.workers)
    }

    /// The index of the listener on `address`, if this config has one.
    func listenerIndex(of address: SocketAddress) -> Int? {
        listeners.firstIndex { $0.address == address }
    }

    /// Loads and validates `path` completely: YAML, the core schema, plugin names and settings,
    /// certificates, geo databases. Every problem found is in the returned diagnostics.
    public static func load(path: String, registry: PluginRegistry) -> Result<RuntimeConfig, ConfigDiagnostics> {
        let diagnostics = ConfigDiagnostics()
        // The loader returns what it could read even with errors, so plugin settings are
        // checked in the same pass and every problem is reported at once.
        guard let configuration = ConfigLoader.load(path: path, diagnostics: diagnostics),
              let runtime = build(configuration, registry: registry, diagnostics: diagnostics),
              !diagnostics.hasErrors
        else { return .failure(diagnostics) }
        return .success(runtime)
    }

    package static func build(_ configuration: GatewayConfiguration, registry: PluginRegistry, diagnostics: ConfigDiagnostics) -> RuntimeConfig? {
        var filters: [String: any Filter] = [:]
        for entry in configuration.filters {
            guard let plugin = registry.plugin(named: entry.plugin) else {
                let known = registry.names.isEmpty ? "none are built in" : "known: " + registry.names.joined(separator: ", ")
                let hint = Spelling.nearest(to: entry.plugin, in: registry.names).map { "; did you mean '\($0)'?" } ?? " (\(known))"
                diagnostics.error("unknown plugin '\(entry.plugin)'\(hint)", at: entry.pluginLocation)
                continue
            }
            let context = PluginContext(filterName: entry.name, configuration: configuration)
            if let filter = plugin.makeFilter(settings: entry.settings, context: context, diagnostics: diagnostics) {
                filters[entry.name] = filter
            }
        }

        let listeners = configuration.listeners.map { listener in
            RuntimeListener(name: listener.name, address: listener.address,
                            tls: listener.tls.flatMap { TLSServerContext($0, diagnostics: diagnostics) })
        }
        let upstreams = configuration.upstreams.map { upstream in
            RuntimeUpstream(name: upstream.name, targets: upstream.targets, maxIdle: upstream.maxIdle, balance: upstream.balance,
                            health: upstream.health,
                            tls: upstream.tls.flatMap { UpstreamTLSContext($0, upstream: upstream.name, diagnostics: diagnostics) })
        }
        let geo = configuration.geo.flatMap { GeoLocator($0, diagnostics: diagnostics) }
        let upstreamIndex = Dictionary(uniqueKeysWithValues: upstreams.enumerated().map { ($0.element.name, $0.offset) })
        let listenerIndex = Dictionary(uniqueKeysWithValues: listeners.enumerated().map { ($0.element.name, $0.offset) })

        var routes: [Route] = []
        for route in configuration.routes {
            // The loader checked every reference; a missing one here means that filter failed to build.
            guard let upstream = upstreamIndex[route.upstream] else { continue }
            let routeFilters = route.filters.filter { filters[$0] != nil }
            routes.append(Route(
                name: route.name,
                pathPrefix: route.pathPrefix,
                hosts: route.hosts,
                methods: route.methods,
                listeners: route.listeners.map { Set($0.compactMap { listenerIndex[$0] }) },
                upstream: upstream,
                filters: routeFilters.compactMap { filters[$0] },
                filterNames: routeFilters,
                authFailureStatuses: route.authFailureStatuses,
                index: routes.count))
        }
        guard !diagnostics.hasErrors else { return nil }
        return RuntimeConfig(configuration: configuration, listeners: listeners, upstreams: upstreams, routes: routes,
                             geo: geo, notes: diagnostics.notes)
    }
}
