/// Server-side JavaScript and Perl shapes the code detector's needles leave out, under its
/// rules (`code.node`, `code.js-loop`, `code.perl`): serialized-function markers of other
/// Node libraries (funcster's `__js_function`), reaching `Function` through
/// `constructor.constructor`, assigning `module.exports`, reflective calls with a chosen
/// receiver (`console.info.call(this, ...)`), endless loops whose condition negates an empty
/// literal (`while(!``)`, `while(!!'')`), and Perl's `@{ [ ... ] }` interpolation written with
/// spaces.
enum ServerSideJSDetector {
    /// Receivers a reflective call is pointed at to reach the global scope.
    private static let receivers = KeywordTable(["this", "null", "undefined", "global", "globalthis", "process", "window", "self"])

    static func scan(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        let n = s.count
        guard n >= 6 else { return }
        var i = 0
        while i < n {
            switch s[i] {
            case 0x5F where ByteClass.hasPrefix(s, at: i, "__js_function"):
                report.add(CodeDetector.node, s, i..<min(n, i + 40))
            case 0x63, 0x43 where ByteClass.hasPrefix(s, at: i, "constructor"):
                // `x.constructor.constructor`, `constructor["constructor"]`: the Function constructor.
                var k = i + 11
                while k < n && (s[k] == 0x2E || s[k] == 0x5B || s[k] == 0x5D || s[k] == 0x22 || s[k] == 0x27 || ByteClass.isSpace(s[k])) {
                    k += 1
                }
                if k > i + 11, ByteClass.hasPrefix(s, at: k, "constructor") { report.add(CodeDetector.node, s, i..<min(n, k + 30)) }
            case 0x6D where ByteClass.hasPrefix(s, at: i, "module.exports") && (i == 0 || !ByteClass.isWord(s[i - 1])):
                // `module.exports =`, `module.exports.x =`: replacing what a module hands out.
                var k = i + 14
                if k < n && s[k] == 0x2E { k += 1; while k < n && ByteClass.isWord(s[k]) { k += 1 } }
                while k < n && ByteClass.isSpace(s[k]) { k += 1 }
                if k < n, s[k] == 0x3D, k + 1 == n || s[k + 1] != 0x3D { report.add(CodeDetector.node, s, i..<min(n, k + 30)) }
            case 0x2E:
                reflectiveCall(s, dot: i, &report)
            case 0x77, 0x57 where ByteClass.hasPrefix(s, at: i, "while") && (i == 0 || !ByteClass.isWord(s[i - 1])):
                negatedEmptyLoop(s, i + 5, &report)
            case 0x40 where i + 1 < n && s[i + 1] == 0x7B:  // @{ [
                var k = i + 2
                while k < n && ByteClass.isSpace(s[k]) { k += 1 }
                if k < n, s[k] == 0x5B { report.add(CodeDetector.perl, s, i..<min(n, k + 40)) }
            default:
                break
            }
            i += 1
        }
    }

    /// `.call(this, ...)`, `.apply(null, [...])`: a function invoked on the global scope.
    private static func reflectiveCall(_ s: UnsafeRawBufferPointer, dot: Int, _ report: inout Report) {
        let n = s.count
        let method = dot + 1
        var k = method
        while k < n && ByteClass.isAlpha(s[k]) { k += 1 }
        let length = k - method
        guard (length == 4 && ByteClass.hasPrefix(s, at: method, "call")) || (length == 5 && ByteClass.hasPrefix(s, at: method, "apply")),
              dot > 0, ByteClass.isWord(s[dot - 1]) else { return }
        while k < n && ByteClass.isSpace(s[k]) { k += 1 }
        guard k < n, s[k] == 0x28 else { return }
        k += 1
        while k < n && ByteClass.isSpace(s[k]) { k += 1 }
        let argument = k
        while k < n && ByteClass.isWord(s[k]) { k += 1 }
        var end = k
        while end < n && ByteClass.isSpace(s[end]) { end += 1 }
        if k > argument, end < n, s[end] == 0x2C || s[end] == 0x29, receivers.contains(s, argument, k) {
            var start = dot
            while start > 0 && (ByteClass.isWord(s[start - 1]) || s[start - 1] == 0x2E) { start -= 1 }
            report.add(CodeDetector.node, s, start..<min(n, end + 20))
        }
    }

    /// After `while`: `(` then only negations, parentheses and empty literals (``, '', "", [], {})
    /// up to the closing `)`: a condition that is constant, so a loop that never ends.
    private static func negatedEmptyLoop(_ s: UnsafeRawBufferPointer, _ from: Int, _ report: inout Report) {
        let n = s.count
        var k = from
        while k < n && ByteClass.isSpace(s[k]) { k += 1 }
        guard k < n, s[k] == 0x28 else { return }
        let open = k
        var depth = 0, negations = 0, literals = 0
        while k < n && k - open < 40 {
            let b = s[k]
            switch b {
            case 0x28: depth += 1
            case 0x29:
                depth -= 1
                if depth == 0 {
                    if negations > 0 && literals > 0 { report.add(CodeDetector.loop, s, (from - 5)..<min(n, k + 1)) }
                    return
                }
            case 0x21: negations += 1
            case 0x60, 0x22, 0x27, 0x5B, 0x7B:
                let close: UInt8 = b == 0x5B ? 0x5D : b == 0x7B ? 0x7D : b
                guard k + 1 < n, s[k + 1] == close else { return }
                literals += 1
                k += 1
            default:
                guard ByteClass.isSpace(b) else { return }
            }
            k += 1
        }
    }
}
