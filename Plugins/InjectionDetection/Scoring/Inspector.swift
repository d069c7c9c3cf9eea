import GatewayHTTP

/// How a raw value is encoded where it was found.
enum ValueEncoding {
    /// Query strings and form bodies: `%HH` and `+` for space.
    case form
    /// Paths, cookies, headers: `%HH` only.
    case percent
    /// Already decoded by its container (JSON strings, multipart, XML): `%HH` still decoded
    /// for detection (backends often decode again) but a stray `%` is not a finding.
    case decoded
}

/// Judges every field of one request: parses the containers, decodes each value the way the
/// backend will, runs the detectors, and accumulates the findings in a ``Report``. One per
/// request; its scratch buffers are reused for every value. Confined to the exchange's loop
/// (kept in the exchange's storage between the head and body phases).
final class Inspector: @unchecked Sendable {
    static let badEscape = Rule("encoding.bad-escape", .encoding, .low, "invalid %-escape")
    static let overlong = Rule("encoding.overlong-utf8", .encoding, .critical, "overlong UTF-8 (%C0%AE for '.')")
    static let unicodeEscape = Rule("encoding.percent-u", .encoding, .medium, "IIS %uHHHH escape")
    static let doubleEncoded = Rule("encoding.double", .encoding, .low, "value still %-encoded after decoding")
    static let externalEntity = Rule("lfi.xml-external-entity", .lfi, .critical, "XML external entity declaration (XXE)")

    // Confined to one exchange on one loop: the dynamic exclusivity checks class properties get
    // would cost more than the scans (they were 10% of a 4 KiB JSON body's time).
    @exclusivity(unchecked) var report: Report
    let detectors: DetectorSet
    /// The request's Host (lowercased, no port), for off-domain URL checks in parameters.
    var host: [UInt8] = []
    @exclusivity(unchecked) private var name: [UInt8] = []
    @exclusivity(unchecked) private var decoded: [UInt8] = []
    @exclusivity(unchecked) private var again: [UInt8] = []
    @exclusivity(unchecked) private var markup: [UInt8] = []
    @exclusivity(unchecked) private var text: [UInt8] = []
    @exclusivity(unchecked) private var folded: [UInt8] = []
    @exclusivity(unchecked) private var base64: [UInt8] = []
    @exclusivity(unchecked) private var tokens: [SQLToken] = []
    @exclusivity(unchecked) private var json = JSONWalker()

    init(report: Report, detectors: DetectorSet) {
        self.report = report
        self.detectors = detectors
    }

    // MARK: Fields

    /// One value: decoded (repeatedly while still %-encoded, then HTML/JS escapes), judged by
    /// every detector. `fieldName` must already be decoded.
    func inspect(_ raw: UnsafeRawBufferPointer, fieldName: UnsafeRawBufferPointer, source: FieldSource,
                 encoding: ValueEncoding, context: ValueContext? = nil) {
        guard !raw.isEmpty else { return }
        report.source = source
        report.fieldName = fieldName
        defer { report.fieldName = UnsafeRawBufferPointer(start: nil, count: 0) }
        let ctx = context ?? ValueContext(source: source)
        var needsDecoding = false
        for b in raw where b == 0x25 || (b == 0x2B && encoding == .form) { needsDecoding = true; break }
        guard needsDecoding else {
            judge(raw, ctx)
            return
        }
        let flags = PercentDecoding.decode(raw, plusIsSpace: encoding == .form, into: &decoded)
        if flags.contains(.badEscape) && encoding != .decoded { addEncoding(Inspector.badEscape, raw, 0..<raw.count) }
        if flags.contains(.unicodeEscape) { addEncoding(Inspector.unicodeEscape, raw, 0..<raw.count) }
        // Double (and triple) encoding: decode until stable, as a lenient backend might.
        var rounds = 0
        while rounds < 2, decoded.withUnsafeBytes({ PercentDecoding.hasEscape($0) }) {
            _ = decoded.withUnsafeBytes { PercentDecoding.decode($0, plusIsSpace: false, into: &again) }
            swap(&decoded, &again)
            rounds += 1
        }
        if rounds > 0 { addEncoding(Inspector.doubleEncoded, raw, 0..<raw.count) }
        decoded.withUnsafeBytes { judge($0, ctx) }
    }

    private func addEncoding(_ rule: Rule, _ v: UnsafeRawBufferPointer, _ range: Range<Int>) {
        if detectors.contains(.encoding) { report.add(rule, v, range) }
    }

