import Foundation
import GatewayConfig
import GatewayCore
import GatewayNetwork

/// `plugin: ip_access` — lets a route through only for some client networks.
///
/// ```yaml
/// office_only:
///   plugin: ip_access
///   allow: [10.0.0.0/8, "2001:db8::/32"]
///   deny: [10.66.0.0/16]
///   allow_file: office-networks.txt
/// ```
///
/// Settings (at least one list, or the temporary deny list, is required):
/// - `allow`: networks (`10.0.0.0/8`, `2001:db8::/32`, or a bare address) that may pass.
///   With an allow list, every other client is denied — even when the list is empty
///   (`allow: []`, or an empty file), so a missing or emptied list fails closed.
/// - `deny`: networks that are always denied. Deny wins over allow.
/// - `allow_file`, `deny_file`: the same, read from a file when the config loads: one network
///   per line, `#` starts a comment, blank lines are skipped. Relative paths are relative to the
///   config file's folder. They add to `allow` and `deny` when both are given.
/// - `temporary_deny`: also deny clients on the temporary deny list that `events.alerts` rules
///   with `deny_for` fill (shared between instances through Redis). Default: true when the
///   config has such a rule, else false; `true` without one is an error (the list would stay
///   empty). Checked after `deny` and before `allow`, so it also applies to allowed networks.
///
/// The client is ``Exchange/clientIP``: the TCP peer, or the address the core read from
/// `X-Forwarded-For` through `trusted_proxies`. IPv4 networks also match IPv4-mapped IPv6
/// clients (`::ffff:10.1.2.3`). Lookups cost O(log n), so lists of thousands are fine.
///
/// A denied request gets a 403 JSON error and raises an `ip-denied` event with the address
/// and the list that decided (`deny`, `temporary` with the alert's name, or `allow` for "not
/// on the allow list").
public enum IPAccessPlugin: Plugin {
    public static let name = "ip_access"

    public static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics d: ConfigDiagnostics) -> (any Filter)? {
        let errorsBefore = d.errors.count
        let lists = ["allow", "deny", "allow_file", "deny_file"]
        guard let m = settings.mapping(d, keys: lists + ["temporary_deny"], in: "filter '\(context.filterName)'") else { return nil }
        let denyingAlerts = context.configuration.events?.alerts.contains { $0.denyFor != nil } ?? false
        var temporaryDeny = denyingAlerts
        if let node = m["temporary_deny"], let value = node.bool(d) {
            if value, !denyingAlerts {
                d.error("temporary_deny needs an alert rule with deny_for under events.alerts; without one the list stays empty",
                        at: node.location)
            }
            temporaryDeny = value
        }
        guard lists.contains(where: { m[$0] != nil }) || temporaryDeny else {
            // Unknown keys were reported already, most likely as a misspelling of one of these.
            if m.entries.count == (m["temporary_deny"] == nil ? 0 : 1), d.errors.count == errorsBefore {
                d.error("filter '\(context.filterName)' needs at least one of allow, deny, allow_file or deny_file"
                    + (m["temporary_deny"] == nil ? "" : " when temporary_deny is false"), at: m.location)
            }
            return nil
        }
        let allow = networks(m, list: "allow", file: "allow_file", d)
        let deny = networks(m, list: "deny", file: "deny_file", d)
        guard d.errors.count == errorsBefore else { return nil }
        return IPAccessFilter(filterName: context.filterName, allow: allow.map(CIDRSet.init), deny: CIDRSet(deny ?? []),
                              temporaryDeny: temporaryDeny ? TemporaryDenyList.shared : nil)
    }

    /// The networks of a list key and its file key together; nil when neither is set.
    private static func networks(_ m: ConfigMapping, list: String, file: String, _ d: ConfigDiagnostics) -> [CIDR]? {
        guard m[list] != nil || m[file] != nil else { return nil }
        let inline = m[list]?.list(d) { $0.cidr(d) } ?? []
        let fromFile = m[file]?.filePath(d).map { readNetworks(path: $0, d) } ?? []
        return inline + fromFile
    }

    /// The networks listed in a file, one per line (`#` comments, blank lines skipped). A bad
    /// entry is reported at its own line and column in that file.
    static func readNetworks(path: String, _ d: ConfigDiagnostics) -> [CIDR] {
        guard let data = FileManager.default.contents(atPath: path),
              let text = String(data: data, encoding: .utf8)
        else {
            d.error("cannot read '\(path)' as UTF-8 text", at: ConfigLocation(file: path, line: 1, column: 1))
            return []
        }
        var networks: [CIDR] = []
        // `isNewline` splits LF, CRLF (one Character in Swift) and CR alike.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let content = line.prefix { $0 != "#" }
            let indent = content.prefix { $0.isWhitespace }
            let entry = content.dropFirst(indent.count).trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty else { continue }
            do {
                networks.append(try CIDR(parsing: entry))
            } catch {
                d.error(error.message, at: ConfigLocation(file: path, line: index + 1, column: indent.unicodeScalars.count + 1))
            }
        }
        return networks
    }
}
