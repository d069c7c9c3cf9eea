/// multipart/form-data: finds each part between `--boundary` lines and reports its field
/// name, its file name (if any) and its content. Tolerates LF-only line ends and a body cut
/// at `max_body` (the last part is then reported up to where it stops).
enum MultipartParser {
    struct Part {
        var name: UnsafeRawBufferPointer
        var fileName: UnsafeRawBufferPointer?
        var contentType: UnsafeRawBufferPointer?
        var content: UnsafeRawBufferPointer
    }

    /// The `boundary` parameter of a Content-Type value, quotes removed.
    static func boundary(_ contentType: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let at = ByteClass.find(contentType, "boundary=") else { return nil }
        var a = at + 9
        var e = a
        if a < contentType.count && contentType[a] == 0x22 {
            a += 1
            e = a
            while e < contentType.count && contentType[e] != 0x22 { e += 1 }
        } else {
            while e < contentType.count && contentType[e] != 0x3B && !ByteClass.isSpace(contentType[e]) { e += 1 }
        }
        return e > a ? UnsafeRawBufferPointer(rebasing: contentType[a..<e]) : nil
    }

    static func forEachPart(_ body: UnsafeRawBufferPointer, boundary: UnsafeRawBufferPointer, _ visit: (Part) -> Void) {
        let n = body.count
        var i = delimiter(body, boundary, from: 0)
        while let start = i {
            // After `--boundary`: `--` ends the body; otherwise the part headers follow the line end.
            var p = start + 2 + boundary.count
            if p + 1 < n && body[p] == 0x2D && body[p + 1] == 0x2D { return }
            while p < n && body[p] != 0x0A { p += 1 }
            p += 1
            guard p < n else { return }
            var part = Part(name: UnsafeRawBufferPointer(rebasing: body[p..<p]), fileName: nil, contentType: nil,
                            content: UnsafeRawBufferPointer(rebasing: body[p..<p]))
            // Headers until an empty line.
            while p < n {
                var e = p
                while e < n && body[e] != 0x0A { e += 1 }
                var lineEnd = e
                if lineEnd > p && body[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                if lineEnd == p { p = e + 1; break }
                let line = UnsafeRawBufferPointer(rebasing: body[p..<lineEnd])
                if ByteClass.hasPrefix(line, at: 0, "content-disposition:") {
                    if let v = parameter(line, "name=") { part.name = v }
                    part.fileName = parameter(line, "filename=")
                } else if ByteClass.hasPrefix(line, at: 0, "content-type:") {
                    part.contentType = UnsafeRawBufferPointer(rebasing: line[13...])
                }
                p = e + 1
            }
            let next = delimiter(body, boundary, from: min(p, n))
            var contentEnd = next ?? n
            // The line end before the delimiter belongs to it.
            if next != nil, contentEnd > p, body[contentEnd - 1] == 0x0A { contentEnd -= 1 }
            if next != nil, contentEnd > p, body[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            part.content = UnsafeRawBufferPointer(rebasing: body[min(p, n)..<max(min(p, n), contentEnd)])
            visit(part)
            i = next
        }
    }

    /// Index of the next `--boundary` at a line start.
    private static func delimiter(_ body: UnsafeRawBufferPointer, _ boundary: UnsafeRawBufferPointer, from: Int) -> Int? {
        let n = body.count, m = boundary.count
        var i = from
        while i + 2 + m <= n {
            if body[i] == 0x2D, body[i + 1] == 0x2D, i == 0 || body[i - 1] == 0x0A {
                var same = true
                for k in 0..<m where body[i + 2 + k] != boundary[k] { same = false; break }
                if same { return i }
            }
            i += 1
        }
        return nil
    }

    /// `name="value"` (or unquoted) in a header line; `key` includes the `=`. A match must
    /// start a parameter, so `name=` does not match inside `filename=`.
    private static func parameter(_ line: UnsafeRawBufferPointer, _ key: StaticString) -> UnsafeRawBufferPointer? {
        var from = 0
        while let at = ByteClass.find(line, key, from: from) {
            from = at + 1
            if at > 0, line[at - 1] != 0x3B && line[at - 1] != 0x20 && line[at - 1] != 0x09 { continue }
            var a = at + key.utf8CodeUnitCount
            var e = a
            if a < line.count && line[a] == 0x22 {
                a += 1
                e = a
                while e < line.count && line[e] != 0x22 { e += e + 1 < line.count && line[e] == 0x5C ? 2 : 1 }
                e = min(e, line.count)
            } else {
                while e < line.count && line[e] != 0x3B { e += 1 }
            }
            return UnsafeRawBufferPointer(rebasing: line[a..<e])
        }
        return nil
    }
}