    /// Runs the detectors on a decoded value, then on its HTML/JS-unescaped form if that differs.
    private func judge(_ v: UnsafeRawBufferPointer, _ ctx: ValueContext) {
        var high = false
        for b in v where b >= 0x80 { high = true; break }
        if high, UTF8Validation.check(v) == .overlong { addEncoding(Inspector.overlong, v, 0..<min(v.count, 40)) }
        runDetectors(v, ctx)
        // Base64 of text (`d2hpbGUodHJ1ZSk7`): judged decoded too, as the backend that decodes it will see it.
        // Only parameter-sized values: documents carry base64 attachments (FHIR Library content
        // is base64 CQL, a query language) that are data, not input to an interpreter.
        if !high, v.count >= 12, v.count <= 512, Base64Decoding.decode(v, into: &base64) { base64.withUnsafeBytes { runDetectors($0, ctx) } }
        // Unicode look-alikes (`＜script＞`, `①②⑦.⓪.⓪.①`): NFKC folds them to ASCII, as some backends and URL parsers do.
        if high, UnicodeFolding.fold(v, into: &folded) { folded.withUnsafeBytes { runDetectors($0, ctx) } }
        if MarkupDecoding.applies(v) {
            MarkupDecoding.decode(v, into: &markup)
            if markup.count != v.count {
                markup.withUnsafeBytes { m in
                    runDetectors(m, ctx)
                    // Base64 behind JavaScript escapes (`\u0058\u0079QkTk...`) is decoded by the same backend.
                    if !high, m.count >= 12, m.count <= 512, Base64Decoding.decode(m, into: &base64) { base64.withUnsafeBytes { runDetectors($0, ctx) } }
                }
            }
        }
    }

    /// Bytes handed to the detectors so far (every decoded form of every value): the work
    /// measure the linearity tests check.
    private(set) var examinedBytes = 0

    private func runDetectors(_ v: UnsafeRawBufferPointer, _ ctx: ValueContext) {
        examinedBytes += v.count
        let d = detectors
        let has = ByteSummary(v)
        typealias B = ByteSummary
        // In markup (a FHIR narrative, an HTML comment field) SQL and shell syntax can only be in
        // the text: judging the tags too would read `<td>or ...` as an operator and a connective,
        // and `<tr>` as a redirection. Markup is not a header either.
        let markup = MarkupText.isMarkup(v)
        if markup && (d.contains(.sqli) || d.contains(.rce)) {
            MarkupText.extract(v, into: &text)
            text.withUnsafeBytes { t in
                if d.contains(.sqli) { SQLDetector.scan(t, ctx, tokens: &tokens, &report) }
                if d.contains(.rce) { ShellDetector.scan(t, ctx, &report) }
            }
        } else {
            if d.contains(.sqli) { SQLDetector.scan(v, ctx, tokens: &tokens, &report) }
            if d.contains(.rce) { ShellDetector.scan(v, ctx, &report) }
        }
        // Each detector needs at least one of these characters to find anything.
        if d.contains(.xss), has.has(B.lessThan | B.colon | B.equals | B.paren | B.backtick | B.bracket | B.plus | B.dot
                                      | B.separator | B.nonASCII) {
            XSSDetector.scan(v, ctx, &report)
        }
        if d.contains(.lfi), has.has(B.slash | B.backslash | B.dot | B.nul) { PathDetector.scan(v, ctx, &report) }
        if d.contains(.rfi), has.has(B.colon | B.dot | B.slash | B.backslash) || v.last == 0x3F { RemoteInclusionDetector.scan(v, ctx, &report) }
        if d.contains(.code), has.has(B.lessThan | B.dollar | B.colon | B.paren | B.underscore | B.brace | B.dot | B.bracket
                                       | B.at | B.hash | B.equals) || v.count >= 16 {
            CodeDetector.scan(v, ctx, &report)
            ServerSideCodeDetector.scan(v, &report)
        }
        if d.contains(.ldap), has.has(B.closeParen) { LDAPDetector.scan(v, &report) }
        if d.contains(.protocol) && !markup, has.has(B.lineBreak | B.upperH | B.nonASCII) { ProtocolDetector.scan(v, ctx, &report) }
        if d.contains(.nosql) && ctx.isName { NoSQLDetector.scanName(v, &report) }
        if d.contains(.protocol) && ctx.isName, has.has(B.bracket | B.dollar) { ProtocolDetector.scanName(v, ctx, &report) }
    }

    /// `name=value` pairs of a query string or form body: each name (parameter names carry
    /// attacks too) and each value, under `source:NAME`.
    func inspectPairs(_ s: UnsafeRawBufferPointer, source: FieldSource) {
        FormParser.forEachPair(s) { rawName, rawValue in
            _ = PercentDecoding.decode(rawName, plusIsSpace: true, into: &name)
            name.withUnsafeBytes { decodedName in
                inspect(rawName, fieldName: decodedName, source: source, encoding: .form,
                        context: ValueContext(source: source, isName: true))
                var context = ValueContext(source: source)
                context.host = host
                inspect(rawValue, fieldName: decodedName, source: source, encoding: .form, context: context)
            }
        }
    }

    func inspectCookies(_ s: UnsafeRawBufferPointer) {
        CookieParser.forEachCookie(s) { cookieName, value in
            inspect(cookieName, fieldName: cookieName, source: .cookie, encoding: .percent,
                    context: ValueContext(source: .cookie, isName: true))
            inspect(value, fieldName: cookieName, source: .cookie, encoding: .percent)
        }
    }

