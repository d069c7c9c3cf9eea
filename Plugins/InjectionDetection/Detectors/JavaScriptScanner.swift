/// JavaScript outside markup: identifiers read the way the engine reads them, with comments,
/// whitespace and `["name"]` member access folded (`self[/*x*/"alert"]` is `self.alert`), to
/// find calls of sinks and reads of what an attacker wants (cookies, the origin, storage).
enum JavaScriptScanner {
    /// 1: a call runs code or shows the proof of execution; 2: `call`/`apply`/`bind`
    /// (a tagged template on them calls any function); 3: `constructor` (reaches `Function`).
    private static let sinks = KeywordTable([
        ("alert", 1), ("prompt", 1), ("confirm", 1), ("eval", 1), ("execscript", 1), ("settimeout", 1), ("setinterval", 1),
        ("function", 1), ("fromcharcode", 1), ("atob", 1), ("globaleval", 1), ("navigate", 1), ("write", 1), ("writeln", 1),
        ("import", 1), ("call", 2), ("apply", 2), ("bind", 2), ("constructor", 3),
    ])
    /// Globals whose properties are the targets.
    private static let globals = KeywordTable(["document", "window", "self", "top", "parent", "frames", "globalthis", "this",
                                               "opener", "content", "location", "localstorage", "sessionstorage", "navigator"])
    private static let targets = KeywordTable(["cookie", "domain", "location", "href", "innerhtml", "outerhtml", "localstorage",
                                               "sessionstorage", "body", "referrer", "documenturi", "url", "createelement",
                                               "alert", "eval", "write", "open", "opener", "origin", "queryselector",
                                               "queryselectorall", "getelementbyid", "getelementsbyname", "getelementsbytagname",
                                               "getelementsbyclassname", "forms", "scripts", "textcontent", "innertext",
                                               "outertext", "insertadjacenthtml", "defaultview", "implementation"])
    /// Globals that, indexed by a computed name (`self[...]`), reach any function by a spelled-out name
    /// (a subset of ``globals``).
    private static let roots = KeywordTable(["window", "self", "top", "parent", "frames", "globalthis", "this", "document"])

