import GatewayConfig
import GatewayNetwork
import Testing

/// The readers plugins use, on values of a one-key document `v: ...`.
@Suite struct ConfigNodeReaderTests {
    /// Reads the value of `v` in `yaml` with `read`; returns the result and the errors.
    private func read<T>(_ yaml: String, _ read: (ConfigNode, ConfigDiagnostics) -> T?) -> (T?, [String]) {
        let d = ConfigDiagnostics()
        let root = ConfigNode.parse(yaml: yaml, path: "p.yaml", d)
        let value = root?.mapping(d)?["v"].flatMap { read($0, d) }
        return (value, d.errors.map(\.description))
    }

    private func value<T>(_ text: String, _ reader: (ConfigNode, ConfigDiagnostics) -> T?) -> T? {
        let (value, errors) = read("v: \(text)", reader)
        #expect(errors.isEmpty, "\(text)")
        return value
    }

    private func error<T>(_ text: String, _ reader: (ConfigNode, ConfigDiagnostics) -> T?) -> String? {
        let (value, errors) = read("v: \(text)", reader)
        #expect(value == nil && errors.count == 1, "\(text)")
        return errors.first
    }

    @Test func durations() {
        let duration = { (n: ConfigNode, d: ConfigDiagnostics) in n.duration(d) }
        #expect(value("50ms", duration) == .milliseconds(50))
        #expect(value("10s", duration) == .seconds(10))
        #expect(value("15m", duration) == .seconds(900))
        #expect(value("1h", duration) == .seconds(3600))
        #expect(value("1d", duration) == .seconds(86400))
        #expect(value("2 s", duration) == .seconds(2))
        #expect(error("0ms", duration) == "p.yaml:1:4: a duration must be greater than 0, found '0ms'")
        #expect(error("10", duration) == "p.yaml:1:4: duration '10' needs a unit: ms, s, m, h or d")
        #expect(error("1.5s", duration) == "p.yaml:1:4: expected a duration such as '30s' or '500ms', found '1.5s'")
        #expect(error("-1s", duration) == "p.yaml:1:4: expected a duration such as '30s' or '500ms', found '-1s'")
        #expect(error("10S", duration) == "p.yaml:1:4: unknown duration unit 'S' in '10S'; use ms, s, m, h or d")
        #expect(error("9223372036854775807d", duration) == "p.yaml:1:4: duration '9223372036854775807d' is too large")
        #expect(error("[1s]", duration) == "p.yaml:1:4: expected a duration such as '30s' or '500ms', found a list")
    }

    @Test func byteSizes() {
        let size = { (n: ConfigNode, d: ConfigDiagnostics) in n.byteSize(d) }
        #expect(value("512", size) == 512)
        #expect(value("512B", size) == 512)
        #expect(value("16KiB", size) == 16 * 1024)
        #expect(value("10MiB", size) == 10 * 1024 * 1024)
        #expect(value("1GiB", size) == 1 << 30)
        #expect(value("16KB", size) == 16_000)
        #expect(value("10MB", size) == 10_000_000)
        #expect(value("2gb", size) == 2_000_000_000)
        #expect(value("4 kib", size) == 4096)
        #expect(value("0", size) == 0)
        #expect(error("16KiBs", size) == "p.yaml:1:4: unknown size unit 'KiBs' in '16KiBs'; use B, KB, MB, GB, KiB, MiB or GiB")
        #expect(error("1.5MB", size) == "p.yaml:1:4: expected a size such as 512, '16KiB' or '10MB', found '1.5MB'")
        #expect(error("99999999999GiB", size) == "p.yaml:1:4: size '99999999999GiB' is too large")
        let bounded = { (n: ConfigNode, d: ConfigDiagnostics) in n.byteSize(d, range: 1024...(1 << 30)) }
        #expect(error("2GiB", bounded) == "p.yaml:1:4: expected a size from 1KiB to 1GiB, found '2GiB'")
    }

