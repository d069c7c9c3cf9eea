/// The findings of one request and their anomaly score, with exclusions applied as they are
/// added. Only findings allocate (their field name and fragment); clean values never do.
struct Report {
    static let fragmentLimit = 120

    private(set) var findings: [Finding] = []
    /// The anomaly score: the highest sum of weights over the findings of one field. Weak
    /// signals add up where they meet (`' or` and `--` in one value), not across a large
    /// document where unrelated prose fields each look a little like code.
    private(set) var score = 0
    /// Per field: its score, and which rules it already has (`rule@field` keys), so a request
    /// with thousands of findings costs linear time.
    private var fieldScores: [String: Int] = [:]
    private var recorded: Set<String> = []
    let exclusions: [Exclusion]
    let route: String?
    /// The field being scanned; its name bytes are only valid during that scan.
    var source: FieldSource = .path
    var fieldName: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)

    init(exclusions: [Exclusion], route: String?) {
        self.exclusions = exclusions
        self.route = route
    }

    /// The highest-weighing finding (the first of equals): what the event is named after.
    var top: Finding? {
        findings.max { $0.rule.severity < $1.rule.severity }
    }

    /// Records `rule` for the current field, `value[range]` being what matched. A rule counts
    /// once per field.
    mutating func add(_ rule: Rule, _ value: UnsafeRawBufferPointer, _ range: Range<Int>) {
        let field = currentField()
        guard recorded.insert(rule.id + "@" + field).inserted else { return }
        if exclusions.contains(where: { $0.silences(rule.detector, field: field, route: route) }) { return }
        let fragment = source == .cookie ? "[redacted]" : Report.fragmentText(value, range)
        findings.append(Finding(rule: rule, field: field, fragment: fragment))
        let fieldScore = fieldScores[field, default: 0] + rule.severity.rawValue
        fieldScores[field] = fieldScore
        score = max(score, fieldScore)
    }

    func currentField() -> String {
        var field = String(describing: source.label)
        if source != .path || fieldName.count > 0 {
            field += ":"
            let name = String(decoding: fieldName.prefix(100), as: UTF8.self)
            field += source == .header ? name.lowercased() : name
        }
        return field
    }

    /// Up to ``fragmentLimit`` bytes from the start of the match, as text: the event serializer
    /// escapes controls, backslashes and non-ASCII, once (escaping here too showed `\x5cx0a`).
    static func fragmentText(_ value: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        let start = max(0, min(range.lowerBound, value.count))
        let end = min(value.count, start + fragmentLimit, max(range.upperBound, start + 40))
        return String(decoding: value[start..<end], as: UTF8.self)
    }
}
