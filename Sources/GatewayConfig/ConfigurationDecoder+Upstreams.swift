import GatewayNetwork

// The `upstreams:` section: targets with weights, balancing, health checking, TLS.

extension ConfigurationDecoder {
    mutating func upstreams(_ node: ConfigNode) -> [UpstreamConfig] {
        guard let table = node.mapping(d) else { return [] }
        if table.entries.isEmpty { node.error(d, "at least one upstream is required") }
        return table.entries.compactMap { entry in
            let keys = ["targets", "max_idle", "balance", "health", "tls"]
            guard declare(.upstream, entry.key, at: entry.keyLocation),
                  let m = entry.value.mapping(d, keys: keys, required: ["targets"], in: "upstream '\(entry.key)'")
            else { return nil }
            let targetNodes = m["targets"].map { items($0, "target") } ?? []
            let resolved = targetNodes.compactMap(target)
            let maxIdle = m["max_idle"]?.int(d, range: 0...Int.max) ?? 64
            let balance = m["balance"]?.oneOf(d, UpstreamBalance.allCases.map(\.rawValue)).flatMap(UpstreamBalance.init)
            let health = m["health"].map(health) ?? UpstreamHealthConfig()
            let tlsNode = m["tls"]
            let tls = tlsNode.flatMap(upstreamTLS)
            guard !resolved.isEmpty, resolved.count == targetNodes.count, (tlsNode == nil) == (tls == nil) else { return nil }
            var targets: [UpstreamTarget] = []
            for target in resolved.joined() where !targets.contains(where: { $0.address == target.address }) {
                targets.append(target)
            }
            return UpstreamConfig(name: entry.key, targets: targets, maxIdle: maxIdle, balance: balance ?? .roundRobin,
                                  health: health, tls: tls, location: entry.keyLocation)
        }
    }

    /// `host:port`, or `{ address: host:port, weight: N }`: every address the host resolves to.
    private func target(_ node: ConfigNode) -> [UpstreamTarget]? {
        var addressNode = node
        var weight = 1
        if case .mapping = node.content {
            guard let m = node.mapping(d, keys: ["address", "weight"], required: ["address"], in: "target"),
                  let address = m["address"] else { return nil }
            addressNode = address
            if let weightNode = m["weight"] {
                guard let value = weightNode.int(d, range: 1...1000) else { return nil }
                weight = value
            }
        }
        guard let text = addressNode.string(d), let addresses = addressNode.resolvedAddresses(d) else { return nil }
        let host = ConfigurationDecoder.host(ofTarget: text)
        return addresses.map { UpstreamTarget(address: $0, weight: weight, host: host) }
    }

    /// The host part of `host:port` or `[v6]:port`, brackets removed.
    static func host(ofTarget text: String) -> String {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return String(text[text.index(after: text.startIndex)..<close])
        }
        return String(text[..<(text.lastIndex(of: ":") ?? text.endIndex)])
    }

    private func health(_ node: ConfigNode) -> UpstreamHealthConfig {
        var health = UpstreamHealthConfig()
        let keys = ["max_failures", "backoff", "max_backoff", "failure_statuses", "check"]
        guard let m = node.mapping(d, keys: keys, in: "health") else { return health }
        if let value = m["max_failures"]?.int(d, range: 0...1000) { health.maxFailures = value }
        if let value = m["backoff"]?.duration(d) { health.backoff = value }
        if let value = m["max_backoff"]?.duration(d) { health.maxBackoff = value }
        if health.maxBackoff < health.backoff, let node = m["max_backoff"] ?? m["backoff"] {
            node.error(d, "max_backoff must not be shorter than backoff")
        }
        if let value = m["failure_statuses"]?.list(d, { $0.int(d, range: 500...599) }) { health.failureStatuses = value }
        health.check = m["check"].flatMap(check)
        return health
    }

    private func check(_ node: ConfigNode) -> HealthCheckConfig? {
        let keys = ["path", "interval", "timeout", "expect"]
        guard let m = node.mapping(d, keys: keys, required: ["path"], in: "check"),
              let pathNode = m["path"], let path = pathNode.string(d) else { return nil }
        guard path.hasPrefix("/"), path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            pathNode.error(d, "a check path must start with '/' and hold no spaces or control characters, found \(pathNode.found)")
            return nil
        }
        var check = HealthCheckConfig(path: path)
        if let value = m["interval"]?.duration(d) { check.interval = value }
        if let value = m["timeout"]?.duration(d) { check.timeout = value }
        if check.timeout > check.interval, let node = m["timeout"] ?? m["interval"] {
            node.error(d, "the check timeout must not be longer than its interval")
        }
        if let node = m["expect"] {
            guard let range = statusRange(node) else { return nil }
            check.expect = range
        }
        return check
    }

    /// `200`, or `200-399`, within 100-599.
    private func statusRange(_ node: ConfigNode) -> ClosedRange<Int>? {
        guard let text = node.string(d) else { return nil }
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(bounds.count), let low = bounds.first!, let high = bounds.last!,
              100 <= low, low <= high, high <= 599 else {
            node.error(d, "expected a status or a range of statuses such as 200-399 (100-599), found \(node.found)")
            return nil
        }
        return low...high
    }

    private func upstreamTLS(_ node: ConfigNode) -> UpstreamTLSConfig? {
        let keys = ["verify", "ca", "server_name", "cert", "key"]
        guard let m = node.mapping(d, keys: keys, in: "tls") else { return nil }
        var tls = UpstreamTLSConfig(location: m.location)
        var valid = true
        if let value = m["verify"]?.bool(d) { tls.verify = value }
        if let caNode = m["ca"] {
            tls.caPath = caNode.filePath(d)
            tls.caLocation = caNode.location
            valid = valid && tls.caPath != nil
        }
        if let nameNode = m["server_name"] {
            let name = nameNode.string(d)
            if let name, name.isEmpty || !name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
                nameNode.error(d, "expected a host name such as backend.internal, found \(nameNode.found)")
                valid = false
            }
            tls.serverName = name
            valid = valid && name != nil
        }
        let certNode = m["cert"], keyNode = m["key"]
        if (certNode == nil) != (keyNode == nil) {
            d.error("a client certificate needs both 'cert' and 'key'", at: (certNode ?? keyNode)!.location)
            valid = false
        }
        if let certNode, let keyNode {
            tls.certPath = certNode.filePath(d)
            tls.keyPath = keyNode.filePath(d)
            tls.certLocation = certNode.location
            valid = valid && tls.certPath != nil && tls.keyPath != nil
        }
        return valid ? tls : nil
    }
}
