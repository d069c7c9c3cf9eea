/// The text of an HTML/XML fragment: tags replaced by a space, character references kept as
/// written. For detectors of text-borne syntax (SQL), which markup would only confuse.
enum MarkupText {
    /// Starts (after spaces) with a tag and closes one.
    static func isMarkup(_ v: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < v.count && ByteClass.isSpace(v[i]) { i += 1 }
        guard i + 2 < v.count, v[i] == 0x3C, ByteClass.isAlpha(v[i + 1]) || v[i + 1] == 0x21 || v[i + 1] == 0x3F else { return false }
        return ByteClass.contains(v, 0x3E)
    }

    static func extract(_ v: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var inTag = false
        for b in v {
            if inTag {
                if b == 0x3E { inTag = false; out.append(0x20) }
            } else if b == 0x3C {
                inTag = true
            } else {
                out.append(b)
            }
        }
    }
}
