import Glibc
import GatewayHTTP

/// A compiled route: where matching requests go and the filters they pass through.
public final class Route: Sendable {
    public let name: String
    public let pathPrefix: String
    let pathPrefixBytes: [UInt8]
    let hosts: [HostPattern]
    let methods: Set<HTTPMethod>?
    /// Listener indexes this route serves; nil = all.
    let listeners: Set<Int>?
    let upstream: Int
    /// Filters in request order.
    public let filters: [any Filter]
    /// The `filters:` entry names of ``filters``, for the access log and metrics.
    public let filterNames: [String]
    /// Position in its runtime config's routes (per-worker metrics are indexed by it).
    let index: Int
    /// Upstream statuses that raise an `auth-failure` event (`auth_failure_statuses`).
    let authFailureStatuses: [Int]

    /// `hosts` and `methods` empty: any.
    package init(name: String, pathPrefix: String, hosts: [String], methods: [String], listeners: Set<Int>?,
                 upstream: Int, filters: [any Filter], filterNames: [String] = [], authFailureStatuses: [Int] = [],
                 index: Int = 0) {
        self.name = name
        self.pathPrefix = pathPrefix
        self.pathPrefixBytes = Array(pathPrefix.utf8)
        self.hosts = hosts.map(HostPattern.init)
        self.methods = methods.isEmpty ? nil : Set(methods.map(HTTPMethod.init))
        self.listeners = listeners
        self.upstream = upstream
        self.filters = filters
        self.filterNames = filterNames
        self.index = index
        self.authFailureStatuses = authFailureStatuses
    }
}

/// `api.example.org` (exact) or `*.example.org` (one or more labels before the suffix).
struct HostPattern: Sendable {
    /// Lowercased; for a wildcard, the suffix including its leading dot.
    let text: [UInt8]
    let isWildcard: Bool

    init(_ pattern: String) {
        let lower = pattern.lowercased()
        if lower.hasPrefix("*.") {
            text = Array(lower.utf8.dropFirst())
            isWildcard = true
        } else {
            text = Array(lower.utf8)
            isWildcard = false
        }
    }

    /// `host` is the Host header value without its port, in any case.
    func matches(_ host: UnsafeRawBufferPointer) -> Bool {
        if isWildcard {
            guard host.count > text.count else { return false }
            return asciiCaseInsensitiveEqual(UnsafeRawBufferPointer(rebasing: host[(host.count - text.count)...]), text)
        }
        return host.count == text.count && asciiCaseInsensitiveEqual(host, text)
    }
}

/// Compares bytes to an already-lowercased ASCII pattern.
func asciiCaseInsensitiveEqual(_ bytes: UnsafeRawBufferPointer, _ lowercased: [UInt8]) -> Bool {
    guard bytes.count == lowercased.count else { return false }
    for index in 0..<bytes.count {
        var byte = bytes[index]
        if byte &- 0x41 < 26 { byte |= 0x20 }
        if byte != lowercased[index] { return false }
    }
    return true
}

/// Picks the route for a request: among the routes that serve the listener and match host and
/// method, the longest path prefix wins; on a tie, a route that names hosts beats one that does
/// not, then the first in the file.
struct Router: Sendable {
    /// Per listener, candidate routes sorted by prefix length, longest first (stable).
    private let byListener: [[Route]]

    init(routes: [Route], listenerCount: Int) {
        var byListener: [[Route]] = []
        for listener in 0..<listenerCount {
            let candidates = routes.enumerated()
                .filter { $0.element.listeners?.contains(listener) ?? true }
                .sorted { lhs, rhs in
                    let (left, right) = (lhs.element, rhs.element)
                    if left.pathPrefixBytes.count != right.pathPrefixBytes.count {
                        return left.pathPrefixBytes.count > right.pathPrefixBytes.count
                    }
                    if left.hosts.isEmpty != right.hosts.isEmpty { return !left.hosts.isEmpty }
                    return lhs.offset < rhs.offset
                }
                .map(\.element)
            byListener.append(candidates)
        }
        self.byListener = byListener
    }

    func route(listener: Int, request: HTTPRequestHead) -> Route? {
        request.withPath { path in
            for route in byListener[listener] {
                guard path.count >= route.pathPrefixBytes.count,
                      route.pathPrefixBytes.withUnsafeBytes({ prefix in
                          memcmp(path.baseAddress!, prefix.baseAddress!, prefix.count) == 0
                      })
                else { continue }
                if let methods = route.methods, !methods.contains(request.method) { continue }
                if !route.hosts.isEmpty, !Router.hostMatches(route.hosts, request) { continue }
                return route
            }
            return nil
        }
    }

    private static func hostMatches(_ patterns: [HostPattern], _ request: HTTPRequestHead) -> Bool {
        request.headers.withFirst("Host") { host -> Bool in
            var end = host.count
            // Strip the port, leaving IPv6 literals ("[::1]:80") intact.
            if let colon = host.lastIndex(of: UInt8(ascii: ":")), !host[colon...].contains(UInt8(ascii: "]")) {
                end = colon
            }
            let name = UnsafeRawBufferPointer(rebasing: host[..<end])
            return patterns.contains { $0.matches(name) }
        } ?? false
    }
}
