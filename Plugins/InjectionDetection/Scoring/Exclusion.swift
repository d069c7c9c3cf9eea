/// `exclusions:` entry: silences one detector for one field, optionally on one route only.
///
/// `field` is `path`, `query:NAME`, `body:PATH` (JSON keys joined by `.`, array indexes left
/// out; a form, multipart or XML field name), `cookie:NAME` or `header:NAME` (lowercase). A
/// trailing `*` matches any field starting with what precedes it (`body:contained.*`).
public struct Exclusion: Sendable {
    public let detector: Detector?
    public let field: String
    public let route: String?

    /// `detector` nil silences every detector for that field.
    public init(detector: Detector?, field: String, route: String?) {
        self.detector = detector
        self.field = field
        self.route = route
    }

    func silences(_ detector: Detector, field: String, route: String?) -> Bool {
        if let d = self.detector, d != detector { return false }
        if let r = self.route, r != route { return false }
        if self.field.hasSuffix("*") { return field.hasPrefix(self.field.dropLast()) }
        return self.field == field
    }
}
