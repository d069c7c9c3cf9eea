/// The `access_log:` section: one JSON line per request, to a file or stdout.
public struct AccessLogConfig: Sendable {
    /// Where lines go: a file (with optional rotation, reopened on SIGUSR1), or `/dev/stdout`
    /// for `stdout: true`.
    public var file: FileSinkConfig
    public var isStdout: Bool
    /// `include_query`: log the query string with the path. Off by default: queries may carry PHI.
    public var includeQuery = false
    /// `buffer`: bytes of lines waiting for the writer thread; beyond, lines are dropped and counted.
    public var bufferBytes = 4 << 20
    /// The `access_log` mapping.
    public var location: ConfigLocation
}

extension ConfigurationDecoder {
    func accessLog(_ node: ConfigNode) -> AccessLogConfig? {
        let keys = ["path", "stdout", "include_query", "buffer", "max_size", "keep"]
        guard let m = node.mapping(d, keys: keys, in: "access_log") else { return nil }
        let stdout = m["stdout"]?.bool(d) ?? false
        let path = m["path"]?.filePath(d, mustExist: false)
        switch (stdout, m["path"]) {
        case (true, let pathNode?):
            pathNode.error(d, "access_log takes either 'path' or 'stdout: true', not both")
            return nil
        case (false, nil):
            d.error("access_log needs 'path' (a file) or 'stdout: true'", at: m.location)
            return nil
        default:
            break
        }
        if stdout, let rotation = m["max_size"] ?? m["keep"] {
            rotation.error(d, "max_size and keep rotate a file; they do not apply to stdout")
        }
        var file = FileSinkConfig(path: stdout ? "/dev/stdout" : path ?? "")
        file.maxSize = m["max_size"]?.byteSize(d, range: 4096...Int.max)
        if let keep = m["keep"]?.int(d, range: 1...1000) { file.keep = keep }
        var config = AccessLogConfig(file: file, isStdout: stdout, location: m.location)
        if let include = m["include_query"]?.bool(d) { config.includeQuery = include }
        if let buffer = m["buffer"]?.byteSize(d, range: (64 << 10)...(1 << 30)) { config.bufferBytes = buffer }
        guard stdout || path != nil else { return nil }
        return config
    }
}
