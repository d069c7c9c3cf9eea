/// Cross-site scripting: tells executable content from inert markup. A tag is only a finding
/// when it can run script or load active content (`script`, `iframe`, `object`, `svg`,
/// `meta`, `base`, `style`...), when any tag carries an event handler or a `javascript:` URL,
/// or when a value breaks out of an attribute into a handler. Plain XHTML (a FHIR narrative:
/// `div`, `p`, `table`, `a href="https://..."`) passes. Outside markup it recognises script
/// URLs and JavaScript that reaches DOM sinks (`alert(`, `document.cookie`, `self["eval"]`).
enum XSSDetector {
    static let dangerousTag = Rule("xss.tag", .xss, .critical, "tag that runs script or loads active content")
    static let activeTag = Rule("xss.active-tag", .xss, .high, "tag that restyles or submits the page (style, form, svg, link)")
    static let eventHandler = Rule("xss.event-handler", .xss, .critical, "event handler attribute (onerror=, onload=...)")
    static let attributeBreak = Rule("xss.attribute-break", .xss, .critical, "quote closed and an event handler opened")
    static let scriptURL = Rule("xss.script-url", .xss, .critical, "javascript:, vbscript: or data:text/html URL")
    static let styleScript = Rule("xss.style-script", .xss, .critical, "CSS that runs script (expression(), url(javascript:))")
    static let jsSink = Rule("xss.js-sink", .xss, .critical, "JavaScript call of a sink (alert, eval, Function...)")
    static let domAccess = Rule("xss.dom-access", .xss, .critical, "JavaScript access to document.cookie, location, storage...")
    static let utf7 = Rule("xss.utf7", .xss, .critical, "UTF-7 encoded markup (+ADw-)")
    static let jsfuck = Rule("xss.jsfuck", .xss, .critical, "JavaScript written with []()!+ only (JSFuck)")
    static let commentBreak = Rule("xss.comment-break", .xss, .critical, "value that closes an HTML comment it was placed in (-->)")
    static let sevenBitMarkup = Rule("xss.ascii-markup", .xss, .critical, "markup written with ¼ ¾ for < > (US-ASCII with the high bit stripped)")
    static let stringBreak = Rule("xss.string-break", .xss, .critical, "quote closed and a JavaScript assignment opened ('; x.y=, \"in location=)")
    static let externalResource = Rule("xss.external-resource", .xss, .critical, "markup that makes a parser fetch a remote document (xsi:schemaLocation)")
    static let activeAttribute = Rule("xss.active-attribute", .xss, .high, "attribute that submits, frames or links elsewhere (formaction, srcdoc, xlink:href)")
    static let globalAccess = Rule("xss.global-access", .xss, .critical, "global object indexed by a computed name (self[...], top[...])")
    static let jsImport = Rule("xss.js-import", .xss, .critical, "JavaScript module import (import ... from \"...\")")
    static let openTag = Rule("xss.open-tag", .xss, .critical, "tag with a URL attribute left open at the end of the value")

    /// Eight or more `[]` pairs among few other characters: code spelled with brackets only.
    private static func jsfuck(_ s: UnsafeRawBufferPointer, _ start: Int) -> Bool {
        var pairs = 0, other = 0
        var k = start
        while k + 1 < s.count && k - start < 400 {
            if s[k] == 0x5B && s[k + 1] == 0x5D { pairs += 1; k += 2; continue }
            switch s[k] {
            case 0x21, 0x2B, 0x28, 0x29, 0x5B, 0x5D, 0x20: break
            default: other += 1
            }
            k += 1
        }
        return pairs >= 8 && other * 4 < pairs
    }

