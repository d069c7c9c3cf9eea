import Foundation
import GatewayNetwork

/// Reads the gateway schema from a parsed file: values, unique names and addresses, and
/// references between sections, every problem into `d`.
///
/// Invalid entries are left out of the result and invalid optional values fall back to their
/// defaults, so the rest of the file is still checked (and plugins can check their settings);
/// the result is only usable when `d` has no errors.
struct ConfigurationDecoder {
    let d: ConfigDiagnostics

    enum Kind: String {
        case listener, route, upstream, filter
    }

    /// Names in declaration order, with where each was declared.
    private var declared: [Kind: [(name: String, location: ConfigLocation)]] = [:]
    /// Names used by routes, checked once every section has been read.
    private var references: [(kind: Kind, name: String, location: ConfigLocation)] = []
    private var addressOwners: [SocketAddress: (owner: String, location: ConfigLocation)] = [:]

    init(_ d: ConfigDiagnostics) {
        self.d = d
    }

    mutating func configuration(_ root: ConfigNode, sourceHash: String) -> GatewayConfiguration? {
        let keys = ["workers", "trusted_proxies", "listeners", "admin", "limits", "timeouts", "upstreams", "routes", "filters",
                    "redis", "events", "access_log", "geo"]
        guard let m = root.mapping(d, keys: keys, required: ["listeners", "upstreams", "routes"], in: "the configuration") else {
            return nil
        }
        let redis = m["redis"].flatMap { self.redis($0) }
        let configuration = GatewayConfiguration(
            path: root.location.file,
            sourceHash: sourceHash,
            workers: m["workers"]?.int(d, range: 1...Int.max) ?? ProcessInfo.processInfo.activeProcessorCount,
            trustedProxies: CIDRSet(m["trusted_proxies"]?.list(d) { $0.cidr(d) } ?? []),
            listeners: m["listeners"].map { items($0, "listener").compactMap { listener($0) } } ?? [],
            admin: m["admin"].flatMap { admin($0) },
            limits: m["limits"].map(limits) ?? LimitsConfig(),
            timeouts: m["timeouts"].map(timeouts) ?? TimeoutsConfig(),
            upstreams: m["upstreams"].map { upstreams($0) } ?? [],
            routes: m["routes"].map { items($0, "route").compactMap { route($0) } } ?? [],
            filters: m["filters"].map { filters($0) } ?? [],
            redis: redis,
            events: m["events"].flatMap { events($0, redis: redis, redisDeclared: m["redis"] != nil) },
            accessLog: m["access_log"].flatMap { accessLog($0) },
            geo: m["geo"].flatMap { geo($0) },
            source: root)
        checkReferences()
        return configuration
    }

    // MARK: Listeners

    private mutating func listener(_ node: ConfigNode) -> ListenerConfig? {
        guard let m = node.mapping(d, keys: ["name", "address", "tls"], required: ["name", "address"], in: "listener") else {
            return nil
        }
        let name = m["name"].flatMap { declare(.listener, $0) }
        let addressNode = m["address"]
        let address = addressNode.flatMap { claim($0, for: name.map { "listener '\($0.name)'" } ?? "a listener") }
        let tlsNode = m["tls"]
        let tls = tlsNode.flatMap(tls)
        guard let (name, isNew) = name, isNew, let address, let addressNode, (tlsNode == nil) == (tls == nil) else { return nil }
        return ListenerConfig(name: name, address: address, tls: tls, location: m.location, addressLocation: addressNode.location)
    }

    private func tls(_ node: ConfigNode) -> TLSConfig? {
        guard let m = node.mapping(d, keys: ["certificates", "min_version", "ciphers"], required: ["certificates"], in: "tls") else {
            return nil
        }
        let certificateNodes = m["certificates"].map { items($0, "certificate") } ?? []
        let certificates = certificateNodes.compactMap(certificate)
        let minVersion = m["min_version"]?.oneOf(d, TLSVersion.allCases.map(\.rawValue)).flatMap(TLSVersion.init)
        let ciphersNode = m["ciphers"]
        let ciphers = ciphersNode?.string(d)
        if ciphers == "" { ciphersNode?.error(d, "expected an OpenSSL cipher list, found an empty string") }
        guard !certificates.isEmpty, certificates.count == certificateNodes.count else { return nil }
        return TLSConfig(
            certificates: certificates,
            minVersion: minVersion ?? .v1_2,
            ciphers: ciphers,
            ciphersLocation: ciphersNode?.location,
            location: m.location)
    }

