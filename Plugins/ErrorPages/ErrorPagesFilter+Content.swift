import Foundation
import GatewayHTTP

/// The replacement bodies and how they are chosen.
extension ErrorPagesFilter {
    /// Whether an Accept header ranks `text/html` above `application/json` (RFC 9110 12.5.1: the
    /// most specific matching range gives the quality). Ties, and no Accept, give JSON.
    /// Only error responses get here, so plain String parsing is fine.
    static func prefersHTML(_ accept: String?) -> Bool {
        guard let accept else { return false }
        var html: (specificity: Int, q: Double) = (-1, 0)
        var json: (specificity: Int, q: Double) = (-1, 0)
        for element in accept.split(separator: ",") {
            let parts = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let range = parts.first, !range.isEmpty else { continue }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if let specificity = specificity(of: range, for: "text/html"), specificity > html.specificity { html = (specificity, q) }
            if let specificity = specificity(of: range, for: "application/json"), specificity > json.specificity { json = (specificity, q) }
        }
        return html.q > 0 && html.q > json.q
    }

    /// 2 for the exact type, 1 for `type/*`, 0 for `*/*`; nil when `range` does not cover `type`.
    private static func specificity(of range: String, for type: String) -> Int? {
        if range == type { return 2 }
        if range == "*/*" { return 0 }
        if range.hasSuffix("/*"), type.hasPrefix(range.dropLast()) { return 1 }
        return nil
    }

    static func htmlPage(_ status: Int, requestID: String) -> [UInt8] {
        let title = "\(status) \(HTTPStatus.reasonPhrase(status))"
        let page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(title)</title></head>
            <body><h1>\(title)</h1><p>Request ID: <code>\(htmlEscaped(requestID))</code></p></body></html>

            """
        return Array(page.utf8)
    }

    /// The core only keeps request ids of `[A-Za-z0-9._:-]`; escaping anyway keeps this page
    /// safe if that rule ever changes.
    private static func htmlEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