    /// `path`: the value is a URL path, where a segment that is only a name (`/document.cookie`,
    /// `/eval(`) names a page about JavaScript.
    static func scan(_ s: UnsafeRawBufferPointer, path: Bool, _ report: inout Report) {
        let n = s.count
        var i = 0
        var previousIsRoot = false  // the previous name is a global on its own, not a member
        // The previous identifier (or bracketed string) and whether it was a global object.
        var previous: Range<Int>? = nil
        var previousIsGlobal = false
        var member = false  // the next name is read as a property (after `.` or `[`)
        while i < n {
            let b = s[i]
            if ByteClass.isSpace(b) { i += 1; continue }
            if b == 0x2F, i + 1 < n, s[i + 1] == 0x2A {  // /* */
                i = ByteClass.blockCommentEnd(s, from: i + 2, end: n)
                continue
            }
            var name: Range<Int>? = nil
            var bracketed = false
            // `self[`, `top/**/[`: adjacent (`this [sic]` in prose is not an index).
            if b == 0x5B, previousIsRoot, let previous, i == previous.upperBound || s[i - 1] == 0x2F {
                var j = i + 1
                while j < n && (ByteClass.isSpace(s[j]) || commentAt(s, j)) { j = skipComment(s, j) }
                if j < n, s[j] != 0x5D, !ByteClass.isDigit(s[j]) {
                    report.add(XSSDetector.globalAccess, s, previous.lowerBound..<min(n, j + 30))
                }
            }
            previousIsRoot = false
            if ByteClass.isWord(b) || b == 0x24 {
                let start = i
                while i < n && (ByteClass.isWord(s[i]) || s[i] == 0x24) { i += 1 }
                name = start..<i
            } else if b == 0x5B, let (folded, close) = concatenatedName(s, i) {  // ["al"+"ert"]
                // The name is built from pieces: judge the whole, then go on after the bracket.
                var j = close
                while j < n && (ByteClass.isSpace(s[j]) || commentAt(s, j)) { j = skipComment(s, j) }
                // The folded bytes are only valid inside the closure: judge them there.
                withUnsafeBytes(of: folded.bytes) { bytes in
                    let whole = UnsafeRawBufferPointer(rebasing: bytes[0..<folded.count])
                    if j < n, s[j] == 0x28 || s[j] == 0x60, sinks.lookup(whole, 0, whole.count) == 1 {
                        report.add(XSSDetector.jsSink, s, i..<min(n, j + 30))
                    } else if previousIsGlobal, targets.contains(whole, 0, whole.count) {
                        report.add(XSSDetector.domAccess, s, i..<min(n, close + 10))
                    }
                }
                i = close
                member = false
                previous = i..<i
                previousIsGlobal = false
                continue
            } else if b == 0x5B {  // ["name"] or ['name']
                var j = i + 1
                while j < n && (ByteClass.isSpace(s[j]) || commentAt(s, j)) { j = skipComment(s, j) }
                if j < n, s[j] == 0x22 || s[j] == 0x27 || s[j] == 0x60 {
                    let q = s[j]
                    let start = j + 1
                    var k = start
                    while k < n && s[k] != q && k - start < 40 { k += 1 }
                    if k < n && s[k] == q {
                        var close = k + 1
                        while close < n && (ByteClass.isSpace(s[close]) || commentAt(s, close)) { close = skipComment(s, close) }
                        if close < n && s[close] == 0x5D {
                            name = start..<k
                            bracketed = true
                            i = close + 1
                        }
                    }
                }
                if name == nil { i += 1; member = false; previous = nil; continue }
            } else {
                // `(document/**/)["cookie"]`: a closing parenthesis keeps the name it wrapped.
                if b == 0x2E { member = previous != nil } else if b != 0x29 { member = false; previous = nil; previousIsGlobal = false }
                i += 1
                continue
            }
            guard let name else { continue }
            let isMember = member || bracketed
            // What follows the name: a call `(`, a tagged template, or more member access.
            var j = i
            while j < n && (ByteClass.isSpace(s[j]) || commentAt(s, j)) { j = skipComment(s, j) }
            let calls = j < n && (s[j] == 0x28 || s[j] == 0x60)
            let adjacentCall = j == i && j < n && (s[j] == 0x28 || s[j] == 0x60)
            let wholeSegment = path && segmentAround(s, (previous ?? name).lowerBound, calls ? j + 1 : i)
            if !isMember, ByteClass.hasPrefix(s, at: name.lowerBound, "import"), name.count == 6, let end = importFrom(s, j) {
                report.add(XSSDetector.jsImport, s, name.lowerBound..<end)
            }
            let sink = sinks.lookup(s, name.lowerBound, name.upperBound)
            if !calls, !isMember, sink == 1, sinkAsValue(s, name, after: j) {
                report.add(XSSDetector.jsSink, s, name.lowerBound..<min(n, j + 20))
            }
            if let sink, calls, !wholeSegment {
                switch sink {
                case 1 where isMember || adjacentCall || s[j] == 0x60:
                    report.add(XSSDetector.jsSink, s, (previous?.lowerBound ?? name.lowerBound)..<min(n, j + 30))
                case 2 where s[j] == 0x60 && isMember:
                    report.add(XSSDetector.jsSink, s, (previous?.lowerBound ?? name.lowerBound)..<min(n, j + 30))
                case 3 where isMember:
                    report.add(XSSDetector.jsSink, s, (previous?.lowerBound ?? name.lowerBound)..<min(n, j + 30))
                default:
                    break
                }
            }
            if isMember, previousIsGlobal || bracketed, targets.contains(s, name.lowerBound, name.upperBound),
               let previous, !(bracketed && !previousIsGlobal && !targets.contains(s, name.lowerBound, name.upperBound)),
               !(path && segmentAround(s, previous.lowerBound, i)) {
                if previousIsGlobal || (bracketed && ByteClass.hasPrefix(s, at: name.lowerBound, "cookie")) {
                    report.add(XSSDetector.domAccess, s, previous.lowerBound..<min(n, name.upperBound + 20))
                }
            }
            previousIsGlobal = globals.contains(s, name.lowerBound, name.upperBound)
            previousIsRoot = previousIsGlobal && !isMember && roots.contains(s, name.lowerBound, name.upperBound)
                && (name.lowerBound == 0 || s[name.lowerBound - 1] != 0x2E)
            previous = name
            member = false
        }
    }