    @Test func scalars() {
        let int = { (n: ConfigNode, d: ConfigDiagnostics) in n.int(d, range: 1...10) }
        #expect(value("7", int) == 7)
        #expect(value("'7'", int) == 7)
        #expect(error("11", int) == "p.yaml:1:4: expected an integer from 1 to 10, found '11'")
        #expect(error("0x10", int) == "p.yaml:1:4: expected an integer, found '0x10'")
        #expect(error("", int) == "p.yaml:1:3: expected an integer, found an empty value")
        #expect(read("v: 3", { $0.int($1, range: Int.min...2) }).1 == ["p.yaml:1:4: expected an integer <= 2, found '3'"])

        let bool = { (n: ConfigNode, d: ConfigDiagnostics) in n.bool(d) }
        #expect(value("true", bool) == true)
        #expect(value("False", bool) == false)
        #expect(error("yes", bool) == "p.yaml:1:4: expected true or false, found 'yes'")

        let string = { (n: ConfigNode, d: ConfigDiagnostics) in n.string(d) }
        #expect(value("1.20", string) == "1.20")
        #expect(value("''", string) == "")
        #expect(value("'null'", string) == "null")
        #expect(error("null", string) == "p.yaml:1:4: expected a string, found null")
        #expect(error("{ a: 1 }", string) == "p.yaml:1:4: expected a string, found a mapping")

        let choice = { (n: ConfigNode, d: ConfigDiagnostics) in n.oneOf(d, ["allow", "deny", "log"]) }
        #expect(value("deny", choice) == "deny")
        #expect(error("Deny", choice) == "p.yaml:1:4: expected 'allow', 'deny' or 'log', found 'Deny'")
    }

    @Test func longTextIsShortenedInMessages() {
        let long = String(repeating: "x", count: 80)
        #expect(error(long, { $0.bool($1) }) == "p.yaml:1:4: expected true or false, found '\(String(repeating: "x", count: 60))...'")
        #expect(read("v: |\n  first\n  second\n", { $0.bool($1) }).1 == ["p.yaml:1:4: expected true or false, found 'first...'"])
    }

