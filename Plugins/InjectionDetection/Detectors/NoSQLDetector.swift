/// NoSQL operator injection: a MongoDB-style operator where the backend expects a value, as a
/// JSON key (`{"$ne": null}`) or in a parameter name that frameworks turn into an object
/// (`user[$ne]=x`, `user.$gt=`).
enum NoSQLDetector {
    static let operatorKey = Rule("nosql.operator", .nosql, .critical, "query operator as a key ($ne, $gt, $where, $regex)")
    static let ormLookup = Rule("nosql.orm-lookup", .nosql, .critical, "ORM lookup in a field name (user__password__startswith)")

    /// Django-style lookups: a name ending in `__<lookup>` lets a client filter on any field.
    static let lookups = KeywordTable(["exact", "iexact", "contains", "icontains", "in", "gt", "gte", "lt", "lte", "startswith",
                                       "istartswith", "endswith", "iendswith", "range", "regex", "iregex", "isnull", "has_key",
                                       "has_keys", "has_any_keys", "search", "contained_by", "overlap", "year", "month", "day"])

    static let operators = KeywordTable(["$ne", "$eq", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex", "$exists",
                                         "$where", "$or", "$and", "$not", "$nor", "$elemmatch", "$expr", "$function",
                                         "$accumulator", "$lookup", "$jsonschema", "$type", "$mod", "$all", "$size", "$text",
                                         "$search", "$eval", "$options", "$ref", "$id", "$db"])

    /// `name` is a parameter name or a JSON key: every `$word` in it is checked.
    static func scanName(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        var u = s.count - 1
        while u > 1 && !(s[u] == 0x5F && s[u - 1] == 0x5F) { u -= 1 }
        if u > 1, u + 1 < s.count, lookups.contains(s, u + 1, s.count) { report.add(ormLookup, s, 0..<s.count) }
        var i = 0
        while i < s.count {
            if s[i] == 0x24 {
                var k = i + 1
                while k < s.count && ByteClass.isAlpha(s[k]) { k += 1 }
                let delimited = k == s.count || s[k] == 0x5D || s[k] == 0x2E || s[k] == 0x5B
                let starts = i == 0 || s[i - 1] == 0x5B || s[i - 1] == 0x2E
                if starts, delimited, operators.contains(s, i, k) { report.add(operatorKey, s, max(0, i - 10)..<min(s.count, k + 10)) }
                i = k
                continue
            }
            i += 1
        }
    }
}