    private func certificate(_ node: ConfigNode) -> CertificateConfig? {
        guard let m = node.mapping(d, keys: ["cert", "key"], required: ["cert", "key"], in: "certificate") else { return nil }
        let certNode = m["cert"], keyNode = m["key"]
        let certPath = certNode?.filePath(d), keyPath = keyNode?.filePath(d)
        guard let certNode, let keyNode, let certPath, let keyPath else { return nil }
        return CertificateConfig(certPath: certPath, keyPath: keyPath, location: certNode.location, keyLocation: keyNode.location)
    }

    private mutating func admin(_ node: ConfigNode) -> AdminConfig? {
        guard let m = node.mapping(d, keys: ["address", "allow_remote"], required: ["address"], in: "admin"),
              let addressNode = m["address"], let address = claim(addressNode, for: "the admin listener")
        else { return nil }
        let allowRemote = m["allow_remote"]?.bool(d) ?? false
        // The admin endpoints are unauthenticated: only an explicit key exposes them beyond this host.
        if !allowRemote, !address.ip.unmapped.isLoopback {
            addressNode.error(d, "the admin address \(address) is not a loopback address; the admin endpoints have no "
                + "authentication, so use 127.0.0.1 or [::1], or set 'allow_remote: true' to expose them")
        }
        return AdminConfig(address: address, allowRemote: allowRemote, location: addressNode.location)
    }

    /// Reads a listening address, reporting it if an earlier listener has it.
    private mutating func claim(_ node: ConfigNode, for owner: String) -> SocketAddress? {
        guard let address = node.socketAddress(d) else { return nil }
        if let holder = addressOwners[address] {
            node.error(d, "address \(address) is already used by \(holder.owner) at line \(holder.location.line)")
        } else {
            addressOwners[address] = (owner, node.location)
        }
        return address
    }

    // MARK: Limits and timeouts

    private func limits(_ node: ConfigNode) -> LimitsConfig {
        let settings: [(key: String, field: WritableKeyPath<LimitsConfig, Int>, read: (ConfigNode) -> Int?)] = [
            ("max_header_bytes", \.maxHeaderBytes, { $0.byteSize(d, range: 1...Int.max) }),
            ("max_headers", \.maxHeaders, { $0.int(d, range: 1...Int.max) }),
            ("max_uri_bytes", \.maxURIBytes, { $0.byteSize(d, range: 1...Int.max) }),
            ("max_body_bytes", \.maxBodyBytes, { $0.byteSize(d) }),
            ("max_connections", \.maxConnections, { $0.int(d, range: 1...Int.max) }),
        ]
        var limits = LimitsConfig()
        guard let m = node.mapping(d, keys: settings.map(\.key), in: "limits") else { return limits }
        for setting in settings {
            if let value = m[setting.key].flatMap(setting.read) { limits[keyPath: setting.field] = value }
        }
        return limits
    }

    private func timeouts(_ node: ConfigNode) -> TimeoutsConfig {
        let settings: [(key: String, field: WritableKeyPath<TimeoutsConfig, Duration>)] = [
            ("header", \.header), ("idle", \.idle), ("body", \.body), ("send", \.send),
            ("upstream_connect", \.upstreamConnect), ("upstream_response", \.upstreamResponse),
            ("upstream_idle", \.upstreamIdle), ("tunnel_idle", \.tunnelIdle), ("drain", \.drain),
        ]
        var timeouts = TimeoutsConfig()
        guard let m = node.mapping(d, keys: settings.map(\.key), in: "timeouts") else { return timeouts }
        for setting in settings {
            if let value = m[setting.key]?.duration(d) { timeouts[keyPath: setting.field] = value }
        }
        return timeouts
    }

    // MARK: Routes

    private mutating func route(_ node: ConfigNode) -> RouteConfig? {
        let keys = ["name", "match", "listeners", "upstream", "filters", "auth_failure_statuses"]
        guard let m = node.mapping(d, keys: keys, required: ["name", "match", "upstream"], in: "route") else { return nil }
        let name = m["name"].flatMap { declare(.route, $0) }.flatMap { $0.isNew ? $0.name : nil }
        let match = m["match"]?.mapping(d, keys: ["path_prefix", "hosts", "methods"], required: ["path_prefix"], in: "match")
        let pathPrefix = match?["path_prefix"].flatMap(pathPrefix)
        let hosts = match?["hosts"]?.list(d, host) ?? []
        let methods = match?["methods"]?.list(d, method) ?? []
        let listeners = m["listeners"]?.list(d) { reference(.listener, $0) }
        let upstream = m["upstream"].flatMap { reference(.upstream, $0) }
        let filters = m["filters"]?.list(d) { reference(.filter, $0) } ?? []
        let authFailureStatuses = m["auth_failure_statuses"]?.list(d) { $0.int(d, range: 400...599) }
        guard let name, let pathPrefix, let upstream else { return nil }
        return RouteConfig(name: name, pathPrefix: pathPrefix, hosts: hosts, methods: methods, listeners: listeners,
                           upstream: upstream, filters: filters, location: m.location,
                           authFailureStatuses: authFailureStatuses ?? [])
    }