    @Test func addresses() {
        #expect(value("127.0.0.1:80", { $0.socketAddress($1) }) == SocketAddress("127.0.0.1:80"))
        #expect(value("'[::1]:80'", { $0.socketAddress($1) }) == SocketAddress("[::1]:80"))
        #expect(error("localhost", { $0.socketAddress($1) })
            == "p.yaml:1:4: invalid address 'localhost': missing port; expected host:port such as 127.0.0.1:8080")
        #expect(value("10.1.0.0/16", { $0.cidr($1) }) == CIDR("10.1.0.0/16"))
        #expect(error("10.1.0.0/16/1", { $0.cidr($1) })
            == "p.yaml:1:4: invalid network '10.1.0.0/16/1': the prefix length must be a number from 0 to 32")
        #expect(value("localhost:1", { $0.resolvedAddresses($1) })?.isEmpty == false)
    }

    @Test func lists() {
        #expect(value("[a, b]", { $0.stringList($1) }) == ["a", "b"])
        #expect(read("v:\n  - a\n  - b\n", { $0.stringList($1) }).0 == ["a", "b"])
        #expect(value("[]", { $0.stringList($1) }) == [])
        #expect(error("a", { $0.stringList($1) }) == "p.yaml:1:4: expected a list, found 'a'")
        // Every item is checked; the list is nil if any is invalid.
        let (ports, errors) = read("v: [1, x, 3, y]", { node, d in node.list(d) { $0.int(d) } })
        #expect(ports == nil)
        #expect(errors == ["p.yaml:1:8: expected an integer, found 'x'", "p.yaml:1:14: expected an integer, found 'y'"])
        #expect(value("[1, 2]", { node, d in node.list(d) { $0.int(d) } }) == [1, 2])
        #expect(value("[1, 2]", { $0.list($1) })?.map(\.location.column) == [5, 8])
    }

    @Test func mappings() throws {
        let d = ConfigDiagnostics()
        let root = try #require(ConfigNode.parse(yaml: "v: { origin: a, max_agee: 1s, plugin: x }", path: "p.yaml", d))
        let value = try #require(root.mapping(d)?["v"])
        let m = try #require(value.mapping(d, keys: ["origin", "max_age", "plugin"], required: ["origin", "methods"]))
        #expect(m.keys == ["origin", "max_agee", "plugin"])
        #expect(m["origin"]?.string(d) == "a")
        #expect(m["absent"] == nil)
        #expect(m.entries.map(\.keyLocation.column) == [6, 17, 31])
        #expect(d.errors.map(\.description) == [
            "p.yaml:1:4: missing required key 'methods'",
            "p.yaml:1:17: unknown key 'max_agee'; did you mean 'max_age'?",
        ])
        let settings = m.node(excluding: ["plugin"])
        #expect(settings.location == m.location)
        #expect(settings.mapping(d)?.keys == ["origin", "max_agee"])

        let strict = ConfigDiagnostics()
        _ = settings.mapping(strict, keys: [], in: "filter 'x'")
        #expect(strict.errors.map(\.message) == [
            "unknown key 'origin' in filter 'x' (no settings are allowed here)",
            "unknown key 'max_agee' in filter 'x' (no settings are allowed here)",
        ])
        #expect(read("v: [a]", { $0.mapping($1) }).1 == ["p.yaml:1:4: expected a mapping, found a list"])
        #expect(read("v: { [a]: 1 }", { $0.mapping($1) }).1 == ["p.yaml:1:6: a key must be plain text, not a list or mapping"])
    }

    @Test func filePaths() throws {
        let fixture = try Fixture(["conf/present.txt": "x"])
        let d = ConfigDiagnostics()
        let root = try #require(ConfigNode.parse(yaml: "a: present.txt\nb: missing.txt\nc: /abs/x\n", path: fixture.path("conf/p.yaml"), d))
        let m = try #require(root.mapping(d))
        #expect(m["a"]?.filePath(d) == fixture.path("conf/present.txt"))
        #expect(m["b"]?.filePath(d, mustExist: false) == fixture.path("conf/missing.txt"))
        #expect(m["c"]?.filePath(d, mustExist: false) == "/abs/x")
        #expect(!d.hasErrors)
        #expect(m["b"]?.filePath(d) == nil)
        #expect(d.errors.map(\.message) == ["file 'missing.txt' does not exist (resolved to \(fixture.path("conf/missing.txt")))"])
    }
}

@Suite struct DiagnosticsTests {
    @Test func errorsAreInFileOrder() {
        let d = ConfigDiagnostics()
        d.error("third", at: ConfigLocation(file: "a.yaml", line: 3, column: 1))
        d.error("second", at: ConfigLocation(file: "a.yaml", line: 1, column: 9))
        d.error("other file", at: ConfigLocation(file: "b.yaml", line: 1, column: 1))
        d.error("first", at: ConfigLocation(file: "a.yaml", line: 1, column: 2))
        d.error("second, reported later", at: ConfigLocation(file: "a.yaml", line: 1, column: 9))
        #expect(d.hasErrors)
        #expect(d.errors.map(\.message) == ["first", "second", "second, reported later", "third", "other file"])
        #expect(d.errors.first?.description == "a.yaml:1:2: first")
        #expect(!ConfigDiagnostics().hasErrors)
    }

    @Test func spellingSuggestions() {
        #expect(Spelling.nearest(to: "adress", in: ["name", "address", "tls"]) == "address")
        #expect(Spelling.nearest(to: "tsl", in: ["name", "address", "tls"]) == "tls")
        #expect(Spelling.nearest(to: "Address", in: ["name", "address", "tls"]) == "address")
        #expect(Spelling.nearest(to: "upstream_timeout", in: ["upstream_connect", "upstream_response", "upstream_idle"]) == nil)
        #expect(Spelling.nearest(to: "foo", in: ["name", "address", "tls"]) == nil)
        #expect(Spelling.nearest(to: "x", in: []) == nil)
    }
}
