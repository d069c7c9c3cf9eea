/// Server-side code the code detector's needles leave out. Under its rules (`code.node`,
/// `code.js-loop`, `code.perl`, `code.prototype-pollution`, `code.python`): serialized-function
/// markers of other Node libraries (funcster's `__js_function`), reaching `Function` through
/// `constructor.constructor`, prototypes reached through any member syntax
/// (`{"constructor":{"prototype":`), assigning `module.exports`, reflective calls with a chosen
/// receiver (`console.info.call(this, ...)`), endless loops whose condition negates an empty
/// literal (`while(!``)`), Perl's `@{ [ ... ] }` written with spaces and pipe opens
/// (`open(FH, "|id")`), Python deserializers. And Ruby (`code.ruby`): process and
/// deserialization calls on Ruby's modules (`IO.popen`, `Open3.capture2`, `Marshal.load`),
/// `%x(...)`, dynamic dispatch of a dangerous method (`send(:system, ...)`), `*_eval`.
enum ServerSideCodeDetector {
    static let ruby = Rule("code.ruby", .code, .critical, "Ruby code (IO.popen, Open3, Marshal.load, %x(), send(:system))")

    /// Calls on Ruby's modules that run commands, load code or deserialize objects, as
    /// `Module.method` and `Module::method`.
    private static let rubyCalls: KeywordTable = {
        let calls = ["kernel.exec", "kernel.system", "kernel.spawn", "kernel.open", "kernel.eval", "kernel.fork", "kernel.syscall",
                     "kernel.load", "kernel.require", "io.popen", "io.read", "io.readlines", "io.sysopen", "io.write", "open3.popen2",
                     "open3.popen2e", "open3.popen3", "open3.capture2", "open3.capture2e", "open3.capture3", "open3.pipeline",
                     "open3.pipeline_r", "open3.pipeline_w", "marshal.load", "marshal.restore", "yaml.load", "yaml.unsafe_load",
                     "psych.load", "psych.unsafe_load", "erb.new", "pty.spawn", "object.const_get", "objectspace.each_object",
                     "binding.eval", "process.exec", "process.fork"]
        return KeywordTable(calls + calls.map { $0.replacingOccurrences(of: ".", with: "::") })
    }()
    /// Methods `send(:name)` must not reach, and Ruby's string evaluators.
    private static let rubySends = KeywordTable(["system", "exec", "spawn", "eval", "instance_eval", "class_eval", "module_eval",
                                                 "const_get", "popen", "load", "require", "send", "public_send", "__send__"])
    /// Receivers a reflective call is pointed at to reach the global scope.
    private static let receivers = KeywordTable(["this", "null", "undefined", "global", "globalthis", "process", "window", "self"])

    /// Bytes where a shape starts: `_ c C m o w W` (at a word start), `. % : @`. A mask over
    /// ASCII, so prose is skipped a byte at a time without a table lookup.
    private static let starts: (UInt64, UInt64) = {
        var low: UInt64 = 0, high: UInt64 = 0
        for b in Array("_cCmowW.%:@".utf8) { if b < 64 { low |= 1 << UInt64(b) } else { high |= 1 << UInt64(b - 64) } }
        return (low, high)
    }()