    /// A sink passed around instead of called: `onerror=alert;`, `a=alert,a(1)`, `(alert)(1)`,
    /// `[1].find(alert)`: calls without parentheses of its own.
    private static func sinkAsValue(_ s: UnsafeRawBufferPointer, _ name: Range<Int>, after j: Int) -> Bool {
        var p = name.lowerBound - 1
        while p >= 0 && ByteClass.isSpace(s[p]) { p -= 1 }
        guard p >= 0, j < s.count else { return false }
        let next = s[j]
        switch s[p] {
        case 0x3D:  // `=` (not `==`, `<=`...)
            return p > 0 && ByteClass.isWord(s[p - 1]) && (next == 0x3B || next == 0x2C || next == 0x7D)
        case 0x28:
            guard next == 0x29 else { return false }
            var k = j + 1
            while k < s.count && ByteClass.isSpace(s[k]) { k += 1 }
            if k < s.count && (s[k] == 0x28 || s[k] == 0x60) { return true }  // `(alert)(1)`
            // `.find(alert)`: the argument of a method call.
            var m = p - 1
            while m >= 0 && ByteClass.isWord(s[m]) { m -= 1 }
            return m >= 0 && m < p - 1 && s[m] == 0x2E
        default:
            return false
        }
    }

    /// `start..<end` is a whole path segment: `/` or the value's edge on both sides.
    private static func segmentAround(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        (start == 0 || s[start - 1] == 0x2F) && (end >= s.count || s[end] == 0x2F)
    }

    /// After `import`: a module import statement (`{ a, b } from "./x.js"`, `* as x from 'y'`,
    /// `x from "y"`); returns the end of the module name.
    private static func importFrom(_ s: UnsafeRawBufferPointer, _ from: Int) -> Int? {
        let n = s.count
        guard from < n, s[from] == 0x7B || s[from] == 0x2A || ByteClass.isAlpha(s[from]) || s[from] == 0x24 else { return nil }
        var k = from
        while k + 6 < n && k - from < 200 {
            if s[k] == 0x20, ByteClass.hasPrefix(s, at: k + 1, "from") {
                var q = k + 5
                while q < n && ByteClass.isSpace(s[q]) { q += 1 }
                if q < n, s[q] == 0x22 || s[q] == 0x27 || s[q] == 0x60 { return min(n, q + 30) }
            }
            if s[k] == 0x3B || s[k] == 0x0A { return nil }
            k += 1
        }
        return nil
    }

    /// Up to 32 lowercased bytes of a name, on the stack.
    struct FoldedName {
        var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = 0
    }

    /// `["al" + "ert"]`: two or more string literals joined by `+` inside brackets; returns the
    /// joined name (lowercased) and the index after `]`.
    private static func concatenatedName(_ s: UnsafeRawBufferPointer, _ open: Int) -> (FoldedName, Int)? {
        var name = FoldedName()
        var pieces = 0
        var k = open + 1
        let n = s.count
        while k < n && k - open < 120 {
            while k < n && ByteClass.isSpace(s[k]) { k += 1 }
            guard k < n, s[k] == 0x22 || s[k] == 0x27 || s[k] == 0x60 else { return nil }
            let q = s[k]
            k += 1
            while k < n && s[k] != q {
                guard name.count < 32 else { return nil }
                let b = ByteClass.lower(s[k])
                withUnsafeMutableBytes(of: &name.bytes) { $0[name.count] = b }
                name.count += 1
                k += 1
            }
            guard k < n else { return nil }
            k += 1
            pieces += 1
            while k < n && ByteClass.isSpace(s[k]) { k += 1 }
            guard k < n else { return nil }
            if s[k] == 0x5D { return pieces >= 2 ? (name, k + 1) : nil }
            guard s[k] == 0x2B else { return nil }
            k += 1
        }
        return nil
    }

    @inline(__always)
    private static func commentAt(_ s: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        i + 1 < s.count && s[i] == 0x2F && s[i + 1] == 0x2A
    }

    /// Past one space or one `/* */` comment at `i`.
    private static func skipComment(_ s: UnsafeRawBufferPointer, _ i: Int) -> Int {
        guard commentAt(s, i) else { return i + 1 }
        return ByteClass.blockCommentEnd(s, from: i + 2, end: s.count)
    }
}
