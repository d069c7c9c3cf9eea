import GatewayCore

/// Replaces the body of upstream error responses and reports what it hid.
final class ErrorPagesFilter: Filter {
    let filterName: String
    /// Indexed by status - 400.
    let replaced: [Bool]
    let logBodyBytes: Int

    init(filterName: String, replaced: [Bool], logBodyBytes: Int) {
        self.filterName = filterName
        self.replaced = replaced
        self.logBodyBytes = logBodyBytes
    }

    func onResponseHead(_ exchange: Exchange) {
        guard !exchange.isLocalResponse, replaces(exchange.response.status) else { return }
        let status = exchange.response.status
        // It names this request, so no cache may serve it to another.
        exchange.response.headers.set("Cache-Control", "no-store")
        exchange.capturedBodyLimit = logBodyBytes
        if ErrorPagesFilter.prefersHTML(exchange.request.headers.first("Accept")) {
            exchange.replacementBody = ("text/html; charset=utf-8", ErrorPagesFilter.htmlPage(status, requestID: exchange.requestID))
        } else {
            exchange.replacementBody = ("application/json", LocalResponse.error(status, requestID: exchange.requestID).body)
        }
    }

    func onLog(_ exchange: Exchange) {
        guard !exchange.isLocalResponse, replaces(exchange.response.status), exchange.replacementBody != nil else { return }
        let status = exchange.response.status
        let captured = exchange.capturedResponseBody.prefix(logBodyBytes)
        exchange.emit(SecurityEvent(
            name: "upstream-error-hidden", action: .flagged, severity: .low,
            ruleID: "error_pages.hidden", ruleName: "upstream error body replaced", ruleCategory: "information-disclosure",
            type: ["error"], kind: "event", filter: filterName,
            reason: "the upstream answered \(status); its body was replaced by a generic error page",
            // Raw text: the event serializer escapes it once (bytes that are not UTF-8 become U+FFFD).
            matched: captured.isEmpty ? nil : String(decoding: captured, as: UTF8.self),
            details: ["status": String(status)]))
    }

    private func replaces(_ status: Int) -> Bool {
        (400...599).contains(status) && replaced[status - 400]
    }
}
