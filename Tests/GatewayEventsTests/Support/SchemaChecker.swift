// A JSON Schema checker for the subset docs/event.schema.json uses, so the schema test runs
// everywhere (python3 `jsonschema` is not always installed). A keyword it does not know is an
// error, not ignored: the schema cannot silently rely on something left unchecked.

import Foundation

struct SchemaChecker {
    let schema: JSON

    private static let annotations: Set<String> = ["$schema", "$id", "$comment", "title", "description", "examples", "format"]
    private static let assertions: Set<String> = [
        "type", "required", "properties", "additionalProperties", "items", "enum", "pattern",
        "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "propertyNames",
    ]

    /// docs/event.schema.json, found from this file.
    static func eventSchema() throws -> SchemaChecker {
        let path = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/event.schema.json").path
        return SchemaChecker(schema: try JSON.parse(try String(contentsOfFile: path, encoding: .utf8)))
    }

    /// Every violation, as `path: problem`; empty when `value` conforms.
    func violations(of value: JSON) -> [String] {
        var problems: [String] = []
        check(value, against: schema, at: "$", into: &problems)
        return problems
    }

    private func check(_ value: JSON, against schema: JSON, at path: String, into problems: inout [String]) {
        if case .bool(let allowed) = schema {
            if !allowed { problems.append("\(path): not allowed here") }
            return
        }
        for (keyword, _) in schema.members where !Self.annotations.contains(keyword) && !Self.assertions.contains(keyword) {
            problems.append("\(path): schema keyword '\(keyword)' is not supported by the checker")
        }
        if let type = schema["type"] {
            let allowed = type.string.map { [$0] } ?? type.items.compactMap(\.string)
            if !allowed.contains(where: { matches(value, type: $0) }) {
                problems.append("\(path): expected \(allowed.joined(separator: " or ")), found \(value)")
                return
            }
        }
        if let options = schema["enum"], !options.items.contains(value) {
            problems.append("\(path): \(value) is not one of \(options)")
        }
        if case .string(let text) = value {
            let length = text.unicodeScalars.count
            if let min = schema["minLength"]?.int, length < min { problems.append("\(path): shorter than \(min)") }
            if let max = schema["maxLength"]?.int, length > max { problems.append("\(path): longer than \(max)") }
            if let pattern = schema["pattern"]?.string {
                do {
                    if try Regex(pattern).firstMatch(in: text) == nil { problems.append("\(path): '\(text)' does not match \(pattern)") }
                } catch {
                    problems.append("\(path): invalid pattern \(pattern): \(error)")
                }
            }
        }
        if let number = value.numeric {
            if let min = schema["minimum"]?.numeric, number < min { problems.append("\(path): below \(min)") }
            if let max = schema["maximum"]?.numeric, number > max { problems.append("\(path): above \(max)") }
        }
        if case .array(let items) = value {
            if let min = schema["minItems"]?.int, items.count < min { problems.append("\(path): fewer than \(min) items") }
            if let max = schema["maxItems"]?.int, items.count > max { problems.append("\(path): more than \(max) items") }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { check(item, against: itemSchema, at: "\(path)[\(index)]", into: &problems) }
            }
        }
        if case .object(let members) = value {
            for key in schema["required"]?.items.compactMap(\.string) ?? [] where !members.contains(where: { $0.key == key }) {
                problems.append("\(path): missing required '\(key)'")
            }
            let properties = schema["properties"]?.members ?? []
            for (key, member) in members {
                let memberPath = "\(path).\(key)"
                if let names = schema["propertyNames"] { check(.string(key), against: names, at: "\(memberPath) (name)", into: &problems) }
                if let propertySchema = properties.first(where: { $0.key == key })?.value {
                    check(member, against: propertySchema, at: memberPath, into: &problems)
                } else if let additional = schema["additionalProperties"] {
                    check(member, against: additional, at: memberPath, into: &problems)
                }
            }
        }
    }

    private func matches(_ value: JSON, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("integer", .integer),
             ("number", .integer), ("number", .number), ("boolean", .bool), ("null", .null): true
        default: false
        }
    }
}

private extension JSON {
    var numeric: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }
}
