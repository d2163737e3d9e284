/// A configuration problem, naming the key and what is wrong with it (never a secret's value).
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted path of the offending key, e.g. `destinations.meta.pixel_id`.
    public let key: String
    public let problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { key.isEmpty ? problem : "\(key): \(problem)" }
}
