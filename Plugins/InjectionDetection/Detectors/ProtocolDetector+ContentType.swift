extension ProtocolDetector {
    /// `application/x-www-form-urlencoded; boundary="application/json"`: a second media type
    /// hidden in the parameters makes the gateway and the backend parse the body differently.
    static func scanContentType(_ value: UnsafeRawBufferPointer, _ report: inout Report) {
        var semicolon = 0
        while semicolon < value.count && value[semicolon] != 0x3B { semicolon += 1 }
        guard semicolon < value.count else { return }
        let media = UnsafeRawBufferPointer(rebasing: value[0..<semicolon])
        if ByteClass.find(media, "multipart/") != nil { return }
        let parameters = UnsafeRawBufferPointer(rebasing: value[semicolon...])
        var from = 0
        while let at = ByteClass.find(parameters, "=", from: from) {
            from = at + 1
            var k = at + 1
            if k < parameters.count && parameters[k] == 0x22 { k += 1 }
            let start = k
            while k < parameters.count && (ByteClass.isAlnum(parameters[k]) || parameters[k] == 0x2D || parameters[k] == 0x2E) { k += 1 }
            if k > start, k < parameters.count, parameters[k] == 0x2F, k + 1 < parameters.count, ByteClass.isAlpha(parameters[k + 1]) {
                report.add(contentType, value, 0..<value.count)
                return
            }
        }
    }
}