    static func scan(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        let n = s.count
        guard n >= 6 else { return }
        let (low, high) = starts
        var i = 0
        while i < n {
            let b = s[i]
            defer { i += 1 }
            guard b < 64 ? (low >> UInt64(b)) & 1 != 0 : b < 128 && (high >> UInt64(b - 64)) & 1 != 0 else { continue }
            let wordStart = i == 0 || !ByteClass.isWord(s[i - 1])
            switch b {
            case 0x5F:
                if ByteClass.hasPrefix(s, at: i, "__js_function") { report.add(CodeDetector.node, s, i..<min(n, i + 40)) }
            case 0x63, 0x43:
                if ByteClass.hasPrefix(s, at: i, "constructor") { constructorChain(s, i, &report) }
            case 0x2E:
                if ByteClass.hasPrefix(s, at: i, ".prototype") {
                    if builtinBefore(s, i) { prototypeAssignment(s, i, &report) }
                    continue
                }
                reflectiveCall(s, dot: i, &report)
                rubyCall(s, separator: i, &report)
                if ByteClass.hasPrefix(s, at: i - 6, "pickle.loads") || ByteClass.hasPrefix(s, at: i - 7, "marshal.loads")
                    || ByteClass.hasPrefix(s, at: i - 7, "cPickle.loads") {
                    report.add(CodeDetector.python, s, max(0, i - 7)..<min(n, i + 30))
                }
            case 0x25:  // %x(id): Ruby's backticks
                if wordStart, i + 2 < n, s[i + 1] == 0x78, s[i + 2] == 0x28 || s[i + 2] == 0x7B || s[i + 2] == 0x5B {
                    report.add(ruby, s, i..<min(n, i + 40))
                }
            case 0x3A:
                guard i + 1 < n, ByteClass.isAlpha(s[i + 1]) else { continue }
                if i > 0 && s[i - 1] == 0x3A { rubyCall(s, separator: i, &report) } else { rubySend(s, colon: i, &report) }
            case 0x6F:
                if wordStart, ByteClass.hasPrefix(s, at: i, "open(") { pipeOpen(s, i + 5, &report) }
            case 0x6D:
                if wordStart, ByteClass.hasPrefix(s, at: i, "module.exports") { exportsAssignment(s, i, &report) }
            case 0x77, 0x57:
                if wordStart, ByteClass.hasPrefix(s, at: i, "while") { negatedEmptyLoop(s, i + 5, &report) }
            case 0x40:  // @{ [
                guard i + 1 < n, s[i + 1] == 0x7B else { continue }
                var k = i + 2
                while k < n && ByteClass.isSpace(s[k]) { k += 1 }
                if k < n, s[k] == 0x5B { report.add(CodeDetector.perl, s, i..<min(n, k + 40)) }
            default:
                break
            }
        }
    }

    /// `x.constructor.constructor`, `constructor["constructor"]`: the Function constructor;
    /// `{"constructor": {"prototype":`: every object's prototype.
    private static func constructorChain(_ s: UnsafeRawBufferPointer, _ i: Int, _ report: inout Report) {
        let n = s.count
        var k = i + 11
        while k < n && k - i < 24 && (s[k] == 0x2E || s[k] == 0x5B || s[k] == 0x5D || s[k] == 0x22 || s[k] == 0x27
                                      || s[k] == 0x3A || s[k] == 0x7B || ByteClass.isSpace(s[k])) {
            k += 1
        }
        guard k > i + 11 else { return }
        if ByteClass.hasPrefix(s, at: k, "constructor") { report.add(CodeDetector.node, s, i..<min(n, k + 30)) }
        if ByteClass.hasPrefix(s, at: k, "prototype") { report.add(CodeDetector.prototype, s, i..<min(n, k + 30)) }
    }

    /// `Object.prototype.isAdmin = 1`: a property every object inherits.
    private static func prototypeAssignment(_ s: UnsafeRawBufferPointer, _ dot: Int, _ report: inout Report) {
        let n = s.count
        var k = dot + 10
        guard k < n, s[k] == 0x2E || s[k] == 0x5B else { return }
        k += 1
        while k < n && (ByteClass.isWord(s[k]) || s[k] == 0x22 || s[k] == 0x27 || s[k] == 0x5D) { k += 1 }
        while k < n && ByteClass.isSpace(s[k]) { k += 1 }
        if k < n, s[k] == 0x3D, k + 1 == n || s[k + 1] != 0x3D { report.add(CodeDetector.prototype, s, dot..<min(n, k + 20)) }
    }

