import GatewayConfig
import GatewayCore

/// `plugin: error_pages` — hides upstream error bodies (stack traces, SQL errors, internal
/// host names) behind a generic page that carries the request id.
///
/// ```yaml
/// errors:
///   plugin: error_pages
///   statuses: [5xx, 404]
/// ```
///
/// Settings:
/// - `statuses`: which upstream statuses get their body replaced: codes from 400 to 599 and the
///   classes `4xx` and `5xx`. Default `[5xx]`. 4xx bodies are kept unless listed because they
///   often tell a legitimate client what to fix (a FHIR OperationOutcome on a 400 or 422).
/// - `log_body_bytes`: how many bytes of the hidden body the `upstream-error-hidden` event
///   shows in `gateway.matched` (as text, escaped once by the event serializer; 256 bytes at
///   most), 0 to 256. The replacement is sent once those bytes are read.
///   Default `256`. Set 0 when upstream error bodies may hold patient data that must not
///   reach the SIEM.
///
/// The replacement keeps the status and the other headers. It is JSON,
/// `{"error":{"status":500,"message":"Internal Server Error","request_id":"..."}}` like the
/// gateway's own errors, or a minimal HTML page when the client's Accept prefers `text/html`
/// over `application/json` (a browser). Local responses are never touched.
public enum ErrorPagesPlugin: Plugin {
    public static let name = "error_pages"

    public static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics d: ConfigDiagnostics) -> (any Filter)? {
        let errorsBefore = d.errors.count
        guard let m = settings.mapping(d, keys: ["statuses", "log_body_bytes"], in: "filter '\(context.filterName)'") else { return nil }
        var replaced = [Bool](repeating: false, count: 200)
        for status in m["statuses"].map({ statuses($0, d) }) ?? Array(500...599) { replaced[status - 400] = true }
        let logBytes = m["log_body_bytes"].map { $0.byteSize(d, range: 0...256) } ?? 256
        guard d.errors.count == errorsBefore, let logBytes else { return nil }
        return ErrorPagesFilter(filterName: context.filterName, replaced: replaced, logBodyBytes: logBytes)
    }

    /// The codes a `statuses` list names.
    static func statuses(_ node: ConfigNode, _ d: ConfigDiagnostics) -> [Int] {
        guard let items = node.list(d) else { return [] }
        if items.isEmpty { d.error("statuses is empty; list codes or classes such as [5xx, 404]", at: node.location) }
        return items.flatMap { item -> [Int] in
            switch item.string(d) {
            case nil: return []
            case "4xx": return Array(400...499)
            case "5xx": return Array(500...599)
            case let text?:
                guard let code = Int(text), (400...599).contains(code) else {
                    d.error("expected a status from 400 to 599, 4xx or 5xx, found '\(text)'", at: item.location)
                    return []
                }
                return [code]
            }
        }
    }
}