    private func pathPrefix(_ node: ConfigNode) -> String? {
        guard let prefix = node.string(d) else { return nil }
        guard prefix.hasPrefix("/") else {
            node.error(d, "path_prefix must start with '/', found \(node.found)")
            return nil
        }
        return prefix
    }

    /// `api.example.org` or `*.example.org`, lowercased.
    private func host(_ node: ConfigNode) -> String? {
        guard let text = node.string(d) else { return nil }
        let host = text.lowercased()
        let name = host.hasPrefix("*.") ? host.dropFirst(2) : host[...]
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") } }) else {
            node.error(d, "invalid host \(node.found); expected a name such as api.example.org or a wildcard such as *.example.org")
            return nil
        }
        return host
    }

    /// An HTTP method token, uppercased.
    private func method(_ node: ConfigNode) -> String? {
        guard let text = node.string(d) else { return nil }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            node.error(d, "invalid method \(node.found); expected an HTTP method such as GET or POST")
            return nil
        }
        return text.uppercased()
    }

    // MARK: Filters

    private mutating func filters(_ node: ConfigNode) -> [FilterEntry] {
        guard let table = node.mapping(d) else { return [] }
        return table.entries.compactMap { entry in
            guard declare(.filter, entry.key, at: entry.keyLocation), let m = entry.value.mapping(d) else { return nil }
            guard let pluginNode = m["plugin"] else {
                d.error("missing required key 'plugin' in filter '\(entry.key)'", at: m.location)
                return nil
            }
            guard let plugin = nonEmptyName(pluginNode, "plugin") else { return nil }
            return FilterEntry(name: entry.key, plugin: plugin, pluginLocation: pluginNode.location,
                               settings: m.node(excluding: ["plugin"]), location: entry.keyLocation)
        }
    }

    // MARK: Names and references

    /// The items of a list that needs at least one.
    func items(_ node: ConfigNode, _ noun: String) -> [ConfigNode] {
        guard let items = node.list(d) else { return [] }
        if items.isEmpty { node.error(d, "at least one \(noun) is required") }
        return items
    }

    private func nonEmptyName(_ node: ConfigNode, _ noun: String) -> String? {
        guard let name = node.string(d) else { return nil }
        guard !name.isEmpty else {
            node.error(d, "a \(noun) name must not be empty")
            return nil
        }
        return name
    }

    /// Reads and declares a name; nil if invalid, `isNew` false (reported) if already taken.
    private mutating func declare(_ kind: Kind, _ node: ConfigNode) -> (name: String, isNew: Bool)? {
        guard let name = nonEmptyName(node, kind.rawValue) else { return nil }
        return (name, declare(kind, name, at: node.location))
    }

    /// False, with an error, when an earlier entry of `kind` has `name`.
    mutating func declare(_ kind: Kind, _ name: String, at location: ConfigLocation) -> Bool {
        if let first = declared[kind]?.first(where: { $0.name == name }) {
            d.error("duplicate \(kind) name '\(name)'; first defined at line \(first.location.line)", at: location)
            return false
        }
        declared[kind, default: []].append((name, location))
        return true
    }

    /// Reads a name that must be declared somewhere in the file; checked by `checkReferences`.
    private mutating func reference(_ kind: Kind, _ node: ConfigNode) -> String? {
        guard let name = nonEmptyName(node, kind.rawValue) else { return nil }
        references.append((kind, name, node.location))
        return name
    }

    /// A route name used outside `routes:` (an alert's `match.route`), checked with the others.
    mutating func referenceRoute(_ name: String, at location: ConfigLocation) {
        references.append((.route, name, location))
    }

    private func checkReferences() {
        for reference in references {
            let names = declared[reference.kind, default: []].map(\.name)
            guard !names.contains(reference.name) else { continue }
            let hint = if let nearest = Spelling.nearest(to: reference.name, in: names) {
                "; did you mean '\(nearest)'?"
            } else if names.isEmpty {
                "; no \(reference.kind)s are defined"
            } else {
                " (defined: \(names.joined(separator: ", ")))"
            }
            d.error("unknown \(reference.kind) '\(reference.name)'\(hint)", at: reference.location)
        }
    }
}
