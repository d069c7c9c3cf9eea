extension ConfigNode {
    /// What replaces a secret in ``redactedJSON()``.
    public static let redacted = "[redacted]"

    /// The tree as compact JSON (scalars as strings, nulls as null, keys in file order) with the
    /// value of every secret-looking key (``isSecretKey(_:)``) replaced by ``redacted``, and any
    /// `user:password@` in a URL-like scalar hidden: the running config as an operator may see it.
    public func redactedJSON() -> String {
        var out = ""
        appendJSON(to: &out, secret: false)
        return out
    }

    /// `password`, `secret`, `token`, `api_key`, `credentials`, `private_key`, and keys ending in
    /// `_password`, `_secret`, `_token` or `_key` that are not file paths (`key` of a
    /// certificate is a path, shown).
    public static func isSecretKey(_ key: String) -> Bool {
        let lower = key.lowercased()
        let exact: Set = ["password", "passwd", "secret", "token", "api_key", "apikey", "credentials", "private_key",
                          "authorization", "cookie", "hmac_key", "signing_key"]
        if exact.contains(lower) { return true }
        return ["_password", "_secret", "_token", "_api_key", "_credentials"].contains { lower.hasSuffix($0) }
    }

    private func appendJSON(to out: inout String, secret: Bool) {
        switch content {
        case .scalar(_, isNull: true):
            out += "null"
        case .scalar(let text, isNull: false):
            ConfigNode.appendQuoted(secret ? ConfigNode.redacted : ConfigNode.hidingUserInfo(text), to: &out)
        case .sequence(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.appendJSON(to: &out, secret: secret)
            }
            out += "]"
        case .mapping(let entries):
            out += "{"
            for (index, entry) in entries.enumerated() {
                if index > 0 { out += "," }
                ConfigNode.appendQuoted(entry.key, to: &out)
                out += ":"
                entry.value.appendJSON(to: &out, secret: secret || ConfigNode.isSecretKey(entry.key))
            }
            out += "}"
        }
    }

    /// `redis://user:pass@host` -> `redis://[redacted]@host`.
    private static func hidingUserInfo(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@"),
              !text[scheme.upperBound..<at].contains("/")
        else { return text }
        return String(text[..<scheme.upperBound]) + redacted + String(text[at...])
    }

    private static func appendQuoted(_ text: String, to out: inout String) {
        out += "\"" + jsonEscaped(text) + "\""
    }
}
