import GatewayConfig
import GatewayCore

/// `plugin: injection` — blocks SQL injection, XSS, path traversal and file inclusion, OS
/// command injection, code injection, NoSQL and LDAP injection and CRLF/header injection
/// before the backend sees the request.
///
/// ```yaml
/// waf:
///   plugin: injection
///   mode: block                 # block (403 + event) | detect (forward, tag, event)
///   threshold: 5                # anomaly score that decides (critical 5, high 4, medium 3, low 2)
///   max_body: 128KiB            # bytes of body inspected
///   on_oversize: inspect_prefix # inspect_prefix | reject (413)
///   detectors: [sqli, xss, lfi, rfi, rce, code, nosql, ldap, protocol, encoding]   # default: all
///   exclusions:
///     - { detector: xss, field: "body:text.div" }
///     - { detector: sqli, field: "query:q", route: search }
/// ```
///
/// Settings:
/// - `mode`: `block` (default) answers 403 and raises `injection-blocked`; `detect` forwards,
///   tags the exchange `injection:<detector>` and raises `injection-detected`.
/// - `threshold`: the sum of the findings' weights (critical 5, high 4, medium 3, low 2) at
///   which a request is blocked or flagged, 1 to 100. Default 5: one critical finding, or two
///   weaker ones.
/// - `max_body`: how much of a body is read and inspected, 1KiB to 16MiB. Default 128KiB.
/// - `on_oversize`: for a longer body, `inspect_prefix` (default) judges the first `max_body`
///   bytes and forwards the rest unjudged; `reject` answers 413 and raises `injection-oversize`.
/// - `detectors`: which detectors run. Default all.
/// - `exclusions`: `{ detector, field, route? }` silences one detector (or every one with
///   `detector: any`) for one field, optionally on one route. Fields: `path`, `query:NAME`,
///   `body:NAME` (a form or multipart field, an XML element or attribute, or a JSON path:
///   keys joined by `.`, array indexes left out), `cookie:NAME`, `header:NAME` (lowercase);
///   a trailing `*` matches every field that starts with the rest.
public enum InjectionPlugin: Plugin {
    public static let name = "injection"

    static let settingKeys = ["mode", "threshold", "max_body", "on_oversize", "detectors", "exclusions"]
    static let exclusionKeys = ["detector", "field", "route"]

    public static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics d: ConfigDiagnostics) -> (any Filter)? {
        let errorsBefore = d.errors.count
        guard let m = settings.mapping(d, keys: settingKeys, in: "filter '\(context.filterName)'") else { return nil }
        var s = InjectionFilter.Settings()
        if let mode = m["mode"]?.oneOf(d, ["block", "detect"]) { s.blocks = mode == "block" }
        if let threshold = m["threshold"]?.int(d, range: 1...100) { s.threshold = threshold }
        if let size = m["max_body"]?.byteSize(d, range: 1024...(16 << 20)) { s.maxBody = size }
        if let oversize = m["on_oversize"]?.oneOf(d, ["inspect_prefix", "reject"]) { s.rejectsOversize = oversize == "reject" }
        if let node = m["detectors"] {
            s.detectors = []
            for item in node.list(d) ?? [] {
                if let detector = detector(item, d, allowAny: false) { s.detectors.insert(DetectorSet(detector!)) }
            }
        }
        if let node = m["exclusions"] {
            let routes = context.configuration.routes.map(\.name)
            s.exclusions = (node.list(d) ?? []).compactMap { exclusion($0, routes: routes, d) }
        }
        guard d.errors.count == errorsBefore else { return nil }
        return InjectionFilter(filterName: context.filterName, settings: s)
    }

    /// A detector name; with `allowAny`, `any` stands for all of them (returned as nil inside).
    static func detector(_ node: ConfigNode, _ d: ConfigDiagnostics, allowAny: Bool) -> Detector?? {
        guard let text = node.string(d) else { return nil }
        if allowAny && text == "any" { return .some(nil) }
        if let detector = Detector(rawValue: text) { return .some(detector) }
        let names = Detector.allCases.map(\.rawValue) + (allowAny ? ["any"] : [])
        let hint = Spelling.nearest(to: text, in: names).map { "; did you mean '\($0)'?" } ?? " (known: \(names.joined(separator: ", ")))"
        d.error("unknown detector '\(text)'\(hint)", at: node.location)
        return nil
    }

    static func exclusion(_ node: ConfigNode, routes: [String], _ d: ConfigDiagnostics) -> Exclusion? {
        guard let m = node.mapping(d, keys: exclusionKeys, required: ["detector", "field"], in: "exclusion"),
              let detectorNode = m["detector"], let detector = detector(detectorNode, d, allowAny: true),
              let fieldNode = m["field"], let field = fieldNode.string(d)
        else { return nil }
        let prefixes = ["path", "query:", "body:", "cookie:", "header:"]
        guard field == "path" || field == "body" || prefixes.contains(where: { field.hasPrefix($0) && field.count > $0.count }) else {
            d.error("field '\(field)' is not one of path, query:NAME, body:PATH, cookie:NAME, header:NAME", at: fieldNode.location)
            return nil
        }
        var route: String?
        if let routeNode = m["route"] {
            guard let name = routeNode.string(d) else { return nil }
            guard routes.contains(name) else {
                let hint = Spelling.nearest(to: name, in: routes).map { "; did you mean '\($0)'?" } ?? ""
                d.error("unknown route '\(name)'\(hint)", at: routeNode.location)
                return nil
            }
            route = name
        }
        // Header names are matched in lowercase, as events report them.
        let normalized = field.hasPrefix("header:") ? field.lowercased() : field
        return Exclusion(detector: detector, field: normalized, route: route)
    }
}