    /// `module.exports =`, `module.exports.x =`: replacing what a module hands out.
    private static func exportsAssignment(_ s: UnsafeRawBufferPointer, _ i: Int, _ report: inout Report) {
        let n = s.count
        var k = i + 14
        if k < n && s[k] == 0x2E { k += 1; while k < n && ByteClass.isWord(s[k]) { k += 1 } }
        while k < n && ByteClass.isSpace(s[k]) { k += 1 }
        if k < n, s[k] == 0x3D, k + 1 == n || s[k + 1] != 0x3D { report.add(CodeDetector.node, s, i..<min(n, k + 30)) }
    }

    private static let builtins = KeywordTable(["object", "array", "function", "string", "number", "boolean"])

    /// `Object` (or another built-in constructor) ends right before `dot`.
    private static func builtinBefore(_ s: UnsafeRawBufferPointer, _ dot: Int) -> Bool {
        var m = dot
        while m > 0 && ByteClass.isAlpha(s[m - 1]) { m -= 1 }
        return builtins.contains(s, m, dot)
    }

    /// `IO.popen(`, `Open3::capture2`, `Marshal.load(`: a Ruby module (capitalized, as Ruby
    /// requires) and one of its dangerous methods; `separator` is the `.` or the second `:` of `::`.
    private static func rubyCall(_ s: UnsafeRawBufferPointer, separator: Int, _ report: inout Report) {
        let moduleEnd = s[separator] == 0x2E ? separator : separator - 1
        var m = moduleEnd
        while m > 0 && ByteClass.isAlnum(s[m - 1]) { m -= 1 }
        guard moduleEnd > m, s[m] &- 0x41 < 26, m == 0 || (!ByteClass.isWord(s[m - 1]) && s[m - 1] != 0x2E) else { return }
        var k = separator + 1
        while k < s.count && ByteClass.isWord(s[k]) { k += 1 }
        guard rubyCalls.contains(s, m, k) else { return }
        // Called: `(`, or (Ruby's call without parentheses) a string, command or symbol argument.
        var a = k
        while a < s.count && s[a] == 0x20 { a += 1 }
        if a < s.count, s[a] == 0x28 || s[a] == 0x22 || s[a] == 0x27 || s[a] == 0x60 || s[a] == 0x3A {
            report.add(ruby, s, m..<min(s.count, k + 30))
        }
    }

    /// `send(:system, 'id')`, `public_send(:exec`, `instance_eval(`: at the `:` of a symbol.
    private static func rubySend(_ s: UnsafeRawBufferPointer, colon: Int, _ report: inout Report) {
        var k = colon + 1
        while k < s.count && ByteClass.isWord(s[k]) { k += 1 }
        guard rubySends.contains(s, colon + 1, k) else { return }
        var p = colon - 1
        while p >= 0 && ByteClass.isSpace(s[p]) { p -= 1 }
        guard p >= 4, s[p] == 0x28 else { return }
        var w = p
        while w > 0 && (ByteClass.isWord(s[w - 1])) { w -= 1 }
        if rubySends.contains(s, w, p) { report.add(ruby, s, w..<min(s.count, k + 30)) }
    }

    /// Perl's two-argument `open(FH, "|cmd")` / `"cmd|"`: a pipe to a command.
    private static func pipeOpen(_ s: UnsafeRawBufferPointer, _ from: Int, _ report: inout Report) {
        var k = from
        while k < s.count && (ByteClass.isWord(s[k]) || s[k] == 0x24 || s[k] == 0x20) { k += 1 }
        guard k < s.count, s[k] == 0x2C else { return }
        k += 1
        while k < s.count && s[k] == 0x20 { k += 1 }
        guard k + 1 < s.count, s[k] == 0x22 || s[k] == 0x27 else { return }
        let q = s[k]
        var e = k + 1
        while e < s.count && s[e] != q && e - k < 200 { e += 1 }
        guard e < s.count, e > k + 1 else { return }
        if s[k + 1] == 0x7C || s[e - 1] == 0x7C { report.add(CodeDetector.perl, s, (from - 5)..<min(s.count, e + 1)) }
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
