/// A rule that matched one field: what, where, and the matched fragment (capped, control
/// bytes escaped; redacted for cookies, which carry sessions).
public struct Finding: Sendable {
    public let rule: Rule
    /// `query:id`, `body:text.div`, `cookie:session`, `header:user-agent`, `path`, ...
    public let field: String
    public let fragment: String
}

/// Where a value came from, for exclusions and events.
enum FieldSource: UInt8 {
    case path, query, body, cookie, header

    var label: StaticString {
        switch self {
        case .path: "path"
        case .query: "query"
        case .body: "body"
        case .cookie: "cookie"
        case .header: "header"
        }
    }
}

/// What a detector knows about the value it scans besides its bytes.
struct ValueContext {
    var source: FieldSource
    /// The value is a parameter name (or JSON key), not a value.
    var isName = false
    /// The value is the whole body of an unstructured request (text/plain, unknown types).
    var isRawBody = false
    /// The request's Host without its port, lowercased (empty when unknown): URLs in
    /// parameters that point elsewhere are remote inclusions.
    var host: [UInt8] = []
}
