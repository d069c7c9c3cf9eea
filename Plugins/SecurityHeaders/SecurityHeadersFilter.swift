import GatewayCore
import GatewayHTTP

/// Sets the configured security headers on every response and strips the removed ones.
/// Everything is prepared when the config loads; a response only copies bytes.
final class SecurityHeadersFilter: Filter {
    let filterName: String
    /// Set on every response, replacing any upstream value.
    let fields: HTTPHeaders
    /// Set only on responses over TLS (Strict-Transport-Security; browsers ignore it over HTTP).
    let tlsFields: HTTPHeaders
    /// Removed from every response before the fields are set.
    let removed: [String]
    /// Where CSP violation reports are accepted; nil when `report_path` is not set.
    let report: CSPReportEndpoint?

    init(filterName: String, fields: HTTPHeaders, tlsFields: HTTPHeaders, removed: [String], report: CSPReportEndpoint?) {
        self.filterName = filterName
        self.fields = fields
        self.tlsFields = tlsFields
        self.removed = removed
        self.report = report
    }

    func onRequestHead(_ exchange: Exchange) -> FilterAction {
        guard let report, exchange.request.withPath({ $0.elementsEqual(report.path) }) else { return .proceed }
        return answerReport(exchange, report)
    }

    func onRequestBody(_ exchange: Exchange) -> FilterAction {
        guard let report else { return .proceed }
        return reportBody(exchange, report)
    }

    func onResponseHead(_ exchange: Exchange) {
        for name in removed { exchange.response.headers.remove(name) }
        exchange.response.headers.set(contentsOf: fields)
        if exchange.isHTTPS { exchange.response.headers.set(contentsOf: tlsFields) }
    }
}
