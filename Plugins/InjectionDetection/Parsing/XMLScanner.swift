/// XML bodies (SOAP, `application/xml`): reports attribute values and text content with the
/// name of their element or attribute, character references decoded as the XML parser will.
/// A DOCTYPE that declares external entities is reported separately (XXE).
enum XMLScanner {
    enum Item {
        case text(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
        case externalEntity(UnsafeRawBufferPointer)
    }

    static func scan(_ s: UnsafeRawBufferPointer, _ visit: (Item) -> Void) {
        let n = s.count
        var i = 0
        var element = UnsafeRawBufferPointer(rebasing: s[0..<0])
        var textStart = 0
        while i < n {
            guard s[i] == 0x3C else { i += 1; continue }
            if i > textStart { emitText(s, textStart, i, element, visit) }
            if ByteClass.hasPrefix(s, at: i, "<!--") {
                i = (ByteClass.find(s, "-->", from: i + 4).map { $0 + 3 }) ?? n
            } else if ByteClass.hasPrefix(s, at: i, "<![cdata[") {
                let end = ByteClass.find(s, "]]>", from: i + 9) ?? n
                visit(.text(name: element, value: UnsafeRawBufferPointer(rebasing: s[(i + 9)..<end])))
                i = min(n, end + 3)
            } else if ByteClass.hasPrefix(s, at: i, "<!doctype") {
                let end = doctypeEnd(s, i)
                let decl = UnsafeRawBufferPointer(rebasing: s[i..<end])
                if ByteClass.find(decl, "<!entity") != nil, ByteClass.find(decl, "system") != nil || ByteClass.find(decl, "public") != nil {
                    visit(.externalEntity(decl))
                }
                i = end
            } else if i + 1 < n && s[i + 1] == 0x3F {
                i = (ByteClass.find(s, "?>", from: i + 2).map { $0 + 2 }) ?? n
            } else {
                i = tag(s, i, &element, visit)
            }
            textStart = i
        }
        if textStart < n { emitText(s, textStart, n, element, visit) }
    }

    private static func emitText(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int, _ element: UnsafeRawBufferPointer, _ visit: (Item) -> Void) {
        var x = a
        while x < e && ByteClass.isSpace(s[x]) { x += 1 }
        if x < e { visit(.text(name: element, value: UnsafeRawBufferPointer(rebasing: s[a..<e]))) }
    }

    private static func doctypeEnd(_ s: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var depth = 0
        var i = start
        while i < s.count {
            if s[i] == 0x5B { depth += 1 } else if s[i] == 0x5D { depth -= 1 } else if s[i] == 0x3E && depth <= 0 { return i + 1 }
            i += 1
        }
        return s.count
    }

    private static func tag(_ s: UnsafeRawBufferPointer, _ start: Int, _ element: inout UnsafeRawBufferPointer, _ visit: (Item) -> Void) -> Int {
        let n = s.count
        var i = start + 1
        let closing = i < n && s[i] == 0x2F
        if closing { i += 1 }
        let nameStart = i
        while i < n && !ByteClass.isSpace(s[i]) && s[i] != 0x3E && s[i] != 0x2F { i += 1 }
        if !closing { element = UnsafeRawBufferPointer(rebasing: s[nameStart..<i]) }
        while i < n && s[i] != 0x3E {
            while i < n && (ByteClass.isSpace(s[i]) || s[i] == 0x2F) { i += 1 }
            let attrStart = i
            while i < n && s[i] != 0x3D && s[i] != 0x3E && !ByteClass.isSpace(s[i]) { i += 1 }
            let attr = UnsafeRawBufferPointer(rebasing: s[attrStart..<i])
            while i < n && ByteClass.isSpace(s[i]) { i += 1 }
            guard i < n, s[i] == 0x3D else { if attr.isEmpty && i < n && s[i] != 0x3E { i += 1 }; continue }
            i += 1
            while i < n && ByteClass.isSpace(s[i]) { i += 1 }
            guard i < n, s[i] == 0x22 || s[i] == 0x27 else { continue }
            let q = s[i]
            let a = i + 1
            i = a
            while i < n && s[i] != q { i += 1 }
            visit(.text(name: attr, value: UnsafeRawBufferPointer(rebasing: s[a..<i])))
            i += 1
        }
        return min(n, i + 1)
    }
}
