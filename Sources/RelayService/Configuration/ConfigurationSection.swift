import Foundation
import RelayCore
import RelayDestinations
import Yams

/// Typed access to one YAML mapping, with errors that carry the dotted key path.
struct ConfigurationSection {
    let mapping: Node.Mapping
    let path: String
    let environment: [String: String]

    /// Keys every destination takes (read by ``readCommon(into:maximumEvents:)`` and ``ageSeconds(default:maximumDays:)``).
    static let commonDestinationKeys: Set<String> = [
        "enabled", "endpoint", "batch", "timeout_ms", "max_event_age_days", "requests_per_minute", "requests_per_day",
    ]

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func node(_ name: String) -> Node? { mapping[Node(name)] }

    func allowOnly(_ names: Set<String>) throws(ConfigurationError) {
        for (keyNode, _) in mapping {
            guard let name = keyNode.string, names.contains(name) else {
                throw ConfigurationError(
                    key: key(keyNode.string ?? "?"), problem: "unknown key (allowed: \(names.sorted().joined(separator: ", ")))")
            }
        }
    }

    func section(_ name: String, required: Bool = false) throws(ConfigurationError) -> ConfigurationSection? {
        guard let node = node(name), node != Node("~"), node.tag != .init(.null) else {
            if required { throw ConfigurationError(key: key(name), problem: "is required") }
            return nil
        }
        guard let child = node.mapping else { throw ConfigurationError(key: key(name), problem: "must be a mapping") }
        return ConfigurationSection(mapping: child, path: key(name), environment: environment)
    }

    /// The section `name` unless it is absent or says `enabled: false`.
    func enabledSection(_ name: String) throws(ConfigurationError) -> ConfigurationSection? {
        guard let child = try section(name), try child.bool("enabled") ?? true else { return nil }
        return child
    }

    func string(_ name: String, required: Bool = false) throws(ConfigurationError) -> String? {
        guard let node = node(name), node.tag != .init(.null) else {
            if required { throw ConfigurationError(key: key(name), problem: "is required") }
            return nil
        }
        guard let scalar = node.scalar else { throw ConfigurationError(key: key(name), problem: "must be a string") }
        return try expand(scalar.string, key: key(name))
    }

    func integer(_ name: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = try string(name) else { return nil }
        guard let value = Int(text) else { throw ConfigurationError(key: key(name), problem: "must be an integer") }
        guard range.contains(value) else {
            throw ConfigurationError(key: key(name), problem: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    func bool(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let text = try string(name) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigurationError(key: key(name), problem: "must be true or false")
        }
    }

    func url(_ name: String) throws(ConfigurationError) -> String? {
        guard let text = try string(name) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
            url.query == nil
        else {
            throw ConfigurationError(key: key(name), problem: "must be an http(s) base URL without query string")
        }
        return text
    }

    func stringMap(_ name: String) throws(ConfigurationError) -> [String: String] {
        guard let node = node(name), node.tag != .init(.null) else { return [:] }
        guard let map = node.mapping else { throw ConfigurationError(key: key(name), problem: "must be a mapping") }
        var result: [String: String] = [:]
        for (keyNode, valueNode) in map {
            guard let property = keyNode.string, let value = valueNode.scalar?.string else {
                throw ConfigurationError(key: key(name), problem: "must map property names to strings")
            }
            result[property] = try expand(value, key: "\(key(name)).\(property)")
        }
        return result
    }

    /// A secret from `name` (which must be a `${ENV}` reference) or from the file at `name_file`.
    func secret(_ name: String) throws(ConfigurationError) -> Secret {
        let fileKey = "\(name)_file"
        let inline = node(name)?.scalar?.string
        let file = try string(fileKey)
        switch (inline, file) {
        case (nil, nil):
            throw ConfigurationError(key: key(name), problem: "is required (as ${ENV_VAR} or via \(fileKey))")
        case (.some, .some):
            throw ConfigurationError(key: key(name), problem: "give either \(name) or \(fileKey), not both")
        case (.some(let text), nil):
            guard text.hasPrefix("${"), text.hasSuffix("}") else {
                throw ConfigurationError(
                    key: key(name), problem: "secrets must not be written into the file; use ${ENV_VAR} or \(fileKey)")
            }
            let value = try expand(text, key: key(name))
            guard !value.isEmpty else { throw ConfigurationError(key: key(name), problem: "is empty") }
            return Secret(value)
        case (nil, .some(let path)):
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError(key: key(fileKey), problem: "cannot read the file")
            }
            let value = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else { throw ConfigurationError(key: key(fileKey), problem: "the file is empty") }
            return Secret(value)
        }
    }

    /// A string of digits (optionally of an exact length).
    func digits(_ name: String, what: String, length: Int? = nil) throws(ConfigurationError) -> String {
        let text = try string(name, required: true)!
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), length.map({ text.count == $0 }) ?? true else {
            throw ConfigurationError(key: key(name), problem: "must be \(what)")
        }
        return text
    }

    /// `max_event_age_days`, at most the platform's own limit.
    func ageSeconds(default defaults: Int64, maximumDays: Int) throws(ConfigurationError) -> Int64 {
        guard let days = try integer("max_event_age_days", range: 1...maximumDays) else { return defaults }
        return Int64(days) * 86_400
    }

    /// `endpoint`, `timeout_ms`, `batch` and `requests_per_minute`, which every destination takes.
    func readCommon<Settings: CommonDestinationSettings>(into settings: inout Settings, maximumEvents: Int)
        throws(ConfigurationError)
    {
        settings.endpoint = try url("endpoint") ?? settings.endpoint
        settings.timeoutMilliseconds = try integer("timeout_ms", range: 100...600_000) ?? settings.timeoutMilliseconds
        settings.batchPolicy = try batchPolicy(default: settings.batchPolicy, maximumEvents: maximumEvents)
        settings.requestsPerMinute = try integer("requests_per_minute", range: 1...1_000_000) ?? settings.requestsPerMinute
        settings.requestsPerDay = try integer("requests_per_day", range: 1...1_000_000_000) ?? settings.requestsPerDay
    }

    func batchPolicy(default defaults: BatchPolicy, maximumEvents: Int) throws(ConfigurationError) -> BatchPolicy {
        guard let batch = try section("batch") else { return defaults }
        try batch.allowOnly(["max_events", "max_bytes", "linger_ms"])
        var policy = defaults
        policy.maximumEvents = try batch.integer("max_events", range: 1...maximumEvents) ?? policy.maximumEvents
        policy.maximumBytes = try batch.integer("max_bytes", range: 1024...(64 << 20)) ?? policy.maximumBytes
        policy.lingerMilliseconds = try batch.integer("linger_ms", range: 0...60_000) ?? policy.lingerMilliseconds
        return policy
    }

    /// Replaces every `${NAME}` with the environment variable's value.
    func expand(_ text: String, key: String) throws(ConfigurationError) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ConfigurationError(key: key, problem: "unclosed ${ in value")
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else {
                throw ConfigurationError(key: key, problem: "environment variable \(name) is not set")
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}
