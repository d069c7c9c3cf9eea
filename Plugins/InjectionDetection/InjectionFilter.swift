import GatewayCore
import GatewayHTTP

/// Inspects the request head (path, query, cookies, headers) and, for bodies of a type it can
/// parse, the first `max_body` bytes of the body; blocks (403) or flags the request when the
/// findings' anomaly score reaches the threshold, with one event that lists them.
final class InjectionFilter: Filter {
    struct Settings: Sendable {
        var blocks = true
        var threshold = 5
        var maxBody = 128 * 1024
        var rejectsOversize = false
        var exclusions: [Exclusion] = []
        var detectors = DetectorSet.all
    }

    static let oversize = Rule("injection.oversize", .protocol, .medium, "body larger than max_body with on_oversize: reject")

    let filterName: String
    let settings: Settings

    init(filterName: String, settings: Settings) {
        self.filterName = filterName
        self.settings = settings
    }

    /// The inspection of a request whose body is still to come, kept between the two phases.
    private struct Pending: Sendable {
        let inspector: Inspector
    }

    private var storageKey: ObjectIdentifier { ObjectIdentifier(self) }

    func onRequestHead(_ exchange: Exchange) -> FilterAction {
        let inspector = makeInspector(route: exchange.route?.name)
        inspector.inspectHead(exchange.request)
        if inspector.report.score >= settings.threshold && settings.blocks { return verdict(exchange, inspector.report) }
        let request = exchange.request
        let kind = request.headers.withFirst("Content-Type") { Inspector.bodyKind($0) } ?? Inspector.bodyKind(nil)
        switch request.framing {
        case .none, .contentLength(0):
            return verdict(exchange, inspector.report)
        case .contentLength(let length) where length > Int64(settings.maxBody) && settings.rejectsOversize:
            return rejectOversize(exchange)
        default:
            guard kind != .binary else { return verdict(exchange, inspector.report) }
            exchange.storage[storageKey] = Pending(inspector: inspector)
            // One byte more than inspected tells an oversize body from one of exactly max_body.
            exchange.inspectRequestBody(upTo: settings.maxBody + 1)
            return .proceed
        }
    }

    func onRequestBody(_ exchange: Exchange) -> FilterAction {
        guard let pending = exchange.storage.removeValue(forKey: storageKey) as? Pending else { return .proceed }
        let body = exchange.requestBody
        let oversize = body.count > settings.maxBody || (!exchange.isRequestBodyComplete && body.count >= settings.maxBody)
        if oversize && settings.rejectsOversize { return rejectOversize(exchange) }
        let inspector = pending.inspector
        exchange.request.headers.withFirst("Content-Type") { contentType in
            body.withUnsafeBytes { inspector.inspectBody(UnsafeRawBufferPointer(rebasing: $0.prefix(settings.maxBody)), contentType: contentType) }
        } ?? body.withUnsafeBytes { inspector.inspectBody(UnsafeRawBufferPointer(rebasing: $0.prefix(settings.maxBody)), contentType: nil) }
        return verdict(exchange, inspector.report)
    }

    func makeInspector(route: String?) -> Inspector {
        Inspector(report: Report(exclusions: settings.exclusions, route: route), detectors: settings.detectors)
    }

    /// Blocks or flags when the score reaches the threshold; one event either way.
    private func verdict(_ exchange: Exchange, _ report: Report) -> FilterAction {
        guard report.score >= settings.threshold, let top = report.top else { return .proceed }
        let summary = report.findings.prefix(10).map { "\($0.rule.id)@\($0.field)" }.joined(separator: " ")
        exchange.tags.append("injection:\(top.rule.detector.rawValue)")
        exchange.emit(SecurityEvent(
            name: settings.blocks ? "injection-blocked" : "injection-detected", action: settings.blocks ? .blocked : .flagged,
            severity: top.rule.severity.eventSeverity, ruleID: top.rule.id, ruleName: top.rule.name,
            ruleCategory: top.rule.detector.rawValue, category: ["web", "intrusion_detection"], filter: filterName,
            reason: "\(top.rule.detector.rawValue) in \(top.field): \(top.rule.name)", matched: top.fragment,
            details: ["detector": top.rule.detector.rawValue, "location": top.field, "score": String(report.score),
                      "threshold": String(settings.threshold), "findings": summary]))
        return settings.blocks ? .respond(.error(403, requestID: exchange.requestID)) : .proceed
    }

    private func rejectOversize(_ exchange: Exchange) -> FilterAction {
        exchange.emit(SecurityEvent(
            name: "injection-oversize", action: .blocked, severity: .medium, ruleID: InjectionFilter.oversize.id,
            ruleName: InjectionFilter.oversize.name, ruleCategory: "protocol", filter: filterName,
            reason: "request body larger than the \(settings.maxBody) bytes the filter inspects"))
        return .respond(.error(413, requestID: exchange.requestID))
    }
}