    // MARK: Bodies

    enum BodyKind { case form, multipart, json, xml, text, binary }

    static func bodyKind(_ contentType: UnsafeRawBufferPointer?) -> BodyKind {
        guard let ct = contentType, !ct.isEmpty else { return .form }  // what PHP and most frameworks assume
        if ByteClass.hasPrefix(ct, at: 0, "application/x-www-form-urlencoded") { return .form }
        if ByteClass.hasPrefix(ct, at: 0, "multipart/form-data") { return .multipart }
        var end = 0
        while end < ct.count && ct[end] != 0x3B && !ByteClass.isSpace(ct[end]) { end += 1 }
        let media = UnsafeRawBufferPointer(rebasing: ct[0..<end])
        if ByteClass.find(media, "json") != nil { return .json }
        if ByteClass.find(media, "xml") != nil { return .xml }
        for binary: StaticString in ["image/", "audio/", "video/", "font/", "application/octet-stream", "application/pdf",
                                     "application/zip", "application/gzip", "application/grpc", "application/protobuf"]
        where ByteClass.hasPrefix(media, at: 0, binary) { return .binary }
        return .text
    }

    /// Every key (as a name) and string value of a JSON body; false when it is not JSON.
    @discardableResult
    private func walkJSON(_ body: UnsafeRawBufferPointer) -> Bool {
        json.walk(body) { kind, path, text in
            if kind == .key {
                inspect(text, fieldName: path, source: .body, encoding: .decoded, context: ValueContext(source: .body, isName: true))
            } else {
                inspect(text, fieldName: path, source: .body, encoding: .decoded)
            }
        }
    }

    func inspectBody(_ body: UnsafeRawBufferPointer, contentType: UnsafeRawBufferPointer?) {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        switch Inspector.bodyKind(contentType) {
        case .form:
            inspectPairs(body, source: .body)
        case .multipart:
            guard let ct = contentType, let boundary = MultipartParser.boundary(ct) else {
                inspect(body, fieldName: empty, source: .body, encoding: .decoded, context: ValueContext(source: .body, isRawBody: true))
                return
            }
            MultipartParser.forEachPart(body, boundary: boundary) { part in
                inspect(part.name, fieldName: part.name, source: .body, encoding: .decoded, context: ValueContext(source: .body, isName: true))
                if let file = part.fileName {
                    inspect(file, fieldName: part.name, source: .body, encoding: .decoded)
                    report.source = .body
                    report.fieldName = part.name
                    if detectors.contains(.code) { CodeDetector.scriptFileName(file, &report) }
                    // File contents are judged only when they are text a backend will interpret.
                    if let type = part.contentType, Inspector.bodyKind(type) == .binary { return }
                    if ByteClass.find(part.content, "<?") == nil && ByteClass.find(part.content, "<%") == nil { return }
                }
                inspect(part.content, fieldName: part.name, source: .body, encoding: .decoded)
            }
        case .json:
            if !walkJSON(body) {
                inspect(body, fieldName: empty, source: .body, encoding: .decoded, context: ValueContext(source: .body, isRawBody: true))
            }
        case .xml:
            XMLScanner.scan(body) { item in
                switch item {
                case .text(let name, let value):
                    inspect(value, fieldName: name, source: .body, encoding: .decoded)
                case .externalEntity(let declaration):
                    report.source = .body
                    report.fieldName = empty
                    if detectors.contains(.lfi) { report.add(Inspector.externalEntity, declaration, 0..<declaration.count) }
                }
            }
        case .text:
            inspect(body, fieldName: empty, source: .body, encoding: .decoded, context: ValueContext(source: .body, isRawBody: true))
            // JSON sent as text/plain (CSRF-friendly, and parsed as JSON by lenient backends): its keys are names too.
            var first = 0
            while first < body.count && ByteClass.isSpace(body[first]) { first += 1 }
            if first < body.count, body[first] == 0x7B || body[first] == 0x5B { walkJSON(body) }
        case .binary:
            break
        }
    }
}

/// The detectors a filter runs (all by default).
struct DetectorSet: OptionSet, Sendable {
    let rawValue: UInt16

    init(rawValue: UInt16) { self.rawValue = rawValue }
    init(_ detector: Detector) { self.rawValue = 1 << UInt16(Detector.allCases.firstIndex(of: detector)!) }

    static let sqli = DetectorSet(.sqli), xss = DetectorSet(.xss), lfi = DetectorSet(.lfi), rfi = DetectorSet(.rfi)
    static let rce = DetectorSet(.rce), code = DetectorSet(.code), nosql = DetectorSet(.nosql), ldap = DetectorSet(.ldap)
    static let `protocol` = DetectorSet(.protocol), encoding = DetectorSet(.encoding)
    static let all = DetectorSet(rawValue: (1 << UInt16(Detector.allCases.count)) - 1)
}
