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
        ("style", 1), ("form", 2), ("link", 1), ("template", 2), ("noscript", 2), ("xml", 2), ("layer", 2), ("ilayer", 2),
        ("bgsound", 2), ("marquee", 2), ("video", 2), ("audio", 2), ("input", 2), ("button", 2), ("textarea", 2), ("keygen", 2),
        ("set", 2), ("animate", 2), ("handler", 2), ("listener", 2), ("include", 1), ("vmlframe", 1), ("image", 2),
    ])

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        guard n >= 3 else { return }
        var i = 0
        while i < n {
            switch s[i] {
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
        JavaScriptScanner.scan(s, &report)
    }

    /// Parses `<name attr=value ...>` from `start`; returns where scanning continues.
    private static func tag(_ s: UnsafeRawBufferPointer, _ start: Int, _ report: inout Report) -> Int {
        let n = s.count
        var i = start + 1
        if i < n && s[i] == 0x2F { i += 1 }
        let nameStart = i
        while i < n && (ByteClass.isAlnum(s[i]) || s[i] == 0x2D || s[i] == 0x3A || s[i] == 0x5F) { i += 1 }
        guard i > nameStart, ByteClass.isAlpha(s[nameStart]) else { return start + 1 }
        // A `prefix:name` (svg:script) is judged by its local name.
        var localStart = nameStart
        for k in nameStart..<i where s[k] == 0x3A { localStart = k + 1 }
        if let kind = tags.lookup(s, localStart, i), i >= n || !ByteClass.isAlnum(s[i]) {
            report.add(kind == 1 ? dangerousTag : activeTag, s, start..<i)
        }
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
                if i < n { i += 1 }
            } else {
                while i < n && !ByteClass.isSpace(s[i]) && s[i] != 0x3E { i += 1 }
                valueEnd = i
            }
            attributeValue(s, attrStart, attrEnd, valueStart, valueEnd, &report)
        }
        return i
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

    /// `on` + letters: every event handler attribute (the list grows with each browser release).
    private static func isHandlerName(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard end - start >= 5, ByteClass.lower(s[start]) == 0x6F, ByteClass.lower(s[start + 1]) == 0x6E else { return false }
        for k in (start + 2)..<end where !ByteClass.isAlpha(s[k]) { return false }
        return true
    }

    private static func attributeValue(_ s: UnsafeRawBufferPointer, _ nameStart: Int, _ nameEnd: Int,
                                       _ start: Int, _ end: Int, _ report: inout Report) {
        guard end > start else { return }
        let value = UnsafeRawBufferPointer(rebasing: s[start..<end])
        if nameEnd - nameStart == 5, ByteClass.hasPrefix(s, at: nameStart, "style") {
            if ByteClass.find(value, "expression") != nil || ByteClass.find(value, "javascript") != nil
                || ByteClass.find(value, "behavior") != nil || ByteClass.find(value, "-moz-binding") != nil {
                report.add(styleScript, s, nameStart..<end)
            }
        }
        if startsWithScriptScheme(value) { report.add(scriptURL, s, start..<end) }
    }

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
        guard isHandlerName(s, start, end) else { return }
        if start == 0 {
            // At the value start only the handlers that exist count (`online=yes` is a setting).
            guard commonHandlers.contains(s, start, end) else { return }
        } else {
            let before = s[start - 1]
            guard before == 0x22 || before == 0x27 || before == 0x2F || ByteClass.isSpace(before) else { return }
        }
        // Something after the `=` that can run: not an empty or purely numeric value.
        var v = equals + 1
        while v < s.count && (ByteClass.isSpace(s[v]) || s[v] == 0x22 || s[v] == 0x27) { v += 1 }
        guard v < s.count, ByteClass.isAlpha(s[v]) || s[v] == 0x5B || s[v] == 0x28 || s[v] == 0x60 || s[v] == 0x24 else { return }
        report.add(attributeBreak, s, start..<min(s.count, equals + 40))
    }
}