    /// 1: runs script or active content; 2: changes the page around it (style, form, link).
    private static let tags = KeywordTable([
        ("script", 1), ("iframe", 1), ("frame", 1), ("frameset", 1), ("object", 1), ("embed", 1), ("applet", 1),
        ("meta", 1), ("base", 1), ("svg", 2), ("math", 2), ("isindex", 1), ("import", 1), ("xss", 1), ("portal", 1),
        ("style", 1), ("form", 2), ("link", 1), ("template", 2), ("noscript", 1), ("xml", 2), ("layer", 2), ("ilayer", 2),
        ("bgsound", 2), ("marquee", 2), ("video", 2), ("audio", 2), ("input", 2), ("button", 2), ("textarea", 2), ("keygen", 2),
        ("set", 2), ("animate", 2), ("handler", 2), ("listener", 2), ("include", 1), ("vmlframe", 1), ("image", 2),
        ("dialog", 2),
    ])

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        guard n >= 3 else { return }
        var lead = 0
        while lead < n && (ByteClass.isSpace(s[lead]) || s[lead] == 0x22 || s[lead] == 0x27) { lead += 1 }
        // `-->` alone or before markup; an arrow leading a line of notes (`--> call back`) is prose.
        if ByteClass.hasPrefix(s, at: lead, "-->") || ByteClass.hasPrefix(s, at: lead, "--!>") {
            var k = lead + (s[lead + 2] == 0x21 ? 4 : 3)
            while k < n && (ByteClass.isSpace(s[k]) || s[k] == 0x22 || s[k] == 0x27) { k += 1 }
            if k == n || s[k] == 0x3C { report.add(commentBreak, s, lead..<min(n, lead + 20)) }
        }
        var i = 0
        var highBit = false
        var jsfuckStart = -1, jsfuckCount = 0  // the current run of JSFuck's alphabet (spaces allowed, as in JS)
        while i < n {
            if isJSFuckByte(s[i]) {
                if jsfuckStart < 0 { jsfuckStart = i }
                jsfuckCount += 1
                if jsfuckCount == 4, jsfuckAtoms(s, jsfuckStart, n) { report.add(jsfuck, s, jsfuckStart..<min(n, i + 30)) }
            } else if s[i] != 0x20 {
                jsfuckStart = -1
                jsfuckCount = 0
            }
            switch s[i] {
            case 0xC2 where i + 1 < n && (s[i + 1] == 0xBC || s[i + 1] == 0xBE):
                highBit = true
            case 0xBC where i == 0 || s[i - 1] < 0x80:
                highBit = true
            case 0x22, 0x27:
                if let end = assignmentAfterQuote(s, i) { report.add(stringBreak, s, i..<min(n, end + 20)) }
            case 0x2D where ByteClass.hasPrefix(s, at: i, "-moz-binding"):
                report.add(styleScript, s, i..<min(n, i + 40))
            case 0x40 where ByteClass.hasPrefix(s, at: i, "@import"):
                // `@import url(//evil/x.css)`: a stylesheet from elsewhere, which reads the page with selectors.
                var k = i + 7
                while k < n && ByteClass.isSpace(s[k]) { k += 1 }
                if k < n, s[k] == 0x22 || s[k] == 0x27 || ByteClass.hasPrefix(s, at: k, "url(") { report.add(styleScript, s, i..<min(n, k + 40)) }
            case 0x3C:  // <
                i = tag(s, i, &report)
                continue
            case 0x3A:  // :
                scriptScheme(s, colon: i, &report)
            case 0x3D:  // = : an event handler outside a tag (`" onfocus=` in an attribute value)
                handlerBeforeEquals(s, equals: i, &report)
            case 0x2B where ByteClass.hasPrefix(s, at: i, "+adw-"):
                report.add(utf7, s, i..<i + 5)
            case 0x28 where i >= 3 && ByteClass.hasPrefix(s, at: i - 3, "url(")
                    && ByteClass.find(UnsafeRawBufferPointer(rebasing: s[i..<min(n, i + 64)]), "script") != nil:
                var k = i + 1
                while k < n && (ByteClass.isSpace(s[k]) || s[k] == 0x22 || s[k] == 0x27) { k += 1 }
                if schemeForward(UnsafeRawBufferPointer(rebasing: s[k...]), "javascript") || ByteClass.hasPrefix(s, at: k, "javascript") {
                    report.add(styleScript, s, (i - 3)..<min(n, k + 20))
                }
            case 0x5B where i + 5 < n && s[i + 1] == 0x5D && jsfuck(s, i):
                report.add(jsfuck, s, i..<min(n, i + 40))
                return
            default:
                break
            }
            i += 1
        }
        if highBit { sevenBit(s, &report) }
        JavaScriptScanner.scan(s, path: ctx.source == .path, &report)
    }

    @inline(__always) private static func isJSFuckByte(_ b: UInt8) -> Bool {
        b == 0x5B || b == 0x5D || b == 0x28 || b == 0x29 || b == 0x21 || b == 0x2B
    }

    /// A run of `[]()!+` (and spaces) that holds JSFuck's atoms: `!![]`, `+![]`, `(![]`, `++[]`
    /// (booleans and numbers made of an empty array), `[][` (a member of an array). A markdown
    /// image with no alt text (`![](x)`) is not one.
    private static func jsfuckAtoms(_ s: UnsafeRawBufferPointer, _ start: Int, _ n: Int) -> Bool {
        var previous: UInt8 = 0, before: UInt8 = 0  // the two non-space bytes before `k`
        var k = start
        while k + 1 < n && k - start < 64 && (isJSFuckByte(s[k]) || s[k] == 0x20) {
            let b = s[k]
            if b != 0x20 {
                if b == 0x5B && s[k + 1] == 0x5D {
                    if (previous == 0x21 || previous == 0x2B) && (before == 0x21 || before == 0x2B || before == 0x28) { return true }
                    if k + 2 < n && s[k + 2] == 0x5B && previous == 0x5D { return true }
                }
                before = previous
                previous = b
            }
            k += 1
        }
        return false
    }

    /// `¼script¾`: some US-ASCII decoders drop the high bit, turning ¼ ¾ ¢ (U+00BC, U+00BE,
    /// U+00A2, or the lone Latin-1 bytes) into `<`, `>`, `"`. An element opened and closed in that
    /// spelling (`¼b¾...¼/b¾`) is markup; ¼ and ¾ in a recipe are not.
    private static func sevenBit(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        var folded: [UInt8] = []  // only values holding ¼ or ¾ get here
        folded.reserveCapacity(s.count)
        var k = 0
        while k < s.count {
            var b = s[k]
            if b == 0xC2, k + 1 < s.count, s[k + 1] == 0xBC || s[k + 1] == 0xBE || s[k + 1] == 0xA2 {
                k += 1
                b = s[k]
            }
            if b == 0xBC || b == 0xBE || b == 0xA2, k == 0 || s[k - 1] < 0x80 || s[k - 1] == 0xC2 { b &= 0x7F }
            folded.append(b)
            k += 1
        }
        folded.withUnsafeBytes { f in
            if let close = ByteClass.find(f, "</"), close + 2 < f.count, ByteClass.isAlpha(f[close + 2]),
               let open = ByteClass.find(f, "<"), open < close, ByteClass.isAlpha(f[open + 1]) {
                report.add(sevenBitMarkup, s, 0..<min(s.count, 60))
            }
        }
    }

    /// Names that run script or navigate when a value is assigned to them.
    private static let assignedSinks = KeywordTable(["location", "name", "onerror", "valueof", "tostring", "innerhtml",
                                                     "outerhtml", "src", "href", "cookie", "domain"])

    /// At a quote: `'; x.y=`, `' in foo.bar=`, `"in valueOf=`: the string the value was pasted into is
    /// closed and an assignment follows (after an operator or the `in` operator). Returns where
    /// the `=` is.
    private static func assignmentAfterQuote(_ s: UnsafeRawBufferPointer, _ quote: Int) -> Int? {
        let n = s.count
        var k = quote + 1
        while k < n && s[k] == 0x20 { k += 1 }
        guard k < n else { return nil }
        switch s[k] {
        case 0x3B, 0x2C, 0x2B, 0x2D, 0x2A, 0x7C, 0x26, 0x29, 0x7D:
            k += 1
            while k < n && s[k] == 0x20 { k += 1 }
        case 0x69 where k + 2 < n && s[k + 1] == 0x6E && (s[k + 2] == 0x20 || ByteClass.isAlpha(s[k + 2])):  // in
            k += 2
            while k < n && s[k] == 0x20 { k += 1 }
        default:
            return nil
        }
        // An identifier chain `a.b.c`, then `=` that is not `==`.
        var dots = 0
        var last = k
        while k < n && k - quote < 80 {
            let start = k
            while k < n && (ByteClass.isWord(s[k]) || s[k] == 0x24) { k += 1 }
            guard k > start, !ByteClass.isDigit(s[start]) else { return nil }
            last = start
            if k < n && s[k] == 0x2E { dots += 1; k += 1; continue }
            break
        }
        let nameEnd = k
        while k < n && s[k] == 0x20 { k += 1 }
        guard k < n, s[k] == 0x3D, k + 1 == n || s[k + 1] != 0x3D else { return nil }
        return dots > 0 || assignedSinks.contains(s, last, nameEnd) ? k : nil
    }

    /// Parses `<name attr=value ...>` from `start`; returns where scanning continues.
    private static func tag(_ s: UnsafeRawBufferPointer, _ start: Int, _ report: inout Report) -> Int {
        let n = s.count
        var i = start + 1
        // `</x`, `<?import` (IE's processing-instruction form), `<:vmlframe` (an empty namespace prefix).
        if i < n && (s[i] == 0x2F || s[i] == 0x3F || s[i] == 0x3A) { i += 1 }
        let nameStart = i
        while i < n && (ByteClass.isAlnum(s[i]) || s[i] == 0x2D || s[i] == 0x3A || s[i] == 0x5F) { i += 1 }
        guard i > nameStart, ByteClass.isAlpha(s[nameStart]) else { return start + 1 }
        if s[start + 1] == 0x3F {
            // `<?xml-stylesheet href="//evil/x.xsl"?>`: an XSLT from elsewhere transforms the document.
            if i - nameStart == 14, ByteClass.hasPrefix(s, at: nameStart, "xml-stylesheet"),
               ByteClass.find(UnsafeRawBufferPointer(rebasing: s[i..<min(n, i + 200)]), "//") != nil {
                report.add(externalResource, s, start..<min(n, i + 60))
            }
            if !(i - nameStart == 6 && ByteClass.hasPrefix(s, at: nameStart, "import")) { return i }
        }
        // A `prefix:name` (svg:script) is judged by its local name.
        var localStart = nameStart
        for k in nameStart..<i where s[k] == 0x3A { localStart = k + 1 }
        if let kind = tags.lookup(s, localStart, i), i >= n || !ByteClass.isAlnum(s[i]) {
            report.add(kind == 1 ? dangerousTag : activeTag, s, start..<i)
        } else if let end = spacedName(s, nameStart) {
            report.add(dangerousTag, s, start..<end)
            return end
        }
        var urlAttribute = false  // the last attribute loads a URL and its quoted value was closed
        // Attributes, until `>` or the end of the value.
        while i < n && s[i] != 0x3E {
            while i < n && (ByteClass.isSpace(s[i]) || s[i] == 0x2F) { i += 1 }
            let attrStart = i
            while i < n && !ByteClass.isSpace(s[i]) && s[i] != 0x2F && s[i] != 0x3E && s[i] != 0x3D && s[i] != 0x3C { i += 1 }
            let attrEnd = i
            if i < n && s[i] == 0x3C { return i }  // a new tag starts: this one was never closed
            if attrEnd == attrStart {
                if i < n && s[i] == 0x3D { i += 1 } else { continue }
            }
            if isHandlerName(s, attrStart, attrEnd) { report.add(eventHandler, s, attrStart..<min(n, attrEnd + 30)) }
            urlAttribute = false
            while i < n && ByteClass.isSpace(s[i]) { i += 1 }
            guard i < n, s[i] == 0x3D else { continue }
            i += 1
            while i < n && ByteClass.isSpace(s[i]) { i += 1 }
            var valueStart = i, valueEnd: Int
            if i < n, s[i] == 0x22 || s[i] == 0x27 || s[i] == 0x60 {
                let q = s[i]
                valueStart = i + 1
                i += 1
                while i < n && s[i] != q { i += 1 }
                valueEnd = i
                if i < n {
                    i += 1
                    urlAttribute = urlAttributes.contains(s, attrStart, attrEnd)
                }
            } else {
                while i < n && !ByteClass.isSpace(s[i]) && s[i] != 0x3E { i += 1 }
                valueEnd = i
            }
            attributeValue(s, attrStart, attrEnd, valueStart, valueEnd, &report)
            if activeAttributes.contains(s, attrStart, attrEnd) { report.add(activeAttribute, s, attrStart..<min(n, valueEnd + 1)) }
            // AngularJS directives (`ng-focus="..."`, `data-ng-init`) evaluate their value as an expression.
            if valueEnd > valueStart, angularDirective(s, attrStart, attrEnd) { report.add(eventHandler, s, attrStart..<min(n, valueEnd + 1)) }
        }
        // `<a href="x"` and nothing after: the page's own `>` will close the injected tag (a value
        // cut inside the quotes is only truncated).
        if i >= n, urlAttribute { report.add(openTag, s, start..<n) }
        return i
    }

    private static let activeAttributes = KeywordTable(["formaction", "srcdoc", "xlink:href", "action"])

    /// `ng-click`, `data-ng-init`, `x-ng-focus`: except `ng-app` and the like, which only mark a scope.
    private static func angularDirective(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var k = start
        if ByteClass.hasPrefix(s, at: k, "data-") { k += 5 } else if ByteClass.hasPrefix(s, at: k, "x-") { k += 2 }
        return end - k > 3 && ByteClass.hasPrefix(s, at: k, "ng-")
    }

    /// Attributes whose value the browser loads or navigates to.
    private static let urlAttributes = KeywordTable(["href", "src", "action", "formaction", "data", "background", "lowsrc",
                                                     "dynsrc", "poster", "codebase", "xlink:href", "srcdoc"])

    /// `<f o r m`, `<s/c/r/i/p/t`: a tag name with a separator between every letter; returns its end
    /// when the letters spell a tag of ``tags``.
    private static func spacedName(_ s: UnsafeRawBufferPointer, _ start: Int) -> Int? {
        var name = JavaScriptScanner.FoldedName()
        var k = start
        var end = start
        while k < s.count && name.count < 12 {
            // One letter per step: a word after the gap is an attribute (`<e m b e d src=`).
            guard ByteClass.isAlpha(s[k]), k + 1 >= s.count || !ByteClass.isAlpha(s[k + 1]) else { break }
            let letter = ByteClass.lower(s[k])
            withUnsafeMutableBytes(of: &name.bytes) { $0[name.count] = letter }
            name.count += 1
            end = k + 1
            var gap = end
            while gap < s.count && gap - end < 3 && (s[gap] <= 0x20 || s[gap] == 0x2F) { gap += 1 }
            guard gap > end else { break }
            k = gap
        }
        guard name.count >= 3 else { return nil }
        let found = withUnsafeBytes(of: name.bytes) { tags.contains($0, 0, name.count) }
        return found ? end : nil
    }

    /// Event handlers attackers use most; for values that start with one (the value lands in an
    /// unquoted attribute).
    private static let commonHandlers = KeywordTable([
        "onerror", "onload", "onclick", "onmouseover", "onmouseenter", "onmousemove", "onfocus", "onfocusin", "onblur",
        "onchange", "oninput", "onsubmit", "onkeydown", "onkeyup", "onkeypress", "ontoggle", "onbegin", "onanimationstart",
        "onanimationend", "ontransitionend", "onpageshow", "onhashchange", "onpointerover", "onpointerenter", "onwheel",
        "onscroll", "onresize", "onunload", "onbeforeunload", "onmessage", "onpopstate", "onauxclick", "ondblclick",
        "oncopy", "onpaste", "oncut", "ondrag", "ondrop", "onselect", "onstart", "onfinish", "onplay", "onended",
    ])

    /// English words that start with `on` and are no event (`symptom onset=`, `oncology=`).
    private static let onWords = KeywordTable(["onset", "online", "onion", "onions", "only", "onto", "onward", "onwards", "onus",
                                               "onboard", "onboarding", "onsite", "ongoing", "oncology", "oncologist", "oncologic",
                                               "oncological", "onshore", "onstage", "ontology", "onyx", "onlooker", "onscreen",
                                               "oneself", "onerous", "onlay", "onlays", "onychomycosis"])

    /// `on` + letters: every event handler attribute (the list grows with each browser release),
    /// except English words.
    private static func isHandlerName(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard end - start >= 5, ByteClass.lower(s[start]) == 0x6F, ByteClass.lower(s[start + 1]) == 0x6E else { return false }
        for k in (start + 2)..<end where !ByteClass.isAlpha(s[k]) { return false }
        return !onWords.contains(s, start, end)
    }

    private static func attributeValue(_ s: UnsafeRawBufferPointer, _ nameStart: Int, _ nameEnd: Int,
                                       _ start: Int, _ end: Int, _ report: inout Report) {
        guard end > start else { return }
        let value = UnsafeRawBufferPointer(rebasing: s[start..<end])
        // `xsi:schemaLocation="ns http://evil/x.xsd"`: a validating parser fetches the schema.
        var local = nameStart
        for k in nameStart..<nameEnd where s[k] == 0x3A { local = k + 1 }
        if schemaAttributes.contains(s, local, nameEnd), ByteClass.find(value, "//") != nil {
            report.add(externalResource, s, nameStart..<end)
        }
        if nameEnd - nameStart == 5, ByteClass.hasPrefix(s, at: nameStart, "style") {
            if ByteClass.find(value, "expression") != nil || ByteClass.find(value, "javascript") != nil
                || ByteClass.find(value, "behavior") != nil || ByteClass.find(value, "-moz-binding") != nil {
                report.add(styleScript, s, nameStart..<end)
            }
        }
        if startsWithScriptScheme(value) { report.add(scriptURL, s, start..<end) }
    }

    private static let schemaAttributes = KeywordTable(["schemalocation", "nonamespaceschemalocation"])

    /// javascript:, vbscript:, livescript:, data:text/html, with the spaces and control
    /// characters browsers skip inside a scheme removed first.
    static func startsWithScriptScheme(_ v: UnsafeRawBufferPointer) -> Bool {
        if schemeForward(v, "javascript") || schemeForward(v, "vbscript") || schemeForward(v, "livescript") { return true }
        return schemeForward(v, "data") && (ByteClass.find(v, "text/html") != nil || ByteClass.find(v, "image/svg") != nil
                                             || ByteClass.find(v, "xml") != nil)
    }

    /// `v` starts with `word` and a `:`, ignoring ASCII case and bytes up to space.
    private static func schemeForward(_ v: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        let w = word.utf8Start
        var k = 0, i = 0
        while i < v.count {
            let b = v[i]
            i += 1
            if b <= 0x20 { continue }
            if k == word.utf8CodeUnitCount { return b == 0x3A }
            guard ByteClass.lower(b) == w[k] else { return false }
            k += 1
        }
        return false
    }

    /// The letters ending at `end` (inclusive), skipping bytes up to space, spell `word`;
    /// returns where the word starts.
    private static func schemeBackward(_ s: UnsafeRawBufferPointer, _ end: Int, _ word: StaticString) -> Int? {
        let w = word.utf8Start
        var k = word.utf8CodeUnitCount - 1
        var i = end
        while i >= 0 && end - i < 64 {
            let b = s[i]
            if b <= 0x20 { i -= 1; continue }
            guard ByteClass.lower(b) == w[k] else { return nil }
            if k == 0 { return i }
            k -= 1
            i -= 1
        }
        return nil
    }

    /// At a `:`: were the letters before it (skipping spaces and controls, as browsers do) a script scheme?
    private static func scriptScheme(_ s: UnsafeRawBufferPointer, colon: Int, _ report: inout Report) {
        guard colon >= 8 else { return }
        if let start = schemeBackward(s, colon - 1, "javascript") ?? schemeBackward(s, colon - 1, "vbscript")
            ?? schemeBackward(s, colon - 1, "livescript") {
            report.add(scriptURL, s, start..<min(s.count, colon + 40))
        }
    }

    /// `x" onmouseover=`, `' autofocus onfocus=`: a handler name right before `=`, after a quote
    /// or space that ended the attribute the value was meant for.
    private static func handlerBeforeEquals(_ s: UnsafeRawBufferPointer, equals: Int, _ report: inout Report) {
        var end = equals
        while end > 0 && ByteClass.isSpace(s[end - 1]) { end -= 1 }
        var start = end
        while start > 0 && ByteClass.isAlpha(s[start - 1]) { start -= 1 }
        let formAction = end - start == 10 && ByteClass.hasPrefix(s, at: start, "formaction")
        guard isHandlerName(s, start, end) || formAction else { return }
        if start == 0 {
            // At the value start only the handlers that exist count (`online=yes` is a setting).
            guard commonHandlers.contains(s, start, end) else { return }
        } else {
            let before = s[start - 1]
            guard before == 0x22 || before == 0x27 || before == 0x2F || ByteClass.isSpace(before) else { return }
        }
        // Something after the `=` that can run, or nothing (the page supplies the rest): not a
        // numeric or punctuation value.
        var v = equals + 1
        while v < s.count && (ByteClass.isSpace(s[v]) || s[v] == 0x22 || s[v] == 0x27) { v += 1 }
        if v == s.count, start > 0, s[start - 1] == 0x2F { return }  // `.../onafe=` closing base64 text
        guard v == s.count || ByteClass.isAlpha(s[v]) || s[v] == 0x5B || s[v] == 0x28 || s[v] == 0x60 || s[v] == 0x24 else { return }
        report.add(attributeBreak, s, start..<min(s.count, equals + 40))
    }
}
